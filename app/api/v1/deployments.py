"""Deployments."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from sqlmodel import Session

from app.api.v1.common import Answer, ListQuery, list_route, route, to_public
from app.auth.guard import current_principal
from app.auth.roles import READERS, REGISTRARS
from app.models.deployments import Deployment
from app.registry import deployments as service
from app.registry.records import get_record
from app.registry.schemas import DeploymentCreate, DeploymentUpdate, TransitionRequest
from app.registry.state_machines import DEPLOYMENT_MACHINE

bp = Blueprint("api_deployments", __name__, url_prefix="/api/v1/deployments")


class DeploymentListQuery(ListQuery):
    """Filters for deployments."""

    state: str | None = None
    model_version_id: int | None = None


def _body(deployment: Deployment) -> dict[str, Any]:
    return to_public(
        deployment, allowed_transitions=list(DEPLOYMENT_MACHINE.allowed_from(deployment.state))
    )


list_route(
    bp, "", Deployment, DeploymentListQuery, name="list_deployments", summary="List deployments."
)


@route(bp, "POST", "", REGISTRARS, scope="write", status=201)
def create_deployment(session: Session, json: DeploymentCreate) -> Answer:
    """Create a deployment in staging."""
    actor = current_principal().username
    return _body(service.create_deployment(session=session, data=json, actor=actor))


@route(bp, "GET", "/<int:deployment_id>", READERS, scope="read")
def get_deployment(session: Session, deployment_id: int) -> Answer:
    """One deployment."""
    return _body(get_record(session=session, model=Deployment, record_id=deployment_id))


@route(bp, "PATCH", "/<int:deployment_id>", REGISTRARS, scope="write")
def update_deployment(session: Session, deployment_id: int, json: DeploymentUpdate) -> Answer:
    """Change endpoint or monitoring settings."""
    deployment = service.update_deployment(
        session=session, deployment_id=deployment_id, data=json, actor=current_principal().username
    )
    return _body(deployment)


@route(bp, "POST", "/<int:deployment_id>/transitions", REGISTRARS, scope="write")
def transition_deployment(session: Session, deployment_id: int, json: TransitionRequest) -> Answer:
    """Move a deployment along its state machine (gated edges go through their workflow)."""
    deployment = service.transition_deployment(
        session=session,
        deployment_id=deployment_id,
        to=json.to,
        actor=current_principal().username,
        reason=json.reason,
    )
    return _body(deployment)
