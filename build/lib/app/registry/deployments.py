"""Deployment services."""

from __future__ import annotations

from sqlmodel import Session

from app.models.deployments import Deployment
from app.models.model_versions import ModelVersion
from app.registry.records import create_record, get_record, transition_record, update_record
from app.registry.schemas import DeploymentCreate, DeploymentUpdate
from app.registry.state_machines import DEPLOYMENT_MACHINE


def create_deployment(*, session: Session, data: DeploymentCreate, actor: str) -> Deployment:
    """A new deployment of a model version, in staging."""
    get_record(session=session, model=ModelVersion, record_id=data.model_version_id)
    return create_record(
        session=session, record=Deployment(**data.model_dump(), created_by=actor), actor=actor
    )


def update_deployment(
    *, session: Session, deployment_id: int, data: DeploymentUpdate, actor: str
) -> Deployment:
    """Change a deployment's endpoint or monitoring settings."""
    deployment = get_record(session=session, model=Deployment, record_id=deployment_id)
    return update_record(
        session=session, record=deployment, changes=data.model_dump(exclude_none=True), actor=actor
    )


def transition_deployment(
    *,
    session: Session,
    deployment_id: int,
    to: str,
    actor: str,
    reason: str = "",
    workflow: str | None = None,
) -> Deployment:
    """Move a deployment along its state machine; gated edges need their workflow's name."""
    deployment = get_record(session=session, model=Deployment, record_id=deployment_id)
    return transition_record(
        session=session,
        record=deployment,
        machine=DEPLOYMENT_MACHINE,
        to=to,
        actor=actor,
        reason=reason,
        workflow=workflow,
    )
