"""A 1 GB openai_chat file validates in bounded memory (peak RSS measured in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

GIB = 1024 * 1024 * 1024
PEAK_LIMIT_MB = 300
_PADDING = "padding " * 40

_MEASURE = """
import json, sys
from pathlib import Path
from app.formats import validate_file
report = validate_file(Path(sys.argv[1]))
# VmHWM is this process image's own peak: unlike ru_maxrss it does not inherit the
# parent's resident size across fork + exec (pytest's parent can be hundreds of MB).
status = Path("/proc/self/status").read_text()
peak_mb = int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1]) / 1024
print(json.dumps({"peak_mb": peak_mb, "valid": report.valid, "records": report.record_count,
                  "duplicates_complete": report.stats.duplicate_check_complete}))
"""


def _generate(path: Path, size: int) -> int:
    """Distinct records (so the duplicate set fills to its cap), written in big chunks."""
    count = written = 0
    with path.open("w", buffering=16 * 1024 * 1024) as out:
        while written < size:
            lines = [
                '{"messages": [{"role": "user", "content": "Question '
                f'{n}: how much is {n} + 7?"}}, {{"role": "assistant", "content": "Step 1: {n} + 7 = '
                f'{n + 7}.\\nTherefore the answer is {n + 7}. {_PADDING}"}}]}}\n'
                for n in range(count, count + 20_000)
            ]
            block = "".join(lines)
            out.write(block)
            written += len(block)
            count += len(lines)
    return count


@pytest.mark.slow
def test_one_gigabyte_file_validates_under_300_mb(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    records = _generate(path, GIB)
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True,
        text=True,
        cwd=root,
        check=True,
        timeout=900,
    )
    figures = json.loads(result.stdout)
    print(f"1 GiB, {records} records: peak RSS {figures['peak_mb']:.0f} MB")
    assert figures["valid"] and figures["records"] == records
    assert not figures["duplicates_complete"]  # the digest cap was reached and reported
    assert figures["peak_mb"] < PEAK_LIMIT_MB
