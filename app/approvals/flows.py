"""The two gated flows approvals drive: a run's submission and a deployment's promotion.

Each flow names its gate, its subject's state machine, where the subject waits for
votes, and where approval or a return takes it; the approvals service moves subjects
only through these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.models.deployments import DeploymentState
from app.models.runs import RunState
from app.models.vocabulary import GATE_SUBJECTS, GateName, GateSubject
from app.registry.records import transition_record
from app.registry.state_machines import (
    APPROVAL_WORKFLOW,
    DEPLOYMENT_MACHINE,
    PROMOTION_WORKFLOW,
    RUN_MACHINE,
    SUBMISSION_WORKFLOW,
    StateMachine,
)

__all__ = ["FLOWS", "PROMOTION_FLOW", "RUN_FLOW", "Flow"]


@dataclass(frozen=True)
class Flow:
    """How one gate's subject moves: where it waits, where approval and return take it."""

    gate: GateName
    machine: StateMachine[Any]
    #: The workflow that may take the subject into the waiting state.
    request_workflow: str
    waiting: str
    approved: str
    returned: str

    @property
    def subject_type(self) -> GateSubject:
        """What the gate decides about (a run, a deployment)."""
        return GATE_SUBJECTS[self.gate]

    def transition(
        self, session: Session, subject_id: int, to: str, actor: str, reason: str
    ) -> None:
        """Take a gated edge of this flow's machine."""
        workflow = self.request_workflow if to == self.waiting else APPROVAL_WORKFLOW
        transition_record(
            session=session,
            machine=self.machine,
            record_id=subject_id,
            to=to,
            actor=actor,
            reason=reason,
            workflow=workflow,
        )


RUN_FLOW = Flow(
    gate=GateName.TRAINING_LAUNCH,
    machine=RUN_MACHINE,
    request_workflow=SUBMISSION_WORKFLOW,
    waiting=RunState.SUBMITTED,
    approved=RunState.APPROVED,
    returned=RunState.REJECTED,
)
PROMOTION_FLOW = Flow(
    gate=GateName.PRODUCTION_PROMOTION,
    machine=DEPLOYMENT_MACHINE,
    request_workflow=PROMOTION_WORKFLOW,
    waiting=DeploymentState.PROMOTION_REQUESTED,
    approved=DeploymentState.PRODUCTION,
    returned=DeploymentState.STAGING,
)
FLOWS: dict[GateName, Flow] = {flow.gate: flow for flow in (RUN_FLOW, PROMOTION_FLOW)}
