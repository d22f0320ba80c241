"""The block-based line reader: lines that straddle 1 MiB blocks, CRLF, over-long lines."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from app.formats.issues import IssueLog
from app.formats.source import DatasetSource, iter_lines

MIB = 1024 * 1024


def _read(
    path: Path, max_line_bytes: int
) -> tuple[list[tuple[int, bytes, bool]], IssueLog, DatasetSource]:
    log = IssueLog(limit=100)
    with DatasetSource(path) as source:
        lines = [tuple(line) for line in iter_lines(source, log, max_line_bytes=max_line_bytes)]
        source.drain()
    return lines, log, source  # type: ignore[return-value]


def test_lines_across_block_boundaries_match_splitlines(tmp_path: Path) -> None:
    # line lengths chosen so that many lines cross the 1 MiB block edges
    body = [json.dumps({"input": "x" * (n * 7919 % 300_000), "output": str(n)}) for n in range(40)]
    data = ("\r\n".join(body[:20]) + "\n" + "\n".join(body[20:])).encode()  # no final newline
    path = tmp_path / "lines.jsonl"
    path.write_bytes(data)
    assert len(data) > 3 * MIB
    lines, log, source = _read(path, max_line_bytes=MIB)
    assert [(n, d) for n, d, _ in lines] == [(i + 1, b.encode()) for i, b in enumerate(body)]
    assert [t for _, _, t in lines] == [True] * 39 + [False]
    assert log.error_count == 0
    assert source.sha256 == hashlib.sha256(data).hexdigest() and source.size == len(data)


def test_over_long_lines_spanning_blocks_are_skipped_with_their_numbers(tmp_path: Path) -> None:
    data = b"first\n" + b"y" * (3 * MIB + 5) + b"\nthird\n" + b"z" * (2 * MIB) + b"\nfifth"
    path = tmp_path / "long.txt"
    path.write_bytes(data)
    lines, log, source = _read(path, max_line_bytes=MIB)
    assert [(n, d) for n, d, _ in lines] == [(1, b"first"), (3, b"third"), (5, b"fifth")]
    assert [(e.line, e.code) for e in log.errors] == [(2, "line.too_long"), (4, "line.too_long")]
    assert source.size == len(data)
