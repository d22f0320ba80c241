"""Incremental verification: resume from the last verified position, remember the result.

Re-walking the whole chain on every portal page cost seconds at 100,000 events. The one
``LedgerVerification`` row keeps how far the chain was verified (sequence number, hash
and the Merkle compact range up to there), so a page verifies only the events appended
since, and first checks that the verified event is still there with its hash. Edits
*inside* the verified prefix that keep its head hash are what the full verification
finds: the scheduler runs it daily (``ledger-verify``) and records it here too.

Recording a verification is observation, not a change of governance state, so it is
not ledgered (ledgering it would move the head it just verified).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.ledger.chain import ChainPosition, VerificationOutcome, verify_chain
from app.ledger.merkle import CompactRange
from app.models.base import utc_now
from app.models.ledger import LedgerVerification

__all__ = ["VerifiedHead", "last_verification", "verify_fully", "verify_incrementally"]


@dataclass(frozen=True)
class VerifiedHead:
    """The head a verification reached, with the Merkle tree over everything up to it."""

    position: ChainPosition
    tree: CompactRange

    @property
    def merkle_root(self) -> str:
        """RFC 6962 root over events 1..seq, hex."""
        return self.tree.root().hex()


def last_verification(*, session: Session) -> LedgerVerification:
    """The stored verification state (the migration creates its one row)."""
    state = session.get(LedgerVerification, 1)
    if state is None:  # a database migrated by hand past 0004 without its seed row
        state = LedgerVerification(id=1, verified_hash="0" * 64)
        session.add(state)
        session.flush()
    return state


def _walk(
    session: Session, start: ChainPosition, tree: CompactRange
) -> tuple[VerificationOutcome, CompactRange]:
    def extend(_seq: int, own: str) -> None:
        tree.append(bytes.fromhex(own))

    outcome = verify_chain(session=session, since=start, on_event=extend)
    return outcome, tree


def _record(
    state: LedgerVerification, outcome: VerificationOutcome, tree: CompactRange, *, mode: str
) -> None:
    now = utc_now()
    state.checked_at = now
    state.mode = mode
    state.events_checked = outcome.events_checked
    state.intact = outcome.intact
    broken = outcome.broken
    state.broken_seq = broken.seq if broken else None
    state.broken_kind = broken.kind.value if broken else None
    state.broken_reason = broken.reason if broken else None
    if mode == "full":
        state.last_full_at = now
    # The position only moves over events that verified; a break keeps it before them.
    if tree.size == outcome.head.seq:
        state.verified_seq = outcome.head.seq
        state.verified_hash = outcome.head.hash
        state.subtree_roots = [root.hex() for root in tree.subtree_roots]


def verify_incrementally(*, session: Session) -> tuple[LedgerVerification, VerifiedHead | None]:
    """Verify the events since the stored position; return the state and the head reached.

    The head is ``None`` when the chain is broken (nothing may be signed from it).
    """
    state = last_verification(session=session)
    start = ChainPosition(state.verified_seq, state.verified_hash)
    tree = CompactRange(state.verified_seq, [bytes.fromhex(root) for root in state.subtree_roots])
    # When the verified event itself is gone or changed, the position stays where it was:
    # every later check finds the same break until a full verification re-bases it.
    outcome, tree = _walk(session, start, tree)
    _record(state, outcome, tree, mode="incremental")
    session.add(state)
    session.flush()
    head = VerifiedHead(outcome.head, tree) if outcome.intact else None
    return state, head


def verify_fully(*, session: Session) -> tuple[LedgerVerification, VerificationOutcome]:
    """Walk the whole chain from genesis and record the result and position."""
    state = last_verification(session=session)
    outcome, tree = _walk(session, ChainPosition(0, "0" * 64), CompactRange())
    _record(state, outcome, tree, mode="full")
    session.add(state)
    session.flush()
    return state, outcome
