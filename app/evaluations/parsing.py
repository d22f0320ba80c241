"""Reading imported files strictly: every problem is collected with its line or field,
and a file with any problem is rejected whole.

The parsers build plain values through :class:`Issues`, whose getters record a located
issue and return ``None`` instead of raising, so one pass reports every problem.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from app.evaluations.errors import ImportFileError, ImportIssue
from app.models.base import utc_now

#: How far ahead of Gatehouse's clock a measuring machine's may be (the policy tolerates
#: the same: ``clock_skew_ns`` in policies/lib/controls).
CLOCK_SKEW = timedelta(minutes=5)

__all__ = ["Issues", "load_json", "read_jsonl"]


class Issues:
    """The issues found in one file; :meth:`raise_if_any` rejects the file."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.items: list[ImportIssue] = []

    def add(self, location: str, message: str) -> None:
        """Record one problem at ``location`` (e.g. ``line 4, field 'passed'``)."""
        self.items.append(ImportIssue(location, message))

    def raise_if_any(self) -> None:
        """Reject the file when anything was wrong with it."""
        if self.items:
            raise ImportFileError(self.file_name, self.items)

    def objects(self, items: list[Any], name: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each object of the array ``name`` with its location (``results[3]``); any other
        item is an issue and skipped."""
        for index, item in enumerate(items):
            where = f"{name}[{index}]"
            if isinstance(item, dict):
                yield where, item
            else:
                self.add(where, "must be an object")

    def text(
        self, record: dict[str, Any], key: str, where: str, *, required: bool = True
    ) -> str | None:
        """A non-empty string field, or ``None`` (an issue when required)."""
        value = record.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(
                _at(where, key), "must be a non-empty string" if key in record else "is missing"
            )
            return None
        return value.strip()

    def number(
        self, record: dict[str, Any], key: str, where: str, *, required: bool = True
    ) -> float | None:
        """A finite number field, or ``None`` (an issue when required or malformed)."""
        value = self._given(record, key, where, required=required)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.add(_at(where, key), f"must be a finite number, not {json.dumps(value)[:40]}")
            return None
        return float(value)

    def count(self, record: dict[str, Any], key: str, where: str) -> int | None:
        """A required non-negative whole number."""
        value = record.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.add(
                _at(where, key),
                "is missing" if value is None else "must be a non-negative whole number",
            )
            return None
        return value

    def timestamp(
        self, record: dict[str, Any], key: str, where: str, *, required: bool = True
    ) -> datetime | None:
        """An ISO 8601 timestamp with a zone (or a Unix time in seconds), as UTC."""
        value = self._given(record, key, where, required=required)
        return None if value is None else self.parse_time(value, _at(where, key))

    def _given(self, record: dict[str, Any], key: str, where: str, *, required: bool) -> Any:
        """The field's value, or ``None`` when it is absent or null (an issue when required);
        the typed getters then judge the value itself."""
        value = record.get(key)
        if value is None and required:
            self.add(_at(where, key), "is missing")
        return value

    def parse_time(self, value: Any, location: str) -> datetime | None:
        """``value`` as a UTC timestamp, or ``None`` with an issue at ``location``: a
        measurement time must be a real instant (years 1-9999 in UTC) and not later than
        now (beyond a clock skew), or it would count as the newest, fresh result for ever."""
        try:
            moment = _moment(value)
        except (OverflowError, OSError, ValueError):
            self.add(location, "is outside the years 1-9999")
            return None
        if moment is None:
            self.add(location, "must be an ISO 8601 timestamp with a time zone")
        elif moment > utc_now() + CLOCK_SKEW:
            self.add(location, "is in the future: a measurement is recorded after it is taken")
            return None
        return moment


def _moment(value: Any) -> datetime | None:
    """A Unix time in seconds or an ISO 8601 text with a zone, as UTC; None for anything
    else. Raises for an instant no datetime holds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(float(value), tz=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    return None


def _at(where: str, key: str) -> str:
    return f"{where}, field '{key}'" if where else f"field '{key}'"


def load_json(text: str, file_name: str) -> Any:
    """The JSON document in ``text``, or an error naming the line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(
            file_name,
            [
                ImportIssue(
                    f"line {error.lineno}, column {error.colno}", f"invalid JSON: {error.msg}"
                )
            ],
        ) from None


def read_jsonl(text: str, issues: Issues) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line of a JSON Lines file as (line number, object)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            issues.add(f"line {number}, column {error.colno}", f"invalid JSON: {error.msg}")
            continue
        if not isinstance(record, dict):
            issues.add(f"line {number}", "must be a JSON object")
            continue
        yield number, record
