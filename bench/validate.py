"""Benchmark: validate_file throughput against a bare ``json.loads``-per-line loop.

Generates an openai_chat file (distinct records, a reasoning-style answer each),
then prints MB/s for :func:`app.formats.validate_file` and for reading the same file
line by line with :func:`json.loads`, and their ratio (goal: >= 0.5).

    .venv/bin/python bench/validate.py --size-mb 300
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.formats import validate_file


def write_openai_chat(path: Path, *, size_bytes: int) -> int:
    """Write distinct openai_chat records until ``size_bytes``; return the record count."""
    template = (
        '{{"messages": [{{"role": "system", "content": "You are a careful maths tutor."}}, '
        '{{"role": "user", "content": "Question {n}: what is {n} times 7, plus 3?"}}, '
        '{{"role": "assistant", "content": "Step 1: {n} times 7 is {p}.\\nStep 2: add 3 to get {q}.'
        '\\nTherefore the answer is {q}. {pad}"}}]}}\n'
    )
    pad = "Checked twice. " * 12
    written = count = 0
    with path.open("w", buffering=8 * 1024 * 1024) as out:
        chunk: list[str] = []
        while written < size_bytes:
            line = template.format(n=count, p=count * 7, q=count * 7 + 3, pad=pad)
            chunk.append(line)
            written += len(line)
            count += 1
            if len(chunk) == 10_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
    return count


def json_loads_loop(path: Path) -> int:
    """The baseline: parse every line with the standard library and nothing else."""
    records = 0
    with path.open("rb") as file:
        for line in file:
            json.loads(line)
            records += 1
    return records


def main() -> None:
    """Generate, time both readers, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=300, help="size of the generated file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.jsonl"
        records = write_openai_chat(path, size_bytes=args.size_mb * 1024 * 1024)
        size_mb = path.stat().st_size / (1024 * 1024)
        print(f"file: {size_mb:.0f} MB, {records} records")

        started = time.perf_counter()
        baseline_records = json_loads_loop(path)
        baseline = size_mb / (time.perf_counter() - started)

        started = time.perf_counter()
        report = validate_file(path)
        ours = size_mb / (time.perf_counter() - started)

        assert report.valid and report.record_count == baseline_records == records
        print(f"json.loads per line : {baseline:8.1f} MB/s")
        print(
            f"validate_file       : {ours:8.1f} MB/s  (stats, duplicates, reasoning checks, sha256)"
        )
        print(f"ratio               : {ours / baseline:8.2f}x  (goal >= 0.5x)")


if __name__ == "__main__":
    main()
