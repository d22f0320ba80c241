"""The root of every error Gatehouse raises on purpose.

Each subpackage has its own ``errors.py`` with a small hierarchy under
:class:`GatehouseError`, so a door (API, portal, CLI) can turn any of them into a
clear message without catching bare exceptions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError as PydanticValidationError

__all__ = [
    "BackupError",
    "ConfigurationError",
    "ConflictError",
    "GatehouseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RestoreTargetError",
    "StoredValueError",
    "TabularLimitError",
    "UploadTooLargeError",
    "ValidationError",
    "first_problem",
]


class GatehouseError(Exception):
    """Base class of every deliberate Gatehouse error.

    A subclass declares how a door reports it in its ``class`` line
    (``class NotFoundError(GatehouseError, status=404, title="Not found")``) and
    inherits what it does not declare, so the status and title live beside the name.
    """

    #: HTTP status the API uses when this error reaches a door.
    status: int = 500
    #: Short, stable title for problem bodies.
    title: str = "Internal error"

    def __init_subclass__(
        cls, *, status: int | None = None, title: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if title is not None:
            cls.title = title


class NotFoundError(GatehouseError, status=404, title="Not found"):
    """A referenced object does not exist."""


class ConflictError(GatehouseError, status=409, title="Conflict"):
    """The request conflicts with the current state of an object."""


class ValidationError(GatehouseError, status=422, title="Invalid input"):
    """Input is malformed or violates a rule of the domain."""


class PermissionDeniedError(GatehouseError, status=403, title="Forbidden"):
    """The actor is authenticated but not allowed to do this."""


class UploadTooLargeError(ValidationError, status=413, title="Upload too large"):
    """An uploaded stream is larger than the configured limit."""


class TabularLimitError(UploadTooLargeError, title="Table beyond a limit"):
    """A table (CSV or Parquet) is beyond a configured limit: rows, columns, a cell or its
    decompressed size. Nothing of it was registered."""


class StoredValueError(GatehouseError, status=500, title="Unreadable stored value"):
    """The database holds a value the server cannot read (changed outside Gatehouse, or
    corrupted): nothing that depends on it is decided, and the answer names the column."""


def unreadable_by_the_driver() -> StoredValueError:
    """A stored value the database driver itself cannot read (PostgreSQL's 'infinity'
    timestamp, which no Python datetime holds): no column type sees it to name it."""
    return StoredValueError(
        "the database holds a value the driver cannot read (a timestamp beyond the years "
        "1-9999, such as 'infinity'): it was changed outside Gatehouse or is damaged, so "
        "nothing that depends on it is decided"
    )


class ConfigurationError(GatehouseError, ValueError, title="Invalid configuration"):
    """A setting cannot be used as given (for example an unreadable token file)."""


class BackupError(ValidationError):
    """The backup is incomplete or altered: nothing was restored."""


class RestoreTargetError(ConflictError):
    """The target database or storage already holds something the backup would overwrite."""


def first_problem(error: PydanticValidationError) -> tuple[str, str]:
    """Where pydantic's first complaint is (member names joined by dots; empty for the
    value itself) and what it says: the one line an error about a structured value quotes."""
    first = error.errors()[0]
    return ".".join(str(part) for part in first["loc"]), first["msg"]
