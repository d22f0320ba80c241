"""Benchmark: what the free-text check adds to a vote, against presidio on the same texts.

Every vote comment, transition, cancellation and supersession reason and answer to a
denial is checked for direct identifiers before it is stored
(:mod:`app.ledger.free_text`). This times :func:`app.formats.direct_identifiers.
direct_identifiers` (plain regular expressions) on texts a person types, from a one-line
comment to the longest comment a vote takes (4,000 characters), and, as the baseline,
presidio's analyzer (:func:`app.formats.recognizers.find_identifiers`, what the dataset
scan uses) on the same texts, plus presidio's one-time import and build, which the first
vote of each process would pay. Prints per text: median microseconds per call of each,
and the ratio presidio / regex. Goal: the check adds well under 1 ms to a vote.
Run: ``.venv/bin/python bench/free_text_check.py [--calls 200]`` (note ``uptime`` beside it).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from app.formats.direct_identifiers import direct_identifiers

TEXTS = {
    "one-line comment": "Validated against the holdout set; the fairness audit is current.",
    "reject with an SSN": "Rejected: sample 4 of the red-team report shows SSN 219-09-9999.",
    "2,000-char reason": (
        "The evaluation is superseded because the benchmark ran on the 2026-10 revision of "
        "the holdout set, which overlaps the training data of run 12 by about 3 per cent. "
    )
    * 12,
    "4,000-char comment (the most a vote takes)": (
        "Reviewed with Olivia Park and Dr Lee: the model card, the red-team findings (0 open), "
        "the benchmark on faq-holdout 2026-11 (accuracy 0.91, p99 900 ms) and the audit. "
    )
    * 24,
}


def _median_us(check: Callable[[str], object], text: str, calls: int) -> float:
    """Median microseconds of one call, over ``calls`` calls in 5 rounds."""
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls):
            check(text)
        rounds.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(rounds)


def main() -> None:
    """Print the one-time cost of presidio, then one line per text."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per round (default 200)")
    calls = parser.parse_args().calls
    started = time.perf_counter()
    from app.formats.recognizers import analyzer, find_identifiers

    analyzer()
    print(f"presidio import and build (once per process): {time.perf_counter() - started:.2f} s")
    print(f"{'text':<46}{'chars':>7}{'regex us':>10}{'presidio us':>13}{'ratio':>8}")
    for label, text in TEXTS.items():
        regex = _median_us(direct_identifiers, text, calls)
        presidio = _median_us(find_identifiers, text, max(calls // 20, 5))
        print(f"{label:<46}{len(text):>7}{regex:>10.0f}{presidio:>13.0f}{presidio / regex:>8.1f}")


if __name__ == "__main__":
    main()
