"""Typed errors of the evaluation-evidence services."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import ConflictError, PermissionDeniedError, ValidationError

__all__ = [
    "EvidenceError",
    "FindingTransitionError",
    "ImportFileError",
    "ImportIssue",
    "IndependenceError",
]

#: Issues quoted in an error's message; the full list stays on the error.
_QUOTED_ISSUES = 5


@dataclass(frozen=True)
class ImportIssue:
    """One problem in an imported file, located by line and/or field."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class EvidenceError(ValidationError):
    """Root of the errors raised by :mod:`app.evaluations`."""


class ImportFileError(EvidenceError):
    """The file cannot be imported; nothing was stored. ``issues`` says where and why."""

    def __init__(self, file_name: str, issues: list[ImportIssue]) -> None:
        self.file_name = file_name
        self.issues = issues
        #: The issues as problem-body members (``errors``), for the API.
        self.errors = [{"location": i.location, "message": i.message} for i in issues]
        shown = "; ".join(str(issue) for issue in issues[:_QUOTED_ISSUES])
        more = f" (and {len(issues) - _QUOTED_ISSUES} more)" if len(issues) > _QUOTED_ISSUES else ""
        super().__init__(f"{file_name}: {shown}{more}")


class FindingTransitionError(ConflictError):
    """The finding cannot move to that status from where it is."""


class IndependenceError(PermissionDeniedError):
    """The approver is one of the model's authors and may not decide on its findings."""
