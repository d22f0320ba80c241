"""Words for JSON values in error messages, so every format describes mistakes alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeGuard, TypeVar

import orjson

from app.formats.issues import IssueLog
from app.formats.source import JsonRecord

__all__ = ["describe", "expected_one_of", "has_type", "record_object", "type_name"]

_SAMPLE_CHARS = 40

T = TypeVar("T", dict, list, str)


def type_name(value: object) -> str:
    """JSON type name of a parsed value (``object``, ``array``, ``string`` ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def has_type(value: object, expected: type[T], line: int, path: str, log: IssueLog) -> TypeGuard[T]:
    """True when ``value`` is a JSON object, array or string as ``expected``; otherwise logs
    ``expected <type>; got <type>`` at ``path`` (code ``field.type``) and is False."""
    if isinstance(value, expected):
        return True
    wanted = {dict: "object", list: "array", str: "string"}[expected]
    log.error(line, path, f"expected {wanted}; got {type_name(value)}", "field.type")
    return False


def describe(value: object) -> str:
    """Short JSON rendering of a value for a message (cut to a few dozen characters)."""
    if isinstance(value, dict | list):
        return type_name(value)
    text = orjson.dumps(value).decode()
    return text if len(text) <= _SAMPLE_CHARS else text[: _SAMPLE_CHARS - 1] + "…"


def expected_one_of(allowed: Iterable[str], value: object) -> str:
    """``expected one of a, b, c; got "x"`` — the message for an enumerated field."""
    return f"expected one of {', '.join(allowed)}; got {describe(value)}"


def record_object(record: JsonRecord, log: IssueLog) -> dict[str, Any] | None:
    """The record's JSON object, or ``None`` after logging that the line holds another type."""
    if isinstance(record.value, dict):
        return record.value
    log.error(
        record.line, "", f"expected a JSON object; got {type_name(record.value)}", "record.type"
    )
    return None
