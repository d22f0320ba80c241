"""Appending writes the event's row directly: what ``append_event`` answers is what was
stored, and the chain it extends verifies, down to the recomputation from the stored
fields that a non-ASCII actor needs (the database quotes it differently). The payload is
encoded once: the text stored is the canonical JSON its digest was taken over."""

from __future__ import annotations

import json

import sqlalchemy as sa

from app.db import session_scope
from app.ledger import (
    ChainPosition,
    append_event,
    canonical_json,
    head_position,
    sha256_hex,
    verify_chain,
)
from app.models.ledger import LedgerEvent
from app.models.vocabulary import LedgerSubject


def test_the_appended_event_is_the_stored_head_and_the_chain_verifies(engine: sa.Engine) -> None:
    appended = []
    for actor in ("release-bot", "zoë", "李"):
        with session_scope(engine) as db:
            appended.append(
                append_event(
                    session=db,
                    actor=actor,
                    action="test.appended",
                    subject_type=LedgerSubject.DEPLOYMENT,
                    subject_id=7,
                    payload={"note": f"by {actor}", "n": len(appended), "at": [2.5, None]},
                )
            )
    with session_scope(engine) as db:
        stored = db.get(LedgerEvent, appended[-1].seq)
        assert stored is not None
        assert (stored.hash, stored.occurred_at) == (appended[-1].hash, appended[-1].occurred_at)
        assert stored.prev_hash == appended[-2].hash and stored.subject_id == "7"
        assert head_position(session=db) == ChainPosition(appended[-1].seq, appended[-1].hash)
        outcome = verify_chain(session=db)
        stored_payloads = db.connection().execute(_STORED_PAYLOADS).all()
    assert [event.seq for event in appended] == [1, 2, 3]
    assert outcome.intact and outcome.events_checked == 3
    # The payload's one encoding is stored: its canonical JSON, as its digest covers it.
    for text, digest in stored_payloads:
        assert text.encode() == canonical_json(json.loads(text))
        assert sha256_hex(text.encode()) == digest
    assert json.loads(stored_payloads[1][0]) == {"note": "by zoë", "n": 1, "at": [2.5, None]}


#: Each event's payload as the database holds it (``json`` keeps its text on PostgreSQL).
_STORED_PAYLOADS = sa.text(
    "SELECT CAST(payload AS TEXT), payload_sha256 FROM ledger_event ORDER BY seq"
)
