"""Guess a dataset file's format from its name and first records.

Looks at the extension (``.csv``, ``.parquet``), the Parquet magic number, then the
first few JSON Lines records' keys (``messages``, ``contents``, ``prompt`` +
``completion``, ``input`` + ``output``) or a leading ``Human:`` line. Reads at most a
few lines, so it is cheap on any file. The user can always force the format instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from app.formats.tabular import PARQUET_MAGIC

__all__ = ["detect_format"]

_LINES_TO_TRY = 20
_LINE_LIMIT = 8 * 1024 * 1024
_KEY_HINTS = (
    (re.compile(rb'^\s*\{\s*"messages"\s*:'), "openai_chat"),
    (
        re.compile(rb'^\s*\{\s*"(contents|systemInstruction|system_instruction)"\s*:'),
        "gemini_multimodal",
    ),
)


def _format_of_keys(value: object) -> str | None:
    if not isinstance(value, dict):
        return None
    if "messages" in value:
        return "openai_chat"
    if "contents" in value:
        return "gemini_multimodal"
    if "prompt" in value and "completion" in value:
        return "anthropic_text"
    if "input" in value and "output" in value:
        return "llama_io"
    return None


def detect_format(path: Path) -> str | None:
    """The format name of ``path``, or ``None`` when it cannot be told."""
    if path.suffix.lower() in (".parquet", ".pq"):
        return "tabular"
    if path.suffix.lower() == ".csv":
        return "tabular"
    with path.open("rb") as file:
        if file.read(4) == PARQUET_MAGIC:
            return "tabular"
        file.seek(0)
        for index in range(_LINES_TO_TRY):
            line = file.readline(_LINE_LIMIT)
            if not line:
                return None
            if index == 0:
                line = line.removeprefix(b"\xef\xbb\xbf")
            if not line.strip():
                continue
            if line.lstrip().startswith(b"Human:"):
                return "anthropic_text"
            try:
                found = _format_of_keys(orjson.loads(line))
            except orjson.JSONDecodeError:
                found = next((name for pattern, name in _KEY_HINTS if pattern.match(line)), None)
            if found:
                return found
    return None
