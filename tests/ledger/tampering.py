"""What an operator with write access to the ledger table can do to it, for the tests.

Hashes are recomputed here from ``canonical_json`` of the hashed fields (the chain's
definition), not with the ledger's own fast encoder, so a rewrite is exactly what a
careful forger would produce.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db import session_scope
from app.ledger import append_event, canonical_json, sha256_hex
from app.models.ledger import LedgerEvent
from app.models.vocabulary import LedgerSubject


def append_many(engine: sa.Engine, count: int, *, actor: str = "tester") -> None:
    """``count`` events, one transaction each (as doors write them)."""
    for index in range(count):
        with session_scope(engine) as db:
            append_event(
                session=db,
                actor=actor,
                action="test.event",
                subject_type=LedgerSubject.DATASET,
                subject_id=index,
                payload={"n": index},
            )


def forged_hash(event: LedgerEvent) -> str:
    """The hash a forger computes for ``event`` as it now stands."""
    fields: dict[str, Any] = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "payload_sha256": event.payload_sha256,
        "prev_hash": event.prev_hash,
    }
    return sha256_hex(canonical_json(fields))


def execute(engine: sa.Engine, *statements: str) -> None:
    """Run raw SQL against the ledger table, as someone bypassing Gatehouse would."""
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))


def head(engine: sa.Engine) -> tuple[int, str]:
    """The stored newest ``(seq, hash)``."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT seq, hash FROM ledger_event ORDER BY seq DESC LIMIT 1")
        ).one()
    return int(row[0]), str(row[1])


def rehash(engine: sa.Engine, seqs: range, *, relink: bool) -> None:
    """Recompute the hashes of ``seqs`` in order; with ``relink`` also each ``prev_hash``."""
    with session_scope(engine) as db:
        previous = db.get(LedgerEvent, seqs.start - 1)
        for seq in seqs:
            event = db.get(LedgerEvent, seq)
            assert event is not None
            if relink:
                event.prev_hash = previous.hash if previous is not None else "0" * 64
            event.hash = forged_hash(event)
            db.add(event)
            db.flush()
            previous = event


def rewrite_from(engine: sa.Engine, seq: int, *, actor: str = "mallory") -> None:
    """Change event ``seq``'s actor and re-hash and re-link everything after it."""
    execute(engine, f"UPDATE ledger_event SET actor = '{actor}' WHERE seq = {seq}")
    last, _ = head(engine)
    rehash(engine, range(seq, last + 1), relink=True)
