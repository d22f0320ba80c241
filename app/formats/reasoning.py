"""Quality of reasoning chains in the outputs a model is trained to produce.

An output *has explicit steps* when lines start with a step marker (``Step 2:``,
``2.``/``2)``, or First/Second/Third/Next/Then/Finally), and *has a conclusion* when
it states one (Therefore, Thus, Hence, "the answer is", "Final answer", "Answer:",
"In conclusion", ``\\boxed{}``). Per output it warns, with the line number, about
empty steps, repeated steps, steps that never conclude, and answers given with no
reasoning at all. Plain chat data without steps or answer phrases raises nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from app.formats.issues import IssueLog

__all__ = ["ReasoningCollector", "ReasoningStats"]

# Matched against "\n" + the lower-cased text: the literal newline lets `re` jump from
# line start to line start, and findall returns only each step's text, which is much
# cheaper than a match object per line.
_STEP = re.compile(
    r"\n[ \t]*(?:\*\*)?"
    r"(?:step[ \t]+\d+[ \t]*[:.)\-]|\d{1,2}[.)](?=\s|$)|(?:first|second|third|next|then|finally)\b,?)"
    r"(?:\*\*)?([^\n]*)"
)
# Searched in the lower-cased text without \b anchors (several times faster in `re`);
# word boundaries are then checked by hand in `_concludes`.
_CONCLUSION = re.compile(
    r"therefore|thus|hence|in conclusion|final answer|the answer is|answer\s*:|\\boxed\{"
)


def _concludes(lowered: str) -> bool:
    """True when the lower-cased text states a conclusion (whole words: not "enthusiast")."""
    for found in _CONCLUSION.finditer(lowered):
        start, end = found.span()
        if start and lowered[start - 1].isalnum():
            continue
        if end < len(lowered) and lowered[end].isalnum() and lowered[end - 1].isalnum():
            continue
        return True
    return False


_MAX_BUCKET = 10


@dataclass(frozen=True)
class ReasoningStats:
    """Reasoning-chain figures over all outputs of a dataset."""

    outputs: int
    with_steps_and_conclusion: int
    #: ``with_steps_and_conclusion / outputs`` (0 for no outputs).
    share_with_steps_and_conclusion: float
    #: Outputs per step count; the key ``"10+"`` gathers ten steps or more.
    step_count_distribution: dict[str, int]
    empty_steps: int
    repeated_steps: int
    steps_without_conclusion: int
    answers_without_reasoning: int

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return dict(self.__dict__)


class ReasoningCollector:
    """Accumulates :class:`ReasoningStats` one output at a time."""

    def __init__(self) -> None:
        self.outputs = 0
        self.complete = 0
        self.step_counts: Counter[int] = Counter()
        self.empty_steps = 0
        self.repeated_steps = 0
        self.no_conclusion = 0
        self.no_reasoning = 0

    def add(self, line: int, field: str, text: str, log: IssueLog) -> None:
        """Examine one output and warn about its reasoning problems."""
        self.outputs += 1
        lowered = text.lower()
        bodies = [body.strip(" \t:.-*") for body in _STEP.findall("\n" + lowered)]
        steps = len(bodies)
        if "" in bodies or len(set(bodies)) < steps:
            self._warn_about_steps(bodies, line, field, log)
        concludes = _concludes(lowered)
        self.step_counts[min(steps, _MAX_BUCKET)] += 1
        if steps and concludes:
            self.complete += 1
        elif steps:
            self.no_conclusion += 1
            log.warning(
                line,
                field,
                f"reasoning has {steps} steps but no conclusion",
                "reasoning.no_conclusion",
            )
        elif concludes:
            self.no_reasoning += 1
            log.warning(line, field, "answer given with no reasoning steps", "reasoning.no_steps")

    def _warn_about_steps(self, bodies: list[str], line: int, field: str, log: IssueLog) -> None:
        """Count and report empty and repeated steps (the rare, slower path)."""
        seen: dict[str, int] = {}
        for number, body in enumerate(bodies, start=1):
            if not body:
                self.empty_steps += 1
                log.warning(
                    line, field, f"reasoning step {number} is empty", "reasoning.empty_step"
                )
            elif body in seen:
                self.repeated_steps += 1
                log.warning(
                    line,
                    field,
                    f"reasoning step {number} repeats step {seen[body]}",
                    "reasoning.repeated_step",
                )
            else:
                seen[body] = number

    def result(self) -> ReasoningStats:
        """The figures so far."""
        distribution = {
            (f"{count}+" if count == _MAX_BUCKET else str(count)): n
            for count, n in sorted(self.step_counts.items())
        }
        return ReasoningStats(
            outputs=self.outputs,
            with_steps_and_conclusion=self.complete,
            share_with_steps_and_conclusion=self.complete / self.outputs if self.outputs else 0.0,
            step_count_distribution=distribution,
            empty_steps=self.empty_steps,
            repeated_steps=self.repeated_steps,
            steps_without_conclusion=self.no_conclusion,
            answers_without_reasoning=self.no_reasoning,
        )
