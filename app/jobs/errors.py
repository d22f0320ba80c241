"""Errors of the scheduled jobs."""

from __future__ import annotations

from typing import Any

from app.errors import GatehouseError

__all__ = ["JobFailedError"]


class JobFailedError(GatehouseError):
    """A job ran but found something wrong (a broken ledger, a failed audit); ``details``
    are recorded with the failed run, as a successful run's answer is."""

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}
