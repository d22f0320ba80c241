"""Errors of authentication and authorisation."""

from __future__ import annotations

from app.errors import GatehouseError, PermissionDeniedError

__all__ = ["AuthenticationError", "RoleRequiredError"]


class AuthenticationError(GatehouseError, status=401, title="Unauthorized"):
    """No valid credential: missing, unknown, expired or revoked token, or bad password."""


class RoleRequiredError(PermissionDeniedError):
    """The principal is known but holds none of the roles or scopes the action needs."""
