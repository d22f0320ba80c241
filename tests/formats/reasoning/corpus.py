"""Read the labelled reasoning corpus and score the checker against it.

Shared by ``tests/formats/test_reasoning_corpus.py`` and ``bench/reasoning.py`` so the
test and the benchmark print the same figures. See this folder's README for the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app.formats.reasoning import Examination, examine

__all__ = ["FINDINGS", "Sample", "Score", "findings_of", "load", "score"]

FOLDER = Path(__file__).resolve().parent
#: The finding kinds the corpus labels, as the validation report's warning codes name them.
FINDINGS = ("no_conclusion", "empty_step", "repeated_step", "no_steps")
_HEADER = re.compile(r"^=== (\S+) lang=(\S+) steps=(\d+) expect=(\S+)$")


@dataclass(frozen=True)
class Sample:
    """One labelled output."""

    id: str
    source: str
    lang: str
    steps: int
    expected: frozenset[str]
    text: str


@dataclass(frozen=True)
class Score:
    """How the checker did on the corpus."""

    samples: int
    languages: int
    true_positives: int
    false_positives: int
    false_negatives: int
    steps_exact: int
    #: (sample id, expected findings, found findings) for every disagreement.
    misses: tuple[tuple[str, frozenset[str], frozenset[str]], ...]

    @property
    def precision(self) -> float:
        """Share of the findings reported that the labels expect."""
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        """Share of the expected findings that were reported."""
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


def load(folder: Path = FOLDER) -> list[Sample]:
    """Every sample of every ``.txt`` file in ``folder``, in file order."""
    samples: list[Sample] = []
    for path in sorted(folder.glob("*.txt")):
        header: re.Match[str] | None = None
        body: list[str] = []
        for line in [*path.read_text(encoding="utf-8").split("\n"), "=== end"]:
            if not line.startswith("=== "):
                body.append(line)
                continue
            if header is not None:
                while body and not body[-1]:
                    body.pop()
                expected = header.group(4)
                samples.append(
                    Sample(
                        id=header.group(1),
                        source=path.name,
                        lang=header.group(2),
                        steps=int(header.group(3)),
                        expected=frozenset() if expected == "-" else frozenset(expected.split(",")),
                        text="\n".join(body),
                    )
                )
            header, body = _HEADER.match(line), []
            if header is None and line != "=== end":
                raise ValueError(f"{path.name}: bad header {line!r}")
    return samples


def findings_of(found: Examination) -> frozenset[str]:
    """The finding kinds of one examination."""
    kinds = set()
    if found.stops_mid_chain:
        kinds.add("no_conclusion")
    if found.empty_steps:
        kinds.add("empty_step")
    if found.repeated_steps:
        kinds.add("repeated_step")
    if found.unsupported:
        kinds.add("no_steps")
    return frozenset(kinds)


def score(samples: list[Sample]) -> Score:
    """Run the checker on every sample and count agreements per finding kind."""
    tp = fp = fn = exact = 0
    misses = []
    for sample in samples:
        found = examine(sample.text)
        kinds = findings_of(found)
        tp += len(kinds & sample.expected)
        fp += len(kinds - sample.expected)
        fn += len(sample.expected - kinds)
        exact += found.steps == sample.steps
        if kinds != sample.expected or found.steps != sample.steps:
            misses.append(
                (f"{sample.id} (steps {found.steps}/{sample.steps})", sample.expected, kinds)
            )
    return Score(
        samples=len(samples),
        languages=len({sample.lang for sample in samples}),
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        steps_exact=exact,
        misses=tuple(misses),
    )
