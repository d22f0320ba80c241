"""Typed errors of OSCAL export and evidence bundles."""

from __future__ import annotations

from app.errors import GatehouseError, ValidationError

__all__ = ["BundleFileError", "EvidenceError", "OscalExportError"]


class EvidenceError(GatehouseError, title="Evidence export error"):
    """An evidence export could not be made."""


class OscalExportError(EvidenceError):
    """A decision could not be expressed as OSCAL assessment results."""


class BundleFileError(ValidationError):
    """A file is not an evidence bundle Gatehouse can read safely (named in the message)."""
