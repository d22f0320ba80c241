"""Each check of ``verify_chain`` has a test that fails when that check is taken out.

Every tampering below passes all the other checks, so only the check it is named after
can catch it, and each test asserts the kind and the words of the reason, not only the
event number.
"""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from app.db import session_scope
from app.ledger import (
    BreakKind,
    ChainPosition,
    VerificationOutcome,
    canonical_json,
    event_bytes,
    verify_chain,
)
from tests.ledger.tampering import append_many, execute, head, rehash, rewrite_from


def _verify(engine: sa.Engine, **options: object) -> VerificationOutcome:
    with session_scope(engine) as db:
        return verify_chain(session=db, **options)  # type: ignore[arg-type]


@given(
    seq=st.integers(min_value=0, max_value=2**62),
    texts=st.lists(st.text(), min_size=7, max_size=7),
)
def test_event_bytes_are_canonical_json_of_the_fields(seq: int, texts: list[str]) -> None:
    occurred, actor, action, subject_type, subject_id, payload_sha256, prev_hash = texts
    fields = {
        "seq": seq,
        "occurred_at": occurred,
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "payload_sha256": payload_sha256,
        "prev_hash": prev_hash,
    }
    assert event_bytes(
        seq, occurred, actor, action, subject_type, subject_id, payload_sha256, prev_hash
    ) == canonical_json(fields)


def test_sequence_check_names_a_deleted_event(engine: sa.Engine) -> None:
    append_many(engine, 6)
    execute(engine, "DELETE FROM ledger_event WHERE seq = 4")
    outcome = _verify(engine)
    assert outcome.broken is not None
    assert (outcome.broken.seq, outcome.broken.kind) == (5, BreakKind.MISSING)
    assert "expected sequence number 4, found 5" in outcome.broken.reason
    assert outcome.head.seq == 3


def test_link_check_catches_a_delete_and_renumber_splice(engine: sa.Engine) -> None:
    """Event 3 deleted, 4..6 renumbered to 3..5 and given fresh own hashes.

    Sequence numbers are contiguous and every event hashes to itself: only the link
    between event 2 and the new event 3 shows the splice.
    """
    append_many(engine, 6)
    execute(
        engine,
        "DELETE FROM ledger_event WHERE seq = 3",
        "UPDATE ledger_event SET seq = 3 WHERE seq = 4",
        "UPDATE ledger_event SET seq = 4 WHERE seq = 5",
        "UPDATE ledger_event SET seq = 5 WHERE seq = 6",
    )
    rehash(engine, range(3, 6), relink=False)
    outcome = _verify(engine)
    assert outcome.broken is not None
    assert (outcome.broken.seq, outcome.broken.kind) == (3, BreakKind.UNLINKED)
    assert "prev_hash does not match the hash of the event before it" in outcome.broken.reason


def test_payload_check_catches_an_edited_payload(engine: sa.Engine) -> None:
    append_many(engine, 4)
    execute(engine, "UPDATE ledger_event SET payload = '{\"n\": 99}' WHERE seq = 2")
    outcome = _verify(engine)
    assert outcome.broken is not None
    assert (outcome.broken.seq, outcome.broken.kind) == (2, BreakKind.PAYLOAD_EDITED)
    assert "payload does not match its payload_sha256" in outcome.broken.reason


def test_own_hash_check_catches_an_edited_field(engine: sa.Engine) -> None:
    append_many(engine, 4)
    execute(engine, "UPDATE ledger_event SET actor = 'mallory' WHERE seq = 3")
    outcome = _verify(engine)
    assert outcome.broken is not None
    assert (outcome.broken.seq, outcome.broken.kind) == (3, BreakKind.EDITED)
    assert "hash does not match the event's fields" in outcome.broken.reason


def test_non_ascii_fields_verify_and_their_edits_are_caught(engine: sa.Engine) -> None:
    """The database quotes non-ASCII text unlike Python: the check falls back, not fails."""
    append_many(engine, 3, actor="Zoë Ångström")
    assert _verify(engine).intact
    execute(engine, "UPDATE ledger_event SET actor = 'Zoë Angström' WHERE seq = 2")
    outcome = _verify(engine)
    assert outcome.broken is not None
    assert (outcome.broken.seq, outcome.broken.kind) == (2, BreakKind.EDITED)


def test_truncation_is_invisible_to_the_chain_alone_and_caught_against_a_known_head(
    engine: sa.Engine,
) -> None:
    append_many(engine, 6)
    known = ChainPosition(*head(engine))
    execute(engine, "DELETE FROM ledger_event WHERE seq > 4")
    assert _verify(engine).intact  # why a head has to be kept somewhere else
    outcome = _verify(engine, known_head=known)
    assert outcome.broken is not None
    assert (outcome.broken.seq, outcome.broken.kind) == (5, BreakKind.TRUNCATED)
    assert "ends at event 4" in outcome.broken.reason
    assert "known to have reached event 6" in outcome.broken.reason
    assert "2 event(s) missing" in outcome.broken.reason


def test_consistent_rewrite_is_caught_against_a_known_head(engine: sa.Engine) -> None:
    append_many(engine, 6)
    known = ChainPosition(*head(engine))
    rewrite_from(engine, 3)
    assert _verify(engine).intact  # re-hashed and re-linked: consistent with itself
    outcome = _verify(engine, known_head=known)
    assert outcome.broken is not None
    assert (outcome.broken.seq, outcome.broken.kind) == (6, BreakKind.REWRITTEN)
    assert f"the known head is {known.hash}" in outcome.broken.reason
    assert "rewritten at or before event 6" in outcome.broken.reason


def test_a_known_head_that_still_holds_passes(engine: sa.Engine) -> None:
    append_many(engine, 4)
    known = ChainPosition(*head(engine))
    append_many(engine, 2)
    outcome = _verify(engine, known_head=known)
    assert outcome.intact and outcome.events_checked == 6


def test_resuming_after_a_verified_position_checks_that_position(engine: sa.Engine) -> None:
    append_many(engine, 6)
    position = _verify(engine).head
    append_many(engine, 2)
    resumed = _verify(engine, since=position)
    assert resumed.intact and resumed.events_checked == 2 and resumed.head.seq == 8

    execute(engine, "DELETE FROM ledger_event WHERE seq = 6")
    deleted = _verify(engine, since=position)
    assert deleted.broken is not None
    assert (deleted.broken.seq, deleted.broken.kind) == (6, BreakKind.TRUNCATED)
    assert "verified before as" in deleted.broken.reason and "is gone" in deleted.broken.reason

    execute(engine, "DELETE FROM ledger_event WHERE seq > 5")
    truncated = _verify(engine, since=position)
    assert truncated.broken is not None
    assert (truncated.broken.seq, truncated.broken.kind) == (6, BreakKind.TRUNCATED)
    assert "is gone" in truncated.broken.reason


def test_resuming_after_a_rewritten_position_names_the_rewrite(engine: sa.Engine) -> None:
    append_many(engine, 6)
    position = ChainPosition(*head(engine))
    rewrite_from(engine, 2)
    outcome = _verify(engine, since=position)
    assert outcome.broken is not None
    assert (outcome.broken.seq, outcome.broken.kind) == (6, BreakKind.REWRITTEN)
    assert f"not {position.hash} as verified before" in outcome.broken.reason
