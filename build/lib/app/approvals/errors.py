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


class SeparationOfDutiesError(PermissionDeniedError):
    """The voter requested, trained or developed the subject and may not approve it."""

    title = "Separation of duties"


class RoleNotHeldError(PermissionDeniedError):
    """The voter does not hold the role the vote would count for."""

    title = "Role not held"


class VoteValidationError(ValidationError):
    """The vote is malformed: unknown decision, a reject without comment, a role not asked for."""


class AlreadyVotedError(ConflictError):
    """This person has already voted on this request; one person counts once."""

    title = "Already voted"


class RequestClosedError(ConflictError):
    """The request is no longer pending (approved, rejected, expired or void)."""

    title = "Approval request closed"


class VoteRefusedError(ConflictError):
    """The vote was not counted because the request expired or its evidence changed."""

    title = "Vote not counted"
