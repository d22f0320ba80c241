"""Read access to the ledger, and its verification."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlmodel import col, select

from app.api.v1.common import ListQuery
from app.api.v1.spec import spec
from app.auth.guard import allow
from app.auth.roles import READERS
from app.db import unit_of_work
from app.ledger import event_to_dict, verify_chain
from app.models.ledger import LedgerEvent

bp = Blueprint("api_ledger", __name__, url_prefix="/api/v1/ledger")


class LedgerQuery(ListQuery):
    """Filters for ledger events; ``after`` is a sequence number."""

    subject_type: str | None = None
    subject_id: str | None = None
    actor: str | None = None
    action: str | None = None


@bp.get("/events")
@allow(*READERS, scope="read")
@spec.validate(query=LedgerQuery, tags=["ledger"])
def list_events(query: LedgerQuery) -> Any:
    """Ledger events in chain order."""
    statement = select(LedgerEvent).order_by(col(LedgerEvent.seq))
    for name in ("subject_type", "subject_id", "actor", "action"):
        value = getattr(query, name)
        if value is not None:
            statement = statement.where(col(getattr(LedgerEvent, name)) == value)
    if query.after is not None:
        statement = statement.where(col(LedgerEvent.seq) > query.after)
    with unit_of_work() as session:
        rows = list(session.exec(statement.limit(query.limit + 1)).all())
        items = rows[: query.limit]
        next_after = items[-1].seq if len(rows) > query.limit else None
        return jsonify({"items": [event_to_dict(e) for e in items], "next_after": next_after})


@bp.get("/verify")
@allow(*READERS, scope="read")
@spec.validate(tags=["ledger"])
def verify() -> Any:
    """Walk the chain and report the first broken event, if any."""
    with unit_of_work() as session:
        outcome = verify_chain(session=session)
    broken = outcome.broken
    return jsonify(
        {
            "intact": outcome.intact,
            "events_checked": outcome.events_checked,
            "head_hash": outcome.head_hash,
            "broken_at": broken.seq if broken else None,
            "reason": broken.reason if broken else None,
        }
    )
