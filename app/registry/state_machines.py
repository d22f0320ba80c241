"""The run and deployment state machines, and which of their edges are gated.

A gated edge exists in the machine but may only be taken by the workflow that asks the
policy engine and collects approvals (``app.approvals``) or by the launcher; the plain
registry transition refuses it, so no door can skip the gate. The states that say what
the training is doing (launching, running, succeeded, failed) are the launcher's: every
edge into them belongs to the launcher or its status sync, so nobody can mark a run
succeeded by hand while its training runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlmodel import SQLModel

from app.models.deployments import Deployment
from app.models.runs import FineTuneRun
from app.models.vocabulary import DeploymentState, RunState
from app.registry.errors import (
    GatedTransitionError,
    InvalidTransitionError,
    LauncherOwnedStateError,
)

T = TypeVar("T", bound=SQLModel)


@dataclass(frozen=True)
class StateMachine(Generic[T]):
    """Allowed edges per state, and the edges reserved to a workflow."""

    kind: str
    #: The table whose rows move along this machine (their ``state`` column).
    model: type[T]
    edges: Mapping[str, tuple[str, ...]]
    #: (from, to) -> name of the only workflow allowed to take that edge.
    gated: Mapping[tuple[str, str], str]
    #: States only the launcher and its sync set (their edges are all in ``gated``).
    launcher_states: frozenset[str] = frozenset()

    def allowed_from(self, current: str) -> tuple[str, ...]:
        """States reachable in one step from ``current``."""
        return self.edges.get(current, ())

    def check(self, current: str, requested: str, *, workflow: str | None = None) -> None:
        """Raise unless ``current -> requested`` is an edge this caller may take."""
        allowed = self.allowed_from(current)
        if requested not in allowed:
            raise InvalidTransitionError(self.kind, current, requested, allowed)
        required = self.gated.get((current, requested))
        if required is not None and workflow != required:
            refusal = (
                LauncherOwnedStateError
                if requested in self.launcher_states
                else GatedTransitionError
            )
            raise refusal(self.kind, current, requested, required)


#: The only workflows allowed to take gated edges (callers pass them as ``workflow``); each
#: says what it does that a hand cannot, since a refusal quotes it.
SUBMISSION_WORKFLOW = (
    "the run submission workflow, which asks the training_launch gate and collects the "
    "required approvals"
)
PROMOTION_WORKFLOW = (
    "the promotion workflow, which asks the production_promotion gate and collects the "
    "required approvals"
)
APPROVAL_WORKFLOW = "the approval workflow, which counts the votes the gate's decision requires"
LAUNCHER_WORKFLOW = (
    "the launcher, which asks the training_launch gate again before it starts the training "
    "and stops the training before a running run is cancelled"
)
LAUNCHER_SYNC_WORKFLOW = (
    "the launcher's status sync, which copies the outcome the training itself reported "
    "(gatehouse run cancel stops a running run)"
)

R = RunState
RUN_MACHINE = StateMachine(
    kind="run",
    model=FineTuneRun,
    edges={
        R.DRAFT: (R.SUBMITTED, R.CANCELLED),
        R.SUBMITTED: (R.APPROVED, R.REJECTED, R.CANCELLED),
        R.APPROVED: (R.LAUNCHING, R.REJECTED, R.CANCELLED),
        R.REJECTED: (R.DRAFT,),
        R.LAUNCHING: (R.RUNNING, R.FAILED),
        R.RUNNING: (R.SUCCEEDED, R.FAILED, R.CANCELLED),
        R.SUCCEEDED: (),
        R.FAILED: (),
        R.CANCELLED: (),
    },
    gated={
        (R.DRAFT, R.SUBMITTED): SUBMISSION_WORKFLOW,
        (R.SUBMITTED, R.APPROVED): APPROVAL_WORKFLOW,
        (R.SUBMITTED, R.REJECTED): APPROVAL_WORKFLOW,
        (R.APPROVED, R.LAUNCHING): LAUNCHER_WORKFLOW,
        (R.LAUNCHING, R.RUNNING): LAUNCHER_WORKFLOW,
        (R.LAUNCHING, R.FAILED): LAUNCHER_WORKFLOW,
        (R.RUNNING, R.SUCCEEDED): LAUNCHER_SYNC_WORKFLOW,
        (R.RUNNING, R.FAILED): LAUNCHER_SYNC_WORKFLOW,
        # Only after the launcher stopped the training (app.launch.service.cancel_run).
        (R.RUNNING, R.CANCELLED): LAUNCHER_WORKFLOW,
        (R.APPROVED, R.REJECTED): APPROVAL_WORKFLOW,
    },
    launcher_states=frozenset({R.LAUNCHING, R.RUNNING, R.SUCCEEDED, R.FAILED}),
)

D = DeploymentState
DEPLOYMENT_MACHINE = StateMachine(
    kind="deployment",
    model=Deployment,
    edges={
        D.STAGING: (D.PROMOTION_REQUESTED, D.RETIRED),
        D.PROMOTION_REQUESTED: (D.PRODUCTION, D.STAGING),
        D.PRODUCTION: (D.SUSPENDED, D.RETIRED),
        D.SUSPENDED: (D.PROMOTION_REQUESTED, D.RETIRED),
        D.RETIRED: (),
    },
    gated={
        (D.STAGING, D.PROMOTION_REQUESTED): PROMOTION_WORKFLOW,
        (D.SUSPENDED, D.PROMOTION_REQUESTED): PROMOTION_WORKFLOW,
        (D.PROMOTION_REQUESTED, D.PRODUCTION): APPROVAL_WORKFLOW,
        (D.PROMOTION_REQUESTED, D.STAGING): APPROVAL_WORKFLOW,
    },
)
