"""The tamper-evident ledger: the hash chain, its Merkle tree and signed checkpoints.

:mod:`app.ledger.chain` appends and verifies events (re-exported here, as every
service ledgers through :func:`append_event`); :mod:`app.ledger.merkle` holds the
RFC 6962 tree and proofs, :mod:`app.ledger.checkpoints` the signed heads an outside
party can keep, and :mod:`app.ledger.progress` the incremental verification the portal
shows.
"""

from app.ledger.chain import (
    GENESIS,
    GENESIS_HASH,
    SCHEDULER_ACTOR,
    BreakKind,
    ChainBreak,
    ChainPosition,
    VerificationOutcome,
    append_event,
    canonical_json,
    event_bytes,
    event_to_dict,
    export_jsonl,
    head_position,
    recent_events,
    sha256_hex,
    verify_chain,
)

__all__ = [
    "GENESIS",
    "GENESIS_HASH",
    "SCHEDULER_ACTOR",
    "BreakKind",
    "ChainBreak",
    "ChainPosition",
    "VerificationOutcome",
    "append_event",
    "canonical_json",
    "event_bytes",
    "event_to_dict",
    "export_jsonl",
    "head_position",
    "recent_events",
    "sha256_hex",
    "verify_chain",
]
