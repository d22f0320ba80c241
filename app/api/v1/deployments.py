"""Deployments."""

from __future__ import annotations

from flask import Blueprint
from sqlmodel import Session

from app.api.v1.common import Answer, ListQuery, list_route, public, route
from app.auth.guard import current_principal
from app.auth.roles import READERS, REGISTRARS
from app.models.base import RowId
from app.models.deployments import Deployment, DeploymentPublic
from app.registry import deployments as service
from app.registry.records import get_record
from app.registry.schemas import DeploymentCreate, DeploymentUpdate, TransitionRequest
from app.registry.state_machines import DEPLOYMENT_MACHINE

bp = Blueprint("api_deployments", __name__, url_prefix="/api/v1/deployments")


class DeploymentListQuery(ListQuery):
    """Filters for deployments."""

    state: str | None = None
    model_version_id: RowId | None = None


class DeploymentDetail(DeploymentPublic):
    """A deployment with where it may move next."""

    allowed_transitions: list[str]


def _body(deployment: Deployment) -> DeploymentDetail:
    return public(
        DeploymentDetail,
        deployment,
        allowed_transitions=list(DEPLOYMENT_MACHINE.allowed_from(deployment.state)),
    )


list_route(
    bp,
    "",
    Deployment,
    DeploymentListQuery,
    model=DeploymentPublic,
    name="list_deployments",
    summary="List deployments.",
)


@route(bp, "POST", "", REGISTRARS, scope="write", status=201, answer=DeploymentDetail)
def create_deployment(session: Session, json: DeploymentCreate) -> Answer:
    """Create a deployment in staging."""
    actor = current_principal().username
    return _body(service.create_deployment(session=session, data=json, actor=actor))


@route(bp, "GET", "/<int:deployment_id>", READERS, scope="read", answer=DeploymentDetail)
def get_deployment(session: Session, deployment_id: int) -> Answer:
    """One deployment."""
    return _body(get_record(session=session, model=Deployment, record_id=deployment_id))


@route(bp, "PATCH", "/<int:deployment_id>", REGISTRARS, scope="write", answer=DeploymentDetail)
def update_deployment(session: Session, deployment_id: int, json: DeploymentUpdate) -> Answer:
    """Change endpoint or monitoring settings."""
    deployment = service.update_deployment(
        session=session, deployment_id=deployment_id, data=json, actor=current_principal().username
    )
    return _body(deployment)


@route(
    bp,
    "POST",
    "/<int:deployment_id>/transitions",
    REGISTRARS,
    scope="write",
    answer=DeploymentDetail,
)
def transition_deployment(session: Session, deployment_id: int, json: TransitionRequest) -> Answer:
    """Move a deployment along its state machine (gated edges go through their workflow)."""
    deployment = service.move_deployment(
        session=session,
        deployment_id=deployment_id,
        to=json.to,
        actor=current_principal().username,
        reason=json.reason,
    )
    return _body(deployment)
