"""Liveness, readiness and metrics for operators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import func, text
from sqlmodel import select

from app.auth.guard import public
from app.db import current_engine, unit_of_work
from app.migrations import current_revision, head_revision
from app.models.governance import PolicyDecision
from app.models.ledger import LedgerEvent

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> Any:
    """The process is up."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@public
def readyz() -> Any:
    """The database answers and is migrated to the newest revision."""
    engine = current_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = current_revision(engine)
    except Exception as error:  # any driver error means not ready
        return jsonify(
            {"status": "unavailable", "database": f"unreachable ({type(error).__name__})"}
        ), 503
    head = head_revision(str(engine.url))
    if current != head:
        return jsonify(
            {
                "status": "unavailable",
                "database": "reachable",
                "migration": current,
                "expected": head,
            }
        ), 503
    return jsonify({"status": "ready", "migration": current})


@bp.get("/metrics")
@public
def metrics() -> Response:
    """A few counters in the Prometheus text format."""
    with unit_of_work() as session:
        events = session.exec(select(func.count()).select_from(LedgerEvent)).one()
        decisions = session.exec(
            select(PolicyDecision.allow, func.count()).group_by(PolicyDecision.allow)  # type: ignore[arg-type]
        ).all()
    lines = [
        "# HELP gatehouse_ledger_events Events in the ledger.",
        "# TYPE gatehouse_ledger_events gauge",
        f"gatehouse_ledger_events {events}",
        "# HELP gatehouse_policy_decisions Stored policy decisions by outcome.",
        "# TYPE gatehouse_policy_decisions gauge",
    ]
    for allowed, count in decisions:
        lines.append(f'gatehouse_policy_decisions{{allow="{str(bool(allowed)).lower()}"}} {count}')
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")
