"""Errors raised when an attestation is refused."""

from __future__ import annotations

from app.errors import PermissionDeniedError

__all__ = ["AttestationRefusedError"]


class AttestationRefusedError(PermissionDeniedError, title="Attestation refused"):
    """The attester does not own the fact or is not independent of the subject."""
