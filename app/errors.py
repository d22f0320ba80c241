"""The root of every error Gatehouse raises on purpose.

Each subpackage has its own ``errors.py`` with a small hierarchy under
:class:`GatehouseError`, so a door (API, portal, CLI) can turn any of them into a
clear message without catching bare exceptions.
"""

from __future__ import annotations

__all__ = [
    "BackupError",
    "ConfigurationError",
    "ConflictError",
    "GatehouseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RestoreTargetError",
    "TabularLimitError",
    "UploadTooLargeError",
    "ValidationError",
]


class GatehouseError(Exception):
    """Base class of every deliberate Gatehouse error."""

    #: HTTP status the API uses when this error reaches a door.
    status: int = 500
    #: Short, stable title for problem bodies.
    title: str = "Internal error"


class NotFoundError(GatehouseError):
    """A referenced object does not exist."""

    status = 404
    title = "Not found"


class ConflictError(GatehouseError):
    """The request conflicts with the current state of an object."""

    status = 409
    title = "Conflict"


class ValidationError(GatehouseError):
    """Input is malformed or violates a rule of the domain."""

    status = 422
    title = "Invalid input"


class PermissionDeniedError(GatehouseError):
    """The actor is authenticated but not allowed to do this."""

    status = 403
    title = "Forbidden"


class UploadTooLargeError(ValidationError):
    """An uploaded stream is larger than the configured limit."""

    status = 413
    title = "Upload too large"


class TabularLimitError(UploadTooLargeError):
    """A table (CSV or Parquet) is beyond a configured limit: rows, columns, a cell or its
    decompressed size. Nothing of it was registered."""

    title = "Table beyond a limit"


class ConfigurationError(GatehouseError, ValueError):
    """A setting cannot be used as given (for example an unreadable token file)."""

    title = "Invalid configuration"


class BackupError(ValidationError):
    """The backup is incomplete or altered: nothing was restored."""


class RestoreTargetError(ConflictError):
    """The target database or storage already holds something the backup would overwrite."""
