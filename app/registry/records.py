"""Generic create / read / update / list for registry tables, each change ledgered.

Every entity service builds on these four functions, so the ledger entry, the not-found
error and keyset pagination are written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from sqlmodel import Session, SQLModel, col, func, select

from app.ledger import append_record_event, canonical_json, sha256_hex
from app.models.base import utc_now
from app.models.vocabulary import LedgerSubject
from app.registry.errors import RecordNotFoundError
from app.registry.state_machines import StateMachine

T = TypeVar("T", bound=SQLModel)

#: Largest page a list call returns.
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a keyset-paginated listing; ``next_after`` is the cursor for the next."""

    items: list[T]
    next_after: int | None


def kind_of(model: type[SQLModel]) -> LedgerSubject:
    """The subject type recorded in the ledger for a table (its table name)."""
    return LedgerSubject(str(model.__tablename__))


#: Fields that never enter the ledger, not even hashed: credentials.
_SECRET_FIELDS = frozenset({"password_hash", "token_sha256"})


def ledger_payload(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Scalar changes as they are; JSON blobs by digest, so no bulky or personal content."""
    payload: dict[str, Any] = {}
    for name, value in changes.items():
        if name in _SECRET_FIELDS:
            payload[name] = "(changed)" if value is not None else None
        elif isinstance(value, dict | list):
            payload[name] = {"sha256": sha256_hex(canonical_json(value))}
        elif isinstance(value, Enum):
            payload[name] = value.value
        elif isinstance(value, datetime | date):
            payload[name] = value.isoformat()
        else:
            payload[name] = value
    return payload


def get_record(*, session: Session, model: type[T], record_id: int, lock: bool = False) -> T:
    """The record with ``record_id`` or :class:`RecordNotFoundError`.

    With ``lock`` the row is re-read and locked for the rest of the transaction
    (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite transactions are already
    ``BEGIN IMMEDIATE``), so racing callers serialise and each sees the last one's change.
    """
    if lock:
        record = session.exec(
            select(model)
            .where(model.id == record_id)  # type: ignore[attr-defined]
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
    else:
        record = session.get(model, record_id)
    if record is None:
        raise RecordNotFoundError(kind_of(model).replace("_", " "), record_id)
    return record


def write_record(
    *, session: Session, record: T, action: str, actor: str, payload: dict[str, Any] | None = None
) -> T:
    """Write ``record`` and ledger ``action`` about it in the same transaction.

    The event carries ``payload`` (for a creation that ledgers chosen fields), or else the
    whole row as written (flushed first, so with its id and defaults).
    """
    session.add(record)
    session.flush()
    append_record_event(
        session=session,
        record=record,
        action=action,
        actor=actor,
        payload=ledger_payload(record.model_dump()) if payload is None else payload,
    )
    return record


def create_record(*, session: Session, record: T, actor: str, action: str | None = None) -> T:
    """Insert ``record`` and ledger its creation (the whole row) in the same transaction."""
    created = action or f"{kind_of(type(record))}.created"
    return write_record(session=session, record=record, action=created, actor=actor)


def update_record(
    *,
    session: Session,
    record: T,
    changes: Mapping[str, Any],
    actor: str,
    action: str | None = None,
    note: Mapping[str, Any] | None = None,
) -> T:
    """Apply ``changes`` and ledger the fields that actually changed (plus ``note``)."""
    changed = {name: value for name, value in changes.items() if getattr(record, name) != value}
    if not changed:
        return record
    for name, value in changed.items():
        setattr(record, name, value)
    if hasattr(record, "updated_at"):
        record.updated_at = utc_now()
    return write_record(
        session=session,
        record=record,
        action=action or f"{kind_of(type(record))}.updated",
        actor=actor,
        payload={**ledger_payload(changed), **(note or {})},
    )


def transition_record(
    *,
    session: Session,
    machine: StateMachine[T],
    record_id: int,
    to: str,
    actor: str,
    reason: str = "",
    workflow: str | None = None,
) -> T:
    """Move the record's ``state`` along ``machine``; gated edges need their workflow's name.

    Every run and deployment move goes through here, so the edge check and the ledger
    event (``<kind>.<state>``, with where it came from) are written once.
    """
    record = get_record(session=session, model=machine.model, record_id=record_id)
    current = str(record.state)  # type: ignore[attr-defined]
    machine.check(current, to, workflow=workflow)
    return update_record(
        session=session,
        record=record,
        changes={"state": to},
        actor=actor,
        action=f"{machine.kind}.{to}",
        note={"from": current, "reason": reason} if reason else {"from": current},
    )


def list_records(
    *,
    session: Session,
    model: type[T],
    filters: Mapping[str, Any] | None = None,
    after: int | None = None,
    limit: int = 50,
) -> Page[T]:
    """Records ordered by id, filtered by equality on columns, after the ``after`` cursor."""
    id_column = col(model.id)  # type: ignore[attr-defined]
    query = select(model).order_by(id_column)
    for name, value in (filters or {}).items():
        if value is not None:
            query = query.where(col(getattr(model, name)) == value)
    if after is not None:
        query = query.where(id_column > after)
    size = max(1, min(limit, MAX_PAGE_SIZE))
    rows = list(session.exec(query.limit(size + 1)).all())
    has_more = len(rows) > size
    items = rows[:size]
    return Page(items=items, next_after=items[-1].id if has_more else None)  # type: ignore[attr-defined]


def records_where(*, session: Session, model: type[T], **equal: Any) -> list[T]:
    """Every record whose columns equal ``equal`` (``None`` values are no filter), oldest
    first: for the bounded sets that belong to one parent (a model's campaigns, a request's
    votes), which are read whole rather than paged."""
    query = select(model).order_by(col(model.id))  # type: ignore[attr-defined]
    for name, value in equal.items():
        if value is not None:
            query = query.where(col(getattr(model, name)) == value)
    return list(session.exec(query).all())


def count_records(
    *, session: Session, model: type[T], filters: Mapping[str, Any] | None = None
) -> int:
    """How many records match equality ``filters`` (all when none)."""
    query = select(func.count()).select_from(model)
    for name, value in (filters or {}).items():
        if value is not None:
            query = query.where(col(getattr(model, name)) == value)
    return int(session.exec(query).one())


def count_by(*, session: Session, model: type[T], column: str) -> dict[str, int]:
    """Record counts per value of ``column`` (e.g. runs per state), largest first."""
    field = col(getattr(model, column))
    rows = session.exec(select(field, func.count()).group_by(field)).all()
    return {
        str(value): int(count)
        for value, count in sorted(rows, key=lambda row: (-row[1], str(row[0])))
    }


def newest_records(*, session: Session, model: type[T], limit: int = 10) -> list[T]:
    """The ``limit`` records with the highest ids, newest first."""
    return list(session.exec(select(model).order_by(col(model.id).desc()).limit(limit)).all())  # type: ignore[attr-defined]
