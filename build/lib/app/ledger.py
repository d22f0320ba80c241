"""The tamper-evident ledger: a hash chain of every state change.

Each event's hash covers its sequence number, time, actor, action, subject, the SHA-256
of its payload and the previous event's hash, so editing, deleting or reordering any row
breaks the chain at a point :func:`verify_chain` names. Events are appended inside the
caller's transaction, so a state change and its event commit or vanish together.

Concurrency: writers serialise on the chain's tail. PostgreSQL takes a transaction-level
advisory lock; SQLite transactions are ``BEGIN IMMEDIATE`` (see ``app.db``), which holds
the database's write lock from the first statement.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from app.models.base import utc_now
from app.models.ledger import LedgerEvent

__all__ = [
    "GENESIS_HASH",
    "SCHEDULER_ACTOR",
    "ChainBreak",
    "VerificationOutcome",
    "append_event",
    "canonical_json",
    "event_to_dict",
    "export_jsonl",
    "recent_events",
    "sha256_hex",
    "verify_chain",
]

#: The ``prev_hash`` of the first event.
GENESIS_HASH = "0" * 64
#: The actor the ledger records for what the scheduler does (expiry, audits, syncs).
SCHEDULER_ACTOR = "scheduler"
#: Arbitrary constant naming the ledger's advisory lock on PostgreSQL.
_ADVISORY_LOCK_KEY = 0x6761746568

_VERIFY_BATCH = 2000


def canonical_json(value: Any) -> bytes:
    """The one JSON encoding that hashes are computed over (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


#: The fields an event's hash covers, in the order they are hashed.
_HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "payload_sha256",
    "prev_hash",
)


def _event_hash(event: LedgerEvent) -> str:
    """SHA-256 over the event's hashed fields and its predecessor's hash."""
    fields = {name: getattr(event, name) for name in _HASHED_FIELDS}
    fields["occurred_at"] = event.occurred_at.isoformat()
    return sha256_hex(canonical_json(fields))


def _lock_tail(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})


def append_event(
    *,
    session: Session,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    payload: dict[str, Any] | None = None,
) -> LedgerEvent:
    """Append one event to the chain inside the caller's transaction.

    ``payload`` must hold references and classifications only, never raw personal data.
    """
    _lock_tail(session)
    tail = session.exec(select(LedgerEvent).order_by(col(LedgerEvent.seq).desc()).limit(1)).first()
    seq = 1 if tail is None else tail.seq + 1
    prev_hash = GENESIS_HASH if tail is None else tail.hash
    body = payload or {}
    event = LedgerEvent(
        seq=seq,
        # Microsecond precision survives every backend, so the hash can be recomputed.
        occurred_at=utc_now(),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        payload=body,
        payload_sha256=sha256_hex(canonical_json(body)),
        prev_hash=prev_hash,
        hash="",
    )
    event.hash = _event_hash(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the chain does not hold, and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"ledger broken at event {self.seq}: {self.reason}"


@dataclass(frozen=True)
class VerificationOutcome:
    """Result of walking the chain: how many events were checked and the first break."""

    events_checked: int
    head_hash: str
    broken: ChainBreak | None

    @property
    def intact(self) -> bool:
        """True when every event links to its predecessor and hashes to itself."""
        return self.broken is None


def _events_in_order(session: Session) -> Iterator[LedgerEvent]:
    last_seq = 0
    while True:
        batch = session.exec(
            select(LedgerEvent)
            .where(col(LedgerEvent.seq) > last_seq)
            .order_by(col(LedgerEvent.seq))
            .limit(_VERIFY_BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        last_seq = batch[-1].seq


def _check_event(event: LedgerEvent, *, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq != expected_seq:
        return f"expected sequence number {expected_seq}, found {event.seq} (event missing)"
    if event.prev_hash != prev_hash:
        return "prev_hash does not match the hash of the event before it (deleted or reordered)"
    if sha256_hex(canonical_json(event.payload)) != event.payload_sha256:
        return "payload does not match its payload_sha256 (payload edited)"
    recomputed = _event_hash(event)
    if recomputed != event.hash:
        return "hash does not match the event's fields (event edited)"
    return None


def verify_chain(*, session: Session) -> VerificationOutcome:
    """Walk the whole chain in sequence order and report the first broken event."""
    prev_hash = GENESIS_HASH
    checked = 0
    for event in _events_in_order(session):
        reason = _check_event(event, expected_seq=checked + 1, prev_hash=prev_hash)
        if reason is not None:
            return VerificationOutcome(checked, prev_hash, ChainBreak(event.seq, reason))
        prev_hash = event.hash
        checked += 1
    return VerificationOutcome(checked, prev_hash, None)


def event_to_dict(event: LedgerEvent) -> dict[str, Any]:
    """The public, JSON-able form of an event (API, export, reports)."""
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "payload": event.payload,
        "payload_sha256": event.payload_sha256,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def recent_events(*, session: Session, limit: int = 100) -> list[LedgerEvent]:
    """The newest ``limit`` events, newest first."""
    return list(
        session.exec(select(LedgerEvent).order_by(col(LedgerEvent.seq).desc()).limit(limit)).all()
    )


def export_jsonl(*, session: Session, out: IO[str]) -> int:
    """Write every event as one JSON line, in chain order; returns the count."""
    count = 0
    for event in _events_in_order(session):
        out.write(json.dumps(event_to_dict(event), sort_keys=True) + "\n")
        count += 1
    return count
