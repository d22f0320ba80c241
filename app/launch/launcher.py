"""The launcher interface and what a launch needs to know about a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from app.models.vocabulary import RunState

__all__ = ["LaunchSpec", "LaunchStatus", "LaunchedState", "Launcher"]

#: The run states a launcher reports; the status sync moves the run to the final two.
LaunchedState = Literal[RunState.RUNNING, RunState.SUCCEEDED, RunState.FAILED]


@dataclass(frozen=True)
class LaunchSpec:
    """Everything a launcher needs, copied from the approved run (no database access)."""

    run_id: int
    run_name: str
    base_model: str
    #: openai | anthropic | google | meta | self_hosted (chooses the training recipe).
    platform: str
    #: internal (our GPUs) or external (a vendor's fine-tuning service).
    hosting: str
    method: str
    command: tuple[str, ...]
    gpu_type: str | None
    gpu_count: int
    max_hours: float
    #: ``name@version`` -> content SHA-256 of each dataset version the run trains on.
    dataset_hashes: dict[str, str]
    #: The decision that allowed this launch (for labels and audit).
    decision_id: int
    #: The evidence digest the approval was given on (and the gate just saw again).
    evidence_sha256: str
    #: This database's Gatehouse instance id: whose launch it is.
    instance_id: str


@dataclass(frozen=True)
class LaunchStatus:
    """What the launcher knows about a launched run: running, succeeded or failed.

    ``detail`` is shown on the run: progress while running, the reason when it ended.
    """

    state: LaunchedState
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

    def cancel(self, reference: str) -> str:
        """Stop the training and remove what it runs on; say what was done. Idempotent."""
        ...
