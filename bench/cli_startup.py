"""Benchmark: how long ``gatehouse`` takes to start, against a bare Python interpreter.

A release pipeline calls ``gatehouse`` many times a build, and a start-up that loads
Flask, SQLAlchemy and the audit libraries before printing a help text costs seconds each
time. This starts each command below ``--runs`` times (interleaved with the baseline
``python -c pass`` so a drifting machine load hits both alike) and prints, per command,
the median wall time, the median baseline, the median of the per-pair differences (what
Gatehouse itself adds) and the ratio to the baseline. Goal: each command under 0.5 s on
an idle machine. Run: ``.venv/bin/python bench/cli_startup.py [--runs 15]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

GATEHOUSE = Path(sys.executable).with_name("gatehouse")
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--help",),
    ("promote", "--help"),
    ("run", "submit", "--help"),
    ("gate", "check", "--help"),
)
BASELINE = (sys.executable, "-c", "pass")


def _seconds(command: tuple[str, ...]) -> float:
    """Wall time of one run of ``command`` (its output thrown away)."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    """Print one line per command: median, baseline median, added time and ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (default 15)")
    runs = parser.parse_args().runs
    print(f"{'command':<34}{'median s':>10}{'baseline s':>12}{'added s':>10}{'ratio':>8}")
    for arguments in COMMANDS:
        command = (str(GATEHOUSE), *arguments)
        _seconds(command)  # warm the file cache
        pairs = [(_seconds(command), _seconds(BASELINE)) for _ in range(runs)]
        measured = statistics.median(pair[0] for pair in pairs)
        baseline = statistics.median(pair[1] for pair in pairs)
        added = statistics.median(pair[0] - pair[1] for pair in pairs)
        ratio = statistics.median(pair[0] / pair[1] for pair in pairs)
        label = "gatehouse " + " ".join(arguments)
        print(f"{label:<34}{measured:>10.3f}{baseline:>12.3f}{added:>10.3f}{ratio:>8.1f}")


if __name__ == "__main__":
    main()
