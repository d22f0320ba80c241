"""The launcher interface and what a launch needs to know about a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["LaunchSpec", "LaunchStatus", "Launcher"]


@dataclass(frozen=True)
class LaunchSpec:
    """Everything a launcher needs, copied from the approved run (no database access)."""

    run_id: int
    run_name: str
    base_model: str
    method: str
    command: tuple[str, ...]
    gpu_type: str | None
    gpu_count: int
    max_hours: float
    #: ``name@version`` -> content SHA-256 of each dataset version the run trains on.
    dataset_hashes: dict[str, str]
    #: The decision that allowed this launch (for labels and audit).
    decision_id: int


@dataclass(frozen=True)
class LaunchStatus:
    """What the launcher knows about a launched run: running, succeeded or failed."""

    state: str
    detail: str = ""


class Launcher(Protocol):
    """Turns an allowed launch into training and reports its progress."""

    #: Recorded on the run as ``launcher_kind``.
    kind: str

    def launch(self, spec: LaunchSpec) -> str:
        """Start training; return the reference stored as ``launcher_ref``. Idempotent per run."""
        ...

    def status(self, reference: str) -> LaunchStatus:
        """The current state of a launched run."""
        ...
