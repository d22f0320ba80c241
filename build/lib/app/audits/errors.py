"""Typed errors of the audits subpackage.

Every error an audit raises on purpose derives from :class:`AuditError`, so the CLI,
the API and the scheduler can report a bad input (a missing column, an unreadable
file, a model the explainer cannot handle) as one readable line.
"""

from __future__ import annotations

from app.errors import GatehouseError, ValidationError

__all__ = ["AuditError", "AuditInputError", "UnsupportedModelError"]


class AuditError(GatehouseError):
    """Base class of the audit errors."""


class AuditInputError(AuditError, ValidationError):
    """The decisions table, data file or arguments of an audit are unusable."""


class UnsupportedModelError(AuditError, ValidationError):
    """The model artefact cannot be loaded or explained."""
