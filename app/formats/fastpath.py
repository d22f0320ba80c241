"""Validation's fast pass for JSON Lines formats that offer a typed reader.

Lines arrive in blocks (about 1 MiB); a block is decoded in one call into the format's
typed structures (:class:`~app.formats.spec.TypedReader`). When a block holds a line
that does not fit, its lines are decoded one by one, and each line that still does not
fit (or whose record breaks a rule) takes the ordinary path: parsed as JSON and checked
by the format, so its errors read exactly as they would without the fast pass.
"""

from __future__ import annotations

from contextlib import suppress

import msgspec

from app.formats.issues import IssueLog
from app.formats.limits import LimitsCollector
from app.formats.source import DatasetSource, iter_line_blocks, parse_line
from app.formats.spec import FormatSpec, RecordSummary, TypedReader
from app.formats.stats import StatsCollector

__all__ = ["read_typed"]


def _as_array(lines: list[bytes]) -> bytes:
    """The lines as one JSON array, copied once (``b"[" + joined + b"]"`` copies it thrice)."""
    if len(lines) == 1:
        return b"[" + lines[0] + b"]"
    return b",".join([b"[" + lines[0], *lines[1:-1], lines[-1] + b"]"])


def read_typed(
    spec: FormatSpec,
    typed: TypedReader,
    source: DatasetSource,
    log: IssueLog,
    stats: StatsCollector,
    limits: LimitsCollector,
    *,
    max_line_bytes: int,
) -> None:
    """Validate every line of ``source`` with ``typed`` first, ``spec`` when it does not fit."""
    summarize = typed.summarize
    count_raw, add_summary, check_length = stats.count_raw, stats.add_summary, limits.check_length

    def ordinary(number: int, data: bytes, terminated: bool) -> None:
        record = parse_line(number, data, terminated, log)
        if record is None:
            return
        stats.count_record(record, log)
        summary = spec.check(record, log)
        if summary is not None:
            stats.add_valid(record, summary, log)
            check_length(number, summary.text_chars, log)

    for block in iter_line_blocks(source, log, max_line_bytes=max_line_bytes):
        lines, first = block.lines, block.first
        items = None
        if block.terminated:
            try:
                items = typed.decode_many(_as_array(lines))
            except (msgspec.DecodeError, UnicodeDecodeError):  # a line does not fit: one by one
                items = None
        if items is None:
            last = len(lines) - 1
            for offset, data in enumerate(lines):
                number = first + offset
                summary: RecordSummary | None = None
                with suppress(msgspec.DecodeError, UnicodeDecodeError):
                    summary = summarize(typed.decode_one(data))
                if summary is None:
                    ordinary(number, data, block.terminated or offset < last)
                else:
                    count_raw(number, data, log)
                    add_summary(number, summary, log)
                    check_length(number, summary.text_chars, log)
            continue
        columns = typed.columns(items)
        if columns is not None:
            stats.count_raws(first, lines, log)
            stats.add_columns(first, columns, log)
            limits.check_lengths(first, columns.text_chars, log)
            continue
        for offset, item in enumerate(items):
            number = first + offset
            summary = summarize(item)
            if summary is None:
                ordinary(number, lines[offset], True)
            else:
                count_raw(number, lines[offset], log)
                add_summary(number, summary, log)
                check_length(number, summary.text_chars, log)
