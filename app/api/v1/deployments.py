"""Deployments."""

from __future__ import annotations

from flask import Blueprint
from sqlmodel import Session

from app.api.v1.common import Answer, ListQuery, public, route
from app.api.v1.resources import Resource
from app.auth.guard import current_principal
from app.auth.roles import REGISTRARS
from app.models.base import RowId
from app.models.deployments import Deployment, DeploymentPublic
from app.models.vocabulary import DeploymentState
from app.registry import deployments as service
from app.registry.schemas import TransitionRequest
from app.registry.state_machines import DEPLOYMENT_MACHINE

bp = Blueprint("api_deployments", __name__, url_prefix="/api/v1/deployments")


class DeploymentListQuery(ListQuery):
    """Filters for deployments."""

    state: DeploymentState | None = None
    model_version_id: RowId | None = None


class DeploymentDetail(DeploymentPublic):
    """A deployment with where it may move next."""

    allowed_transitions: list[str]


def _body(_session: Session, deployment: Deployment) -> DeploymentDetail:
    return public(
        DeploymentDetail,
        deployment,
        allowed_transitions=list(DEPLOYMENT_MACHINE.allowed_from(deployment.state)),
    )


deployments = Resource(bp, Deployment, "deployment_id", DeploymentDetail, REGISTRARS, body=_body)
deployments.listing(DeploymentListQuery, DeploymentPublic, "List deployments.")
deployments.create(service.create_deployment, "Create a deployment in staging.")
deployments.get("One deployment.")
deployments.update(service.update_deployment, "Change endpoint or monitoring settings.")


@route(
    bp,
    "POST",
    "/<int:deployment_id>/transitions",
    REGISTRARS,
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
    return _body(session, deployment)
