"""Benchmark: validate_file throughput against a bare ``json.loads``-per-line loop, and its memory.

Generates an openai_chat file (distinct records, a reasoning-style answer each), then
prints MB/s for :func:`app.formats.validate_file` (statistics, duplicates, reasoning
checks, limits and sha256 included) and for reading the same file line by line with
:func:`json.loads`, their ratio (goal: >= 1.0), and validation's peak memory measured
in a fresh process. Each speed is the best of ``--repeat`` runs taken in turns, so a
busy machine distorts the ratio less; the ratio of CPU times is printed too (steadier
when other work shares the cores).

    .venv/bin/python bench/validate.py --size-mb 100
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

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


_PEAK = """
import sys
from pathlib import Path
from app.formats import validate_file
validate_file(Path(sys.argv[1]))
status = Path("/proc/self/status").read_text()
print(int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1]) / 1024)
"""


def peak_memory_mb(path: Path) -> float:
    """Validation's peak resident memory (VmHWM) in a fresh process, in MB."""
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)],
        capture_output=True,
        text=True,
        cwd=root,
        check=True,
    )
    return float(result.stdout)


class Timings(NamedTuple):
    """Shortest wall-clock and CPU seconds of each reader."""

    baseline_wall: float
    ours_wall: float
    baseline_cpu: float
    ours_cpu: float


def best_times(path: Path, repeat: int) -> Timings:
    """The shortest of ``repeat`` timings of each reader, taken in turns.

    Alternating the two readers exposes both to the same load on a shared machine; the
    CPU time (this process only) is the steadier figure when other work shares the cores.
    """
    runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "ours": []}
    for _ in range(repeat):
        for name, read in (("baseline", json_loads_loop), ("ours", validate_file)):
            wall, cpu = time.perf_counter(), time.process_time()
            read(path)
            runs[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return Timings(
        min(wall for wall, _ in runs["baseline"]),
        min(wall for wall, _ in runs["ours"]),
        min(cpu for _, cpu in runs["baseline"]),
        min(cpu for _, cpu in runs["ours"]),
    )


def main() -> None:
    """Generate, time both readers, measure memory, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100, help="size of the generated file")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each reader; best counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.jsonl"
        records = write_openai_chat(path, size_bytes=args.size_mb * 1024 * 1024)
        size_mb = path.stat().st_size / (1024 * 1024)
        print(f"file: {size_mb:.0f} MB, {records} records")

        report = validate_file(path)
        assert report.valid and report.record_count == json_loads_loop(path) == records
        assert report.stats.reasoning.with_steps_and_conclusion == records
        timings = best_times(path, args.repeat)
        baseline, ours = size_mb / timings.baseline_wall, size_mb / timings.ours_wall
        print(f"json.loads per line : {baseline:8.1f} MB/s")
        print(
            f"validate_file       : {ours:8.1f} MB/s  (stats, duplicates, reasoning checks, "
            "limits, sha256)"
        )
        print(f"ratio               : {ours / baseline:8.2f}x  (goal >= 1.0x)")
        cpu_ratio = timings.baseline_cpu / timings.ours_cpu
        print(
            f"ratio of CPU times  : {cpu_ratio:8.2f}x  ({timings.baseline_cpu:.2f} s vs "
            f"{timings.ours_cpu:.2f} s of this process)"
        )
        print(f"peak memory         : {peak_memory_mb(path):8.0f} MB  (validation process)")


if __name__ == "__main__":
    main()
