"""The context of the periodic compliance report: a summary and the listings behind it.

A year of a busy registry holds tens of thousands of decisions and thousands of pending
approvals. Printed one per row that is hundreds of pages nobody reads and a render that
does not finish, so the report prints counts, trends, the exceptions that need someone
and the top findings, each table capped at :data:`SHOWN`, and names how many rows it
left out. The full listings travel in ``listings``, which the report embeds as
machine-readable evidence (PDF/A-3 associated files) under the signature.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, TypedDict

from app.reports.contexts import Finding, ReportMeta

__all__ = [
    "SHOWN",
    "ControlTally",
    "DatasetRow",
    "ExpiringApproval",
    "Listing",
    "ModelRow",
    "OutcomeTally",
    "PeriodTotals",
    "PeriodicComplianceContext",
    "ReportPeriod",
    "SeverityTally",
    "StateTally",
]

#: Most rows a table of the printed report shows; the listings hold every row.
SHOWN = 25

#: A gate decision's outcome as reports print it (``DecisionOutcome``'s values).
Outcome = Literal["allowed", "denied", "indeterminate"]


class ReportPeriod(TypedDict):
    """The period covered, inclusive."""

    start: dt.date
    end: dt.date
    label: str
    """e.g. ``Q3 2026``."""


class PeriodTotals(TypedDict):
    """The headline counts of the overview."""

    model_versions: int
    dataset_versions: int
    decisions: int
    allowed: int
    denied: int
    """Denied by a policy."""
    indeterminate: int
    """The engine gave no answer (a deny too, kept apart: nobody decided)."""
    open_findings: int
    expiring_approvals: int


class OutcomeTally(TypedDict):
    """Decisions of one gate, or of one month, by outcome."""

    label: str
    allowed: int
    denied: int
    indeterminate: int


class ControlTally(TypedDict):
    """A control and how many decisions in the period it failed."""

    control_id: str
    title: str
    regulation: str
    severity: str
    decisions: int


class SeverityTally(TypedDict):
    """Open findings of one severity."""

    severity: str
    count: int


class StateTally(TypedDict):
    """Model versions in one state, by risk tier."""

    state: str
    high: int
    medium: int
    low: int
    unassigned: int
    total: int


class ModelRow(TypedDict):
    """One model version's standing at the end of the period."""

    name: str
    version: str
    risk_tier: Literal["high", "medium", "low", "unassigned"]
    domain: str
    state: str
    environments: list[str]
    last_decision: Outcome | None
    """The outcome of the newest production-promotion decision about it, if any."""
    last_audit_at: dt.datetime | None
    open_findings: int


class DatasetRow(TypedDict):
    """One dataset version's standing at the end of the period."""

    name: str
    version: str
    classification: str
    lawful_basis: str
    retention_until: dt.date | None
    open_findings: int


class ExpiringApproval(TypedDict):
    """A pending approval request that lapses in the period or soon after."""

    request_id: int
    subject: str
    """``gate: subject``."""
    required: str
    """``1 × compliance_officer, 1 × model_risk``."""
    votes: int
    """Votes cast so far."""
    expires_at: dt.datetime


class Listing(TypedDict):
    """A full listing the printed report summarises, embedded as a JSON file."""

    name: str
    """File name inside the PDF (``gatehouse-periodic-<what>.json``)."""
    description: str
    rows: list[dict[str, Any]]


class PeriodicComplianceContext(TypedDict):
    """Kind ``periodic_compliance``: counts, trends and exceptions, and the listings."""

    meta: ReportMeta
    period: ReportPeriod
    totals: PeriodTotals
    decisions_by_gate: list[OutcomeTally]
    decisions_by_month: list[OutcomeTally]
    """One entry per calendar month the period touches, in order, zeros included."""
    failing_controls: list[ControlTally]
    """Controls named in violations in the period, most decisions first (capped)."""
    findings_by_severity: list[SeverityTally]
    top_findings: list[Finding]
    """The most severe, oldest open findings (capped; ``totals`` has the count)."""
    models_by_state: list[StateTally]
    model_exceptions: list[ModelRow]
    """Models whose last promotion was not allowed or that have open findings (capped)."""
    model_exception_count: int
    dataset_exceptions: list[DatasetRow]
    """Dataset versions with open findings (capped)."""
    dataset_exception_count: int
    expiring_approvals: list[ExpiringApproval]
    """Soonest first (capped; ``totals`` has the count)."""
    listings: dict[str, Listing]
    """The full listings by what they hold (``decisions``, ``findings``, ``controls``,
    ``models``, ``datasets``, ``approvals``)."""
