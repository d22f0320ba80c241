"""Guess a dataset file's format from its name and first records, and say why.

Looks at the extension (``.csv``, ``.parquet``), the Parquet magic number, a leading
``Human:`` line, then the first JSON Lines record: each registered format in turn
(:func:`app.formats.catalog.entries`, most specific first) says whether the record's
keys are its own. Some files fit several formats (bare user/assistant ``messages`` are
OpenAI chat, Claude-on-Bedrock and TRL data alike): detection names the first and lists
the others whose rules the sampled records also meet, so the user can choose. Reads at
most a few lines, so it is cheap on any file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from app.formats.catalog import entries
from app.formats.issues import IssueLog
from app.formats.source import JsonRecord
from app.formats.tabular import PARQUET_MAGIC

__all__ = ["Detection", "detect_format", "explain_format"]

_LINES_TO_TRY = 20
_LINE_LIMIT = 8 * 1024 * 1024


@dataclass(frozen=True)
class Detection:
    """The detected format (or ``None``), why, and the other formats the file fits."""

    format: str | None
    reason: str
    also_fits: tuple[str, ...] = ()


def _sample(path: Path) -> tuple[list[tuple[int, Any]], str | None]:
    """Up to 20 parsed records (line, value), or a reason they cannot be read."""
    records: list[tuple[int, Any]] = []
    with path.open("rb") as file:
        for number in range(1, _LINES_TO_TRY + 1):
            line = file.readline(_LINE_LIMIT)
            if not line:
                break
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            if not line.strip():
                continue
            if not records and line.lstrip().startswith(b"Human:"):
                return [], "text form"
            try:
                records.append((number, orjson.loads(line)))
            except orjson.JSONDecodeError:
                if not records:
                    return [], f"line {number} is not JSON and does not start with Human:"
    if not records:
        return [], "the file holds no records"
    return records, None


def _fits(name: str, records: list[tuple[int, Any]]) -> bool:
    """True when every sampled record meets format ``name``'s rules."""
    spec = next(e for e in entries() if e.name == name).handler()
    log = IssueLog(limit=0)
    return (
        all(spec.check(JsonRecord(line, value, b""), log) is not None for line, value in records)
        and not log.error_count
    )


def explain_format(path: Path) -> Detection:
    """The format of ``path`` with the reason, or ``None`` and why it cannot be told."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq", ".csv"):
        return Detection("tabular", f"the file name ends in {suffix}")
    with path.open("rb") as file:
        if file.read(4) == PARQUET_MAGIC:
            return Detection("tabular", "the file starts with the Parquet magic number")
    records, problem = _sample(path)
    if problem == "text form":
        return Detection("anthropic_text", "the first line starts with Human:")
    if problem is not None:
        return Detection(None, problem)
    line, first = records[0]
    if not isinstance(first, dict):
        return Detection(None, f"line {line} holds a JSON {type(first).__name__}, not an object")
    objects = [(n, value) for n, value in records if isinstance(value, dict)]
    claimers = [e.name for e in entries() if e.claims(first)]
    keys = ", ".join(first) or "no keys"
    if not claimers:
        return Detection(None, f"line {line} has {keys}, which match no known format")
    chosen = claimers[0]
    others = tuple(
        e.name for e in entries() if e.name != chosen and e.text and _fits(e.name, objects)
    )
    reason = f"line {line} has {keys}, the keys of {chosen}"
    if others:
        reason += (
            f"; the sampled records also meet the rules of {', '.join(others)} "
            "(give the format to read them as one of those)"
        )
    return Detection(chosen, reason, others)


def detect_format(path: Path) -> str | None:
    """The format name of ``path``, or ``None`` when it cannot be told."""
    return explain_format(path).format
