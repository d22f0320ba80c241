"""Errors raised by the registry services."""

from __future__ import annotations

from collections.abc import Sequence

from app.errors import ConflictError, NotFoundError

__all__ = [
    "GatedTransitionError",
    "InvalidTransitionError",
    "LauncherOwnedStateError",
    "RecordNotFoundError",
]


class RecordNotFoundError(NotFoundError):
    """No record of that kind has that id."""

    def __init__(self, kind: str, record_id: object) -> None:
        super().__init__(f"{kind} {record_id} does not exist")
        self.kind = kind
        self.record_id = record_id


class InvalidTransitionError(ConflictError, title="Invalid state transition"):
    """The requested state is not reachable from the current one."""

    def __init__(self, kind: str, current: str, requested: str, allowed: Sequence[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none (final state)"
        super().__init__(
            f"{kind} cannot go from '{current}' to '{requested}'; allowed from '{current}': {allowed_text}"
        )
        self.kind = kind
        self.current = current
        self.requested = requested
        self.allowed = list(allowed)


class GatedTransitionError(ConflictError, title="Transition requires the gate workflow"):
    """The transition exists but only the gate and approval workflow may make it."""

    def __init__(self, kind: str, current: str, requested: str, workflow: str) -> None:
        # ``workflow`` names the workflow and says what it does that a hand cannot.
        super().__init__(f"{kind} goes from '{current}' to '{requested}' only through {workflow}")
        self.kind = kind
        self.current = current
        self.requested = requested
        self.workflow = workflow
        self.allowed: list[str] = []


class LauncherOwnedStateError(GatedTransitionError, title="State set only by the launcher"):
    """The state says what the training is doing, so only the launcher (or its status
    sync) sets it; a registrar cannot mark a run running or succeeded by hand."""
