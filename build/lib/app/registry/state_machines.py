"""The run and deployment state machines, and which of their edges are gated.

A gated edge exists in the machine but may only be taken by the workflow that asks the
policy engine and collects approvals (``app.approvals``) or by the launcher; the plain
registry transition refuses it, so no door can skip the gate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.models.deployments import DeploymentState
from app.models.runs import RunState
from app.registry.errors import GatedTransitionError, InvalidTransitionError


@dataclass(frozen=True)
class StateMachine:
    """Allowed edges per state, and the edges reserved to a workflow."""

    kind: str
    edges: Mapping[str, tuple[str, ...]]
    #: (from, to) -> name of the only workflow allowed to take that edge.
    gated: Mapping[tuple[str, str], str]

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
            raise GatedTransitionError(self.kind, current, requested, required)


#: Names of the only workflows allowed to take gated edges (callers pass them as ``workflow``).
SUBMISSION_WORKFLOW = "the run submission workflow (training_launch gate)"
PROMOTION_WORKFLOW = "the promotion workflow (production_promotion gate)"
APPROVAL_WORKFLOW = "the approval workflow"
LAUNCHER_WORKFLOW = "the launcher (training_launch gate re-check; cancel stops the training)"

R = RunState
RUN_MACHINE = StateMachine(
    kind="run",
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
        # Only after the launcher stopped the training (app.launch.service.cancel_run).
        (R.RUNNING, R.CANCELLED): LAUNCHER_WORKFLOW,
        (R.APPROVED, R.REJECTED): APPROVAL_WORKFLOW,
    },
)

D = DeploymentState
DEPLOYMENT_MACHINE = StateMachine(
    kind="deployment",
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
