"""Errors of the scheduled jobs."""

from __future__ import annotations

from app.errors import GatehouseError

__all__ = ["JobFailedError"]


class JobFailedError(GatehouseError):
    """A job ran but found something wrong (a broken ledger, a failed audit)."""
