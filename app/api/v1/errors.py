"""Errors of the JSON API's request handling (schema validation of bodies and queries)."""

from __future__ import annotations

from typing import Any

from app.errors import ConflictError, GatehouseError, ValidationError

__all__ = [
    "BodyTooLargeError",
    "IdempotencyKeyInFlightError",
    "IdempotencyKeyReusedError",
    "InvalidIdempotencyKeyError",
    "MalformedFormError",
    "MalformedJsonError",
    "RequestValidationError",
    "SecretNotReplayedError",
    "UnsupportedMediaTypeError",
]


class RequestValidationError(ValidationError, title="Invalid request"):
    """A request body or query string does not match its schema."""

    def __init__(self, detail: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.errors = errors


class MalformedJsonError(ValidationError, status=400, title="Malformed JSON"):
    """The body claims to be JSON but does not parse."""


class MalformedFormError(ValidationError, status=400, title="Malformed form"):
    """A multipart body has a part the form parser cannot name."""


class UnsupportedMediaTypeError(ValidationError, status=415, title="Unsupported media type"):
    """The body is not of the media type the operation takes (e.g. a form on a JSON route)."""


class BodyTooLargeError(ValidationError, status=413, title="Body too large"):
    """The body is larger than the operation takes: a JSON body beyond
    ``GATEHOUSE_MAX_JSON_BYTES``, or an upload beyond the limit its form declares."""


class InvalidIdempotencyKeyError(ValidationError, title="Invalid idempotency key"):
    """The header is empty, too long, or not visible ASCII."""


class IdempotencyKeyReusedError(ValidationError, title="Idempotency key reused"):
    """The key was used before for a different request."""


class IdempotencyKeyInFlightError(ConflictError, title="Idempotency key in flight"):
    """A request with the same key is still running."""


class SecretNotReplayedError(GatehouseError, status=410, title="Secret not replayed"):
    """The key's request took effect, but its answer carried a secret shown once, which is
    not kept for replays (410: retrying cannot bring it back)."""
