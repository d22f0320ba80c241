"""Deployments."""

from __future__ import annotations

from flask import Blueprint
from sqlmodel import Session

from app.api.v1.common import ListQuery, public
from app.api.v1.resources import Resource
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


deployments.command(
    "POST",
    "transitions",
    service.move_deployment,
    "Move a deployment along its state machine (gated edges go through their workflow).",
    name="transition_deployment",
    body=TransitionRequest,
)
