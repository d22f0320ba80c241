"""Reasoning-chain figures of a whole dataset, and the warnings about each output.

The reading of one output is :mod:`app.formats.reasoning`; this module tallies the
readings over a dataset for the validation report and logs each finding with its
line and field.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import compress, repeat
from operator import not_

from app.formats.issues import IssueLog
from app.formats.reasoning import Examination, examine, scan_plain_chains, sort_chains

__all__ = ["ReasoningCollector", "ReasoningStats"]

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
    #: Outputs that stop mid-chain (steps without a conclusion, or prose cut off).
    steps_without_conclusion: int
    #: Outputs that are only an answer, with no reasoning before it.
    unsupported_conclusions: int

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
        self.unsupported = 0

    def add(self, line: int, field: str, text: str, log: IssueLog) -> None:
        """Examine one output and warn about its reasoning problems."""
        self.tally(line, field, examine(text), log)

    def add_many(
        self, lines: list[int], fields: list[str], texts: list[str], log: IssueLog
    ) -> None:
        """Examine many outputs at once (the same findings as :meth:`add` on each)."""
        rest = self.count_plain_chains(texts)
        if len(rest) < len(texts):
            lines = [lines[index] for index in rest]
            fields = [fields[index] for index in rest]
            texts = [texts[index] for index in rest]
        self.add_others(lines, fields, texts, log)

    def count_plain_chains(self, texts: list[str]) -> list[int]:
        """Count the plain finished chains among ``texts``; the indexes of the others.

        Those chains need no warning and no reading (:func:`scan_plain_chains`, in C);
        the others must go to :meth:`add_others`, in their order.
        """
        counts, rest = scan_plain_chains(texts)
        if len(rest) == len(texts):
            return rest
        self.outputs += len(texts) - len(rest)
        self.complete += len(texts) - len(rest)
        tally = Counter(counts)
        del tally[0]  # the texts left to Python
        for steps in [steps for steps in tally if steps > _MAX_BUCKET]:
            tally[_MAX_BUCKET] += tally.pop(steps)
        self.step_counts.update(tally)
        return rest

    def add_others(
        self, lines: list[int], fields: list[str], texts: list[str], log: IssueLog
    ) -> None:
        """:meth:`add_many` for the texts the C scan left: sorted by Python, then read."""
        counts, clean = sort_chains(texts)
        buckets = list(map(min, compress(counts, clean), repeat(_MAX_BUCKET)))
        self.outputs += len(buckets)
        self.complete += len(buckets)
        self.step_counts.update(buckets)
        if len(buckets) == len(texts):
            return
        for index in compress(range(len(texts)), map(not_, clean)):
            self.tally(lines[index], fields[index], examine(texts[index]), log)

    def tally(self, line: int, field: str, found: Examination, log: IssueLog) -> None:
        """Count one output's reading and warn about its problems."""
        self.outputs += 1
        self.step_counts[min(found.steps, _MAX_BUCKET)] += 1
        for number in found.empty_steps:
            self.empty_steps += 1
            log.warning(line, field, f"reasoning step {number} is empty", "reasoning.empty_step")
        for number, earlier in found.repeated_steps:
            self.repeated_steps += 1
            log.warning(
                line,
                field,
                f"reasoning step {number} repeats step {earlier}",
                "reasoning.repeated_step",
            )
        if found.steps and found.concluded:
            self.complete += 1
        if found.stops_mid_chain:
            self.no_conclusion += 1
            reason = (
                f"reasoning has {found.steps} steps but no conclusion"
                if found.steps
                else "reasoning stops mid-sentence, before a conclusion"
            )
            log.warning(line, field, reason, "reasoning.no_conclusion")
        if found.unsupported:
            self.unsupported += 1
            log.warning(line, field, "answer given with no reasoning steps", "reasoning.no_steps")

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
            unsupported_conclusions=self.unsupported,
        )
