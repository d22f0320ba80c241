"""The tamper-evident ledger: a hash chain of every state change.

Each event's hash covers its sequence number, time, actor, action, subject, the SHA-256
of its payload and the previous event's hash, so editing, deleting or reordering any row
breaks the chain at a point :func:`verify_chain` names. Events are appended inside the
caller's transaction, so a state change and its event commit or vanish together.

A chain alone cannot see its own end cut off, nor a rewrite that re-hashes everything
from some event on: both leave a chain that is consistent with itself. That is what a
known head (:class:`ChainPosition`, e.g. from a signed checkpoint) is for: given one,
:func:`verify_chain` also proves the ledger still reaches it, unchanged.

Concurrency: writers serialise on the chain's tail. PostgreSQL takes a transaction-level
advisory lock; SQLite transactions are ``BEGIN IMMEDIATE`` (see ``app.db``), which holds
the database's write lock from the first statement.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from json.encoder import encode_basestring_ascii
from typing import IO, Any

from sqlalchemy import select as core_select
from sqlalchemy import text
from sqlmodel import Session, SQLModel, col, select

from app.db import PreparedStatement, prepared_insert, read_rows, table_of
from app.ledger.rows import iter_hashes, iter_verification_rows
from app.models.base import EncodedJSON, utc_now
from app.models.ledger import LedgerEvent
from app.models.vocabulary import LedgerSubject

__all__ = [
    "GENESIS",
    "GENESIS_HASH",
    "SCHEDULER_ACTOR",
    "AppendedEvent",
    "BreakKind",
    "ChainBreak",
    "ChainPosition",
    "VerificationOutcome",
    "append_event",
    "append_record_event",
    "canonical_json",
    "event_bytes",
    "event_to_dict",
    "export_jsonl",
    "head_position",
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

_EXPORT_BATCH = 2000


def canonical_json(value: Any) -> bytes:
    """The one JSON encoding that hashes are computed over (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def event_bytes(
    seq: int,
    occurred_at: str,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    payload_sha256: str,
    prev_hash: str,
) -> bytes:
    """The bytes an event's hash covers: ``canonical_json`` of its hashed fields.

    Written out field by field because verification builds these bytes for every event
    and ``json.dumps`` of a dict costs more than hashing the result; a test holds it
    equal to ``canonical_json`` of the same fields for arbitrary strings.
    """
    return (
        f'{{"action":{encode_basestring_ascii(action)},'
        f'"actor":{encode_basestring_ascii(actor)},'
        f'"occurred_at":{encode_basestring_ascii(occurred_at)},'
        f'"payload_sha256":{encode_basestring_ascii(payload_sha256)},'
        f'"prev_hash":{encode_basestring_ascii(prev_hash)},'
        f'"seq":{int(seq)},'
        f'"subject_id":{encode_basestring_ascii(subject_id)},'
        f'"subject_type":{encode_basestring_ascii(subject_type)}}}'
    ).encode("ascii")


def _row_hash(row: dict[str, Any]) -> str:
    """SHA-256 over an event's hashed fields and its predecessor's hash."""
    return sha256_hex(
        event_bytes(
            row["seq"],
            row["occurred_at"].isoformat(),
            row["actor"],
            row["action"],
            row["subject_type"],
            row["subject_id"],
            row["payload_sha256"],
            row["prev_hash"],
        )
    )


def _lock_tail(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_ADVISORY_LOCK, {"key": _ADVISORY_LOCK_KEY})


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_ledger = table_of(LedgerEvent)
# Prepared once (compiled once, run on the session's DBAPI cursor): every state change
# appends, so these run in every writing request.
_TAIL = PreparedStatement(
    core_select(_ledger.c.seq, _ledger.c.hash).order_by(_ledger.c.seq.desc()).limit(1)
)
_INSERT = prepared_insert(_ledger)


@dataclass(frozen=True)
class AppendedEvent:
    """Where an appended event went in the chain, and when it happened."""

    seq: int
    hash: str
    occurred_at: datetime


def append_event(
    *,
    session: Session,
    actor: str,
    action: str,
    subject_type: LedgerSubject,
    subject_id: str | int,
    payload: dict[str, Any] | None = None,
) -> AppendedEvent:
    """Append one event to the chain inside the caller's transaction.

    ``payload`` must hold references and classifications only, never raw personal data.
    The event is written with one Core INSERT of its row after the caller's pending
    changes are flushed (so it follows them), without building an ORM entity: every
    state change appends, and the row is all the ledger needs. ``subject_type`` is a
    member of the vocabulary, so a subject has one spelling on write (a fine-tune run is
    ``finetune_run``, never ``run``).
    """
    subject = LedgerSubject(subject_type)
    _lock_tail(session)
    tail = read_rows(session, _TAIL)
    # Encoded once: the stored text is the hashed one (what verification hashes).
    body = EncodedJSON.of(payload or {})
    row: dict[str, Any] = {
        "seq": tail[0].seq + 1 if tail else 1,
        # Microsecond precision survives every backend, so the hash can be recomputed.
        "occurred_at": utc_now(),
        "actor": actor,
        "action": action,
        "subject_type": subject.value,
        "subject_id": str(subject_id),
        "payload": body,
        "payload_sha256": sha256_hex(body.text.encode()),
        "prev_hash": tail[0].hash if tail else GENESIS_HASH,
    }
    row["hash"] = _row_hash(row)
    _INSERT.run(session.connection(), row)
    return AppendedEvent(row["seq"], row["hash"], row["occurred_at"])


def append_record_event(
    *,
    session: Session,
    record: SQLModel,
    action: str,
    actor: str,
    payload: dict[str, Any] | None = None,
) -> AppendedEvent:
    """Append ``action`` about a stored row: its table is the subject type and its id the
    subject id, so one kind of subject is named the same way in every event."""
    return append_event(
        session=session,
        actor=actor,
        action=action,
        subject_type=LedgerSubject(str(record.__tablename__)),
        subject_id=getattr(record, "id", None) or "",
        payload=payload,
    )


@dataclass(frozen=True)
class ChainPosition:
    """A point of the chain: an event's sequence number and its hash (a "head")."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"event {self.seq} ({self.hash})"


#: The position before the first event.
GENESIS = ChainPosition(0, GENESIS_HASH)


class BreakKind(StrEnum):
    """Which check found the break: each is a different kind of tampering."""

    MISSING = "missing"
    """A sequence number is skipped or out of order (an event deleted or renumbered)."""
    UNLINKED = "unlinked"
    """``prev_hash`` is not the previous event's hash (a splice, deletion or reordering)."""
    PAYLOAD_EDITED = "payload_edited"
    """The payload no longer hashes to its ``payload_sha256``."""
    EDITED = "edited"
    """The event's fields no longer hash to its ``hash``."""
    TRUNCATED = "truncated"
    """The ledger ends before a head it is known to have reached."""
    REWRITTEN = "rewritten"
    """The ledger reaches a known head's sequence number with another hash."""


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the chain does not hold, and why."""

    seq: int
    kind: BreakKind
    reason: str

    def __str__(self) -> str:
        return f"ledger broken at event {self.seq}: {self.reason}"


@dataclass(frozen=True)
class VerificationOutcome:
    """Result of walking the chain: what was checked, the last good head, the first break."""

    events_checked: int
    head: ChainPosition
    """The last event that verified (or where the walk started, if none did)."""
    broken: ChainBreak | None

    @property
    def head_hash(self) -> str:
        """Hash of :attr:`head`."""
        return self.head.hash

    @property
    def intact(self) -> bool:
        """True when every event links to its predecessor and hashes to itself."""
        return self.broken is None


def _payload_matches(payload_text: str, payload_sha256: str) -> bool:
    """Whether the stored payload is the one its hash was computed over.

    The stored text is hashed first (the engine writes JSON canonically, see ``app.db``,
    so it normally is the hashed encoding); otherwise it is decoded and re-encoded.
    """
    if hashlib.sha256(payload_text.encode()).hexdigest() == payload_sha256:
        return True
    return sha256_hex(canonical_json(json.loads(payload_text))) == payload_sha256


def _fields_match(session: Session, seq: int, stored_hash: str) -> bool:
    """Recompute an event's hash in Python (when the database's bytes did not match)."""
    event = session.get(LedgerEvent, seq)
    return event is not None and _row_hash(event.model_dump()) == stored_hash


def _anchor_break(session: Session, since: ChainPosition) -> ChainBreak | None:
    """Whether the event a walk starts after is still there, unchanged."""
    anchor = next(iter_hashes(session=session, after_seq=since.seq - 1), None)
    if anchor is None or anchor[0] != since.seq:
        return ChainBreak(
            since.seq,
            BreakKind.TRUNCATED,
            f"event {since.seq}, verified before as {since.hash}, is gone: "
            "the ledger was truncated or renumbered below it",
        )
    if anchor[1] != since.hash:
        return ChainBreak(
            since.seq,
            BreakKind.REWRITTEN,
            f"event {since.seq} now has hash {anchor[1]}, not {since.hash} as verified "
            "before: the chain was rewritten at or before it",
        )
    return None


def _check(
    session: Session,
    row: tuple[int, str, str, str, str, str],
    previous: ChainPosition,
    known_head: ChainPosition | None,
) -> tuple[BreakKind, str] | None:
    """The first check ``row`` fails after ``previous``, or ``None``."""
    seq, hashed_text, payload, payload_sha256, prev_hash, own = row
    if seq != previous.seq + 1:
        return (
            BreakKind.MISSING,
            f"expected sequence number {previous.seq + 1}, found {seq} (event missing)",
        )
    if prev_hash != previous.hash:
        return (
            BreakKind.UNLINKED,
            "prev_hash does not match the hash of the event before it "
            "(deleted, spliced or reordered)",
        )
    if not _payload_matches(payload, payload_sha256):
        return (
            BreakKind.PAYLOAD_EDITED,
            "payload does not match its payload_sha256 (payload edited)",
        )
    if sha256_hex(hashed_text.encode()) != own and not _fields_match(session, seq, own):
        return (BreakKind.EDITED, "hash does not match the event's fields (event edited)")
    if known_head is not None and seq == known_head.seq and own != known_head.hash:
        return (
            BreakKind.REWRITTEN,
            f"event {seq} has hash {own}, but the known head is {known_head.hash}: "
            f"the chain was rewritten at or before event {seq}",
        )
    return None


def verify_chain(
    *,
    session: Session,
    since: ChainPosition = GENESIS,
    known_head: ChainPosition | None = None,
    on_event: Callable[[int, str], None] | None = None,
) -> VerificationOutcome:
    """Walk the chain in sequence order from ``since`` and report the first broken event.

    Every event must carry the next sequence number, link to its predecessor's hash,
    and hash (payload and fields) to what it stores. ``since`` starts the walk after an
    already verified position (whose event must still be there with that hash);
    ``known_head`` must be reached with exactly that hash, which is what catches a
    truncated ledger or one re-hashed consistently from some event on. ``on_event`` is
    called with each verified event's sequence number and hash (e.g. to build a Merkle
    tree in the same pass).
    """
    if since.seq > 0:
        anchored = _anchor_break(session, since)
        if anchored is not None:
            return VerificationOutcome(0, since, anchored)
    prev_seq, prev_hash = since.seq, since.hash
    checked = 0
    sha256 = hashlib.sha256
    head_seq = -1 if known_head is None else known_head.seq
    for row in iter_verification_rows(session=session, after_seq=since.seq):
        seq, hashed_text, payload, payload_sha256, link, own = row
        # The common case inline (this loop is the ledger's hot path); any doubt goes
        # through _check, which decides and names the first check that fails.
        if not (
            seq == prev_seq + 1
            and link == prev_hash
            and sha256(payload.encode()).hexdigest() == payload_sha256
            and sha256(hashed_text.encode()).hexdigest() == own
            and (seq != head_seq or own == known_head.hash)  # type: ignore[union-attr]
        ):
            previous = ChainPosition(prev_seq, prev_hash)
            reason = _check(session, row, previous, known_head)
            if reason is not None:
                return VerificationOutcome(checked, previous, ChainBreak(seq, *reason))
        if on_event is not None:
            on_event(seq, own)
        prev_seq, prev_hash = seq, own
        checked += 1
    previous = ChainPosition(prev_seq, prev_hash)
    if known_head is not None and previous.seq < known_head.seq:
        missing = known_head.seq - previous.seq
        return VerificationOutcome(
            checked,
            previous,
            ChainBreak(
                previous.seq + 1,
                BreakKind.TRUNCATED,
                f"the ledger ends at event {previous.seq}, but it is known to have reached "
                f"event {known_head.seq}: truncated ({missing} event(s) missing)",
            ),
        )
    return VerificationOutcome(checked, previous, None)


def head_position(*, session: Session) -> ChainPosition:
    """The newest event's position as stored (not verified), or :data:`GENESIS`."""
    tail = session.exec(select(LedgerEvent).order_by(col(LedgerEvent.seq).desc()).limit(1)).first()
    return GENESIS if tail is None else ChainPosition(tail.seq, tail.hash)


def event_to_dict(event: LedgerEvent) -> dict[str, Any]:
    """The public, JSON-able form of an event (API, export, reports, proofs)."""
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


def _events_in_order(session: Session) -> Iterator[LedgerEvent]:
    last_seq = 0
    while True:
        batch = session.exec(
            select(LedgerEvent)
            .where(col(LedgerEvent.seq) > last_seq)
            .order_by(col(LedgerEvent.seq))
            .limit(_EXPORT_BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        last_seq = batch[-1].seq


def export_jsonl(*, session: Session, out: IO[str]) -> int:
    """Write every event as one JSON line, in chain order; returns the count."""
    count = 0
    for event in _events_in_order(session):
        out.write(json.dumps(event_to_dict(event), sort_keys=True) + "\n")
        count += 1
    return count
