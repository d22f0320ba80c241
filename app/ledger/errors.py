"""Typed errors of the ledger's checkpoints and proofs, and of the free text it keeps."""

from __future__ import annotations

from app.errors import ConflictError, GatehouseError, ValidationError

__all__ = [
    "CheckpointFileError",
    "CheckpointSignatureError",
    "DirectIdentifierError",
    "LedgerBrokenError",
    "LedgerError",
    "ProofError",
]


class LedgerError(GatehouseError):
    """The ledger could not do what was asked."""

    title = "Ledger error"


class LedgerBrokenError(ConflictError):
    """The chain does not verify, so nothing is signed or proven from it."""

    title = "Ledger broken"


class CheckpointFileError(ValidationError):
    """A checkpoint or proof file is not in the format Gatehouse writes."""


class CheckpointSignatureError(LedgerError):
    """A checkpoint's signature does not verify over its statement."""


class ProofError(ValidationError):
    """A Merkle proof cannot be produced for the request, or does not prove its claim."""


class DirectIdentifierError(ValidationError):
    """Free text bound for the ledger holds a direct identifier, which it could never erase.

    The message names the field and the kinds found, never the values.
    """

    title = "Direct identifier in free text"

    def __init__(self, *, field: str, kinds: list[str]) -> None:
        found = ", ".join(kinds)
        message = (
            f"holds what looks like: {found}; this text is kept in the tamper-evident ledger, "
            "which can never erase it, so it may not hold a direct identifier (social "
            "security, phone, payment card, account or medical record number, e-mail "
            "address): refer to the person or record by its Gatehouse id instead"
        )
        super().__init__(f"{field}: {message}")
        self.errors = [{"loc": [field], "msg": message, "type": "direct_identifier"}]
