"""Typed errors of the ledger's checkpoints and proofs."""

from __future__ import annotations

from app.errors import ConflictError, GatehouseError, ValidationError

__all__ = [
    "CheckpointFileError",
    "CheckpointSignatureError",
    "LedgerBrokenError",
    "LedgerError",
    "ProofError",
]


class LedgerError(GatehouseError, title="Ledger error"):
    """The ledger could not do what was asked."""


class LedgerBrokenError(ConflictError, title="Ledger broken"):
    """The chain does not verify, so nothing is signed or proven from it."""


class CheckpointFileError(ValidationError):
    """A checkpoint or proof file is not in the format Gatehouse writes."""


class CheckpointSignatureError(LedgerError):
    """A checkpoint's signature does not verify over its statement."""


class ProofError(ValidationError):
    """A Merkle proof cannot be produced for the request, or does not prove its claim."""
