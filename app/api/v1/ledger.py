"""Read access to the ledger, and its verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from flask import Blueprint
from pydantic import BaseModel, BeforeValidator
from sqlmodel import Session, col, select

from app.api.v1.common import Answer, ListQuery, route
from app.auth.roles import READERS
from app.ledger import event_to_dict
from app.ledger.progress import verify_incrementally
from app.ledger.subjects import about_subject_type
from app.models.ledger import LedgerEvent
from app.models.vocabulary import LedgerSubject, normalise_ledger_subject

bp = Blueprint("api_ledger", __name__, url_prefix="/api/v1/ledger")


class LedgerQuery(ListQuery):
    """Filters for ledger events; ``after`` is a sequence number."""

    #: A subject type; an older spelling (``run``) means the same subject and finds the
    #: events stored under either spelling.
    subject_type: Annotated[LedgerSubject, BeforeValidator(normalise_ledger_subject)] | None = None
    subject_id: str | None = None
    actor: str | None = None
    action: str | None = None


class LedgerEventPublic(BaseModel):
    """One ledger event, with the hashes that chain it to the one before."""

    seq: int
    occurred_at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    payload: dict[str, Any]
    payload_sha256: str
    prev_hash: str
    hash: str


class LedgerEventPage(BaseModel):
    """One page of events in chain order; pass next_after as after for the next."""

    items: list[LedgerEventPublic]
    next_after: int | None


class LedgerVerificationPublic(BaseModel):
    """The ledger's state after verifying the events since the last verified one."""

    intact: bool
    events_checked: int
    verified_seq: int | None
    head_hash: str | None
    broken_at: int | None
    broken_kind: str | None
    reason: str | None
    checked_at: datetime | None
    mode: str | None
    last_full_at: datetime | None


@route(bp, "GET", "/events", READERS, answer=LedgerEventPage)
def list_events(session: Session, query: LedgerQuery) -> Answer:
    """Ledger events in chain order."""
    statement = select(LedgerEvent).order_by(col(LedgerEvent.seq))
    if query.subject_type is not None:
        statement = statement.where(about_subject_type(query.subject_type))
    for name in ("subject_id", "actor", "action"):
        value = getattr(query, name)
        if value is not None:
            statement = statement.where(col(getattr(LedgerEvent, name)) == value)
    if query.after is not None:
        statement = statement.where(col(LedgerEvent.seq) > query.after)
    rows = list(session.exec(statement.limit(query.limit + 1)).all())
    items = rows[: query.limit]
    next_after = items[-1].seq if len(rows) > query.limit else None
    return {"items": [event_to_dict(e) for e in items], "next_after": next_after}


@route(bp, "GET", "/verify", READERS, answer=LedgerVerificationPublic)
def verify(session: Session) -> Answer:
    """Verify the events since the last verified one and report the state.

    The whole chain is re-walked by the daily ``ledger-verify`` job and by
    ``gatehouse ledger verify``; ``last_full_at`` says when that last happened.
    """
    state, _head = verify_incrementally(session=session)
    return {
        "intact": state.intact,
        "events_checked": state.events_checked,
        "verified_seq": state.verified_seq,
        "head_hash": state.verified_hash,
        "broken_at": state.broken_seq,
        "broken_kind": state.broken_kind,
        "reason": state.broken_reason,
        "checked_at": state.checked_at.isoformat() if state.checked_at else None,
        "mode": state.mode,
        "last_full_at": state.last_full_at.isoformat() if state.last_full_at else None,
    }
