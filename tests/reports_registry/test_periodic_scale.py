"""The periodic report reads a registry of any size in the same few statements.

Gathering a year once listed every decision with one or two lookups each (11-16 s at
12,698 decisions). The statements SQLAlchemy sends while the context is gathered are
counted on an empty registry and on one seeded in bulk (``bench/seeding.py``, the
benchmark's own seeding) with decisions, approvals, audits, red-team findings and
erasure requests; the counts must be equal and small. The seeded context is then
checked against the rows: what the summary counts is what the database holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select

from app.config import Settings
from app.db import session_scope
from app.models.governance import ApprovalRequest, PolicyDecision
from app.models.vocabulary import ApprovalStatus, DecisionOutcome
from app.policy.catalogue import load_catalogue
from app.reports.prepared import Period, ReportRequest
from app.reports.service import build_context
from bench.seeding import Scale, seed_registry

PERIOD = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
#: More than enough for the report's reads; the point is that it does not grow.
MOST_STATEMENTS = 25


@contextmanager
def _counting(engine: sa.Engine) -> Iterator[list[str]]:
    """Every statement sent through ``engine`` inside the block."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _gather(engine: sa.Engine, settings: Settings) -> tuple[dict[str, Any], list[str]]:
    with _counting(engine) as statements, session_scope(engine) as session:
        prepared = build_context(
            session=session,
            settings=settings,
            request=ReportRequest("periodic_compliance", period=PERIOD),
            actor="olivia",
            generated_at=dt.datetime(2027, 1, 2, tzinfo=dt.UTC),
        )
    return dict(prepared.context), statements


def test_gathering_issues_the_same_few_statements_at_any_size(
    engine: sa.Engine, settings: Settings
) -> None:
    empty, empty_statements = _gather(engine, settings)
    assert empty["totals"]["decisions"] == 0
    scale = Scale(
        runs=400,
        models=40,
        decisions=900,
        requests=240,
        datasets=12,
        start=dt.datetime(2026, 1, 3, tzinfo=dt.UTC),
        end=dt.datetime(2026, 12, 20, tzinfo=dt.UTC),
        indeterminate_every=45,
        audits=10,
        red_team=6,
        erasures=4,
    )
    controls = [control.id for control in load_catalogue(policy_dir=settings.policy_dir)]
    seed_registry(engine, scale, controls)
    context, statements = _gather(engine, settings)
    assert len(statements) == len(empty_statements) <= MOST_STATEMENTS, statements

    totals = context["totals"]
    with session_scope(engine) as session:
        outcomes = dict(
            session.exec(
                select(PolicyDecision.outcome, func.count()).group_by(col(PolicyDecision.outcome))
            ).all()
        )
        pending = session.exec(
            select(func.count()).where(
                col(ApprovalRequest.status) == ApprovalStatus.PENDING,
                col(ApprovalRequest.expires_at) < PERIOD.ends_before + dt.timedelta(days=30),
            )
        ).one()
    assert totals["decisions"] == scale.decisions
    assert totals["indeterminate"] == outcomes[DecisionOutcome.INDETERMINATE] == 20
    assert totals["allowed"] == outcomes[DecisionOutcome.ALLOWED]
    assert totals["denied"] == outcomes[DecisionOutcome.DENIED]
    assert sum(row["indeterminate"] for row in context["decisions_by_month"]) == 20
    assert [row["label"] for row in context["decisions_by_month"]] == [
        f"2026-{month:02d}" for month in range(1, 13)
    ]
    assert (
        sum(
            row[outcome]
            for row in context["decisions_by_month"]
            for outcome in ("allowed", "denied")
        )
        == totals["allowed"] + totals["denied"]
    )
    assert totals["expiring_approvals"] == pending
    assert len(context["expiring_approvals"]) == min(pending, 25)
    assert context["listings"]["decisions"]["rows"][0]["subject"].startswith("run run-")
    assert len(context["listings"]["decisions"]["rows"]) == scale.decisions
    # Every denied decision names one control, so the control tallies add up to them.
    assert (
        sum(row["decisions"] for row in context["listings"]["controls"]["rows"]) == totals["denied"]
    )
    sources = {finding["source"] for finding in context["listings"]["findings"]["rows"]}
    assert sources >= {"policy", "red_team", "erasure"}
    assert any(
        "(indeterminate)" in finding["reference"]
        for finding in context["listings"]["findings"]["rows"]
    )
    assert {row["last_decision"] for row in context["listings"]["models"]["rows"]} <= {
        "allowed",
        "denied",
        "indeterminate",
        None,
    }
    assert sum(1 for row in context["listings"]["models"]["rows"] if row["last_audit_at"]) == 10
