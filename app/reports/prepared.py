"""What a door asks for (:class:`ReportRequest`) and what is ready to render (:class:`PreparedReport`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.errors import ValidationError

if TYPE_CHECKING:
    from app.reports.attachments import EvidenceFile

__all__ = ["Period", "PreparedReport", "ReportRequest"]


@dataclass(frozen=True)
class Period:
    """A reporting period; both days are included."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        """Refuse a period that ends before it starts."""
        if self.end < self.start:
            raise ValidationError(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def label(self) -> str:
        """``Q4 2026``, ``November 2026`` or ``2026-11-01 to 2026-11-15``."""
        next_day = self.end + dt.timedelta(days=1)
        if self.start.day == 1 and next_day.day == 1:
            months = (next_day.year - self.start.year) * 12 + next_day.month - self.start.month
            if months == 1:
                return self.start.strftime("%B %Y")
            if months == 3 and self.start.month % 3 == 1:
                return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
            if months == 12 and self.start.month == 1:
                return str(self.start.year)
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    @property
    def starts_at(self) -> dt.datetime:
        """The first instant of the period (UTC)."""
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=dt.UTC)

    @property
    def ends_before(self) -> dt.datetime:
        """The first instant after the period (UTC)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)

    def covers(self, timestamp: Any) -> Any:
        """The SQL condition that the UTC ``timestamp`` column falls within the period."""
        return (timestamp >= self.starts_at) & (timestamp < self.ends_before)

    @classmethod
    def between(cls, start: dt.date | None, end: dt.date | None) -> Period | None:
        """The period from two optional form or command-line dates; ``None`` unless both."""
        if start is None or end is None:
            return None
        return cls(start, end)


@dataclass(frozen=True)
class ReportRequest:
    """One report to generate: a kind and its subject (a registry id, or a period)."""

    kind: str
    """A registered kind (see :func:`app.reports.kind.report_kinds`)."""
    subject_id: int | None = None
    """The registry id of the subject; ``None`` for a kind about a period."""
    period: Period | None = None
    """The period of a kind about a period."""


@dataclass(frozen=True)
class PreparedReport:
    """A report's context, gathered and ready to render, with what it is about."""

    kind: str
    subject_type: str
    subject_id: int | None
    period: Period | None
    context: Mapping[str, Any]
    evidence: tuple[EvidenceFile, ...] = ()
    """The files the report embeds (the kind's :attr:`~app.reports.kind.ReportKind.evidence`)."""
