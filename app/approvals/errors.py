"""Errors raised by the approval workflow."""

from __future__ import annotations

from app.errors import ConflictError, PermissionDeniedError, ValidationError

__all__ = [
    "AlreadyVotedError",
    "RequestClosedError",
    "RoleNotHeldError",
    "SeparationOfDutiesError",
    "VoteRefusedError",
    "VoteValidationError",
]


class SeparationOfDutiesError(PermissionDeniedError, title="Separation of duties"):
    """The voter requested, trained or developed the subject and may not approve it."""


class RoleNotHeldError(PermissionDeniedError, title="Role not held"):
    """The voter does not hold the role the vote would count for."""


class VoteValidationError(ValidationError):
    """The vote is malformed: unknown decision, a reject without comment, a role not asked for."""


class AlreadyVotedError(ConflictError, title="Already voted"):
    """This person has already voted on this request; one person counts once."""


class RequestClosedError(ConflictError, title="Approval request closed"):
    """The request is no longer pending (approved, rejected, expired or void)."""


class VoteRefusedError(ConflictError, title="Vote not counted"):
    """The vote was not counted because the request expired or its evidence changed."""
