"""Benchmark: the reasoning-chain checker's precision and recall on the labelled corpus.

Reads every output in ``tests/formats/reasoning/``, runs :func:`app.formats.reasoning.examine`
on it, and prints precision and recall of the findings (goal: >= 0.97 and >= 0.95),
step-count agreement, the disagreements, and the checker's speed.

    .venv/bin/python bench/reasoning.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.formats.reasoning import examine
from tests.formats.reasoning.corpus import load, score


def main() -> None:
    """Score the checker and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="passes over the corpus for speed")
    args = parser.parse_args()
    samples = load()
    result = score(samples)
    by_source: dict[str, int] = {}
    for sample in samples:
        by_source[sample.source] = by_source.get(sample.source, 0) + 1
    print(f"corpus    : {result.samples} outputs in {result.languages} languages")
    print("            " + ", ".join(f"{name} {n}" for name, n in sorted(by_source.items())))
    print(
        f"findings  : {result.true_positives} right, {result.false_positives} false, "
        f"{result.false_negatives} missed"
    )
    print(f"precision : {result.precision:.3f}  (goal >= 0.97)")
    print(f"recall    : {result.recall:.3f}  (goal >= 0.95)")
    print(f"steps     : {result.steps_exact}/{result.samples} outputs with the step count labelled")
    for miss in result.misses:
        print(f"  disagreement {miss[0]}: expected {sorted(miss[1])}, found {sorted(miss[2])}")
    texts = [sample.text for sample in samples]
    started = time.perf_counter()
    for _ in range(args.repeat):
        for text in texts:
            examine(text)
    elapsed = time.perf_counter() - started
    print(f"speed     : {len(texts) * args.repeat / elapsed:,.0f} outputs/s")


if __name__ == "__main__":
    main()
