"""Errors of the JSON API's request handling (schema validation of bodies and queries)."""

from __future__ import annotations

from typing import Any

from app.errors import ConflictError, GatehouseError, ValidationError

__all__ = [
    "BodyTooLargeError",
    "IdempotencyKeyInFlightError",
    "IdempotencyKeyReusedError",
    "InvalidIdempotencyKeyError",
    "MalformedJsonError",
    "RequestValidationError",
    "SecretNotReplayedError",
    "UnsupportedMediaTypeError",
]


class RequestValidationError(ValidationError):
    """A request body or query string does not match its schema."""

    status = 422
    title = "Invalid request"

    def __init__(self, detail: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.errors = errors


class MalformedJsonError(ValidationError):
    """The body claims to be JSON but does not parse."""

    status = 400
    title = "Malformed JSON"


class UnsupportedMediaTypeError(ValidationError):
    """The body is not of the media type the operation takes (e.g. a form on a JSON route)."""

    status = 415
    title = "Unsupported media type"


class BodyTooLargeError(ValidationError):
    """The body is larger than the operation takes: a JSON body beyond
    ``GATEHOUSE_MAX_JSON_BYTES``, or an upload beyond the limit its form declares."""

    status = 413
    title = "Body too large"


class InvalidIdempotencyKeyError(ValidationError):
    """The header is empty, too long, or not visible ASCII."""

    title = "Invalid idempotency key"


class IdempotencyKeyReusedError(ValidationError):
    """The key was used before for a different request."""

    title = "Idempotency key reused"


class IdempotencyKeyInFlightError(ConflictError):
    """A request with the same key is still running."""

    title = "Idempotency key in flight"


class SecretNotReplayedError(GatehouseError):
    """The key's request took effect, but its answer carried a secret shown once, which is
    not kept for replays (410: retrying cannot bring it back)."""

    status = 410
    title = "Secret not replayed"
