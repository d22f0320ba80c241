"""Liveness and readiness for operators (the figures are in ``app.metrics``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.auth.guard import public
from app.db import current_engine
from app.gates.engine_binding import current_policy_engine
from app.migrations import current_revision, head_revision

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> Any:
    """The process is up."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@public
def readyz() -> Any:
    """The database answers and is migrated to the newest revision, and the policy engine
    answers: without either, every gate would deny as indeterminate."""
    engine = current_engine()
    policy = current_policy_engine()
    unready = policy.unready_reason()
    policy_state = f"{policy.name}: " + (unready or "ready")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = current_revision(engine)
    except Exception as error:  # any driver error means not ready
        return jsonify(
            {
                "status": "unavailable",
                "database": f"unreachable ({type(error).__name__})",
                "policy_engine": policy_state,
            }
        ), 503
    head = head_revision(str(engine.url))
    if current != head or unready is not None:
        return jsonify(
            {
                "status": "unavailable",
                "database": "reachable",
                "migration": current,
                "expected": head,
                "policy_engine": policy_state,
            }
        ), 503
    return jsonify({"status": "ready", "migration": current, "policy_engine": policy_state})
