"""Deployments."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from app.api.v1.common import (
    ListQuery,
    body,
    created,
    list_response,
    page_of,
    public,
    responses,
)
from app.api.v1.spec import spec
from app.auth.guard import allow, current_principal
from app.auth.roles import READERS, REGISTRARS
from app.db import unit_of_work
from app.models.deployments import Deployment, DeploymentPublic
from app.registry import deployments as service
from app.registry.records import get_record
from app.registry.schemas import DeploymentCreate, DeploymentUpdate, TransitionRequest
from app.registry.state_machines import DEPLOYMENT_MACHINE

bp = Blueprint("api_deployments", __name__, url_prefix="/api/v1/deployments")
TAG = "deployments"


class DeploymentListQuery(ListQuery):
    """Filters for deployments."""

    state: str | None = None
    model_version_id: int | None = None


class DeploymentDetail(DeploymentPublic):
    """A deployment with where it may move next."""

    allowed_transitions: list[str]


def _body(deployment: Deployment) -> dict[str, Any]:
    return body(
        public(
            DeploymentDetail,
            deployment,
            allowed_transitions=list(DEPLOYMENT_MACHINE.allowed_from(deployment.state)),
        )
    )


@bp.get("")
@allow(*READERS, scope="read")
@spec.validate(query=DeploymentListQuery, resp=responses(page_of(DeploymentPublic)), tags=[TAG])
def list_deployments(query: DeploymentListQuery) -> Any:
    """List deployments."""
    return list_response(Deployment, DeploymentPublic, query)


@bp.post("")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=DeploymentCreate, resp=responses(created=DeploymentDetail), tags=[TAG])
def create_deployment(json: DeploymentCreate) -> Any:
    """Create a deployment in staging."""
    with unit_of_work() as session:
        return created(
            _body(
                service.create_deployment(
                    session=session, data=json, actor=current_principal().username
                )
            )
        )


@bp.get("/<int:deployment_id>")
@allow(*READERS, scope="read")
@spec.validate(resp=responses(DeploymentDetail), tags=[TAG])
def get_deployment(deployment_id: int) -> Any:
    """One deployment."""
    with unit_of_work() as session:
        return jsonify(
            _body(get_record(session=session, model=Deployment, record_id=deployment_id))
        )


@bp.patch("/<int:deployment_id>")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=DeploymentUpdate, resp=responses(DeploymentDetail), tags=[TAG])
def update_deployment(deployment_id: int, json: DeploymentUpdate) -> Any:
    """Change endpoint or monitoring settings."""
    with unit_of_work() as session:
        return jsonify(
            _body(
                service.update_deployment(
                    session=session,
                    deployment_id=deployment_id,
                    data=json,
                    actor=current_principal().username,
                )
            )
        )


@bp.post("/<int:deployment_id>/transitions")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=TransitionRequest, resp=responses(DeploymentDetail), tags=[TAG])
def transition_deployment(deployment_id: int, json: TransitionRequest) -> Any:
    """Move a deployment along its state machine (gated edges go through their workflow)."""
    with unit_of_work() as session:
        deployment = service.transition_deployment(
            session=session,
            deployment_id=deployment_id,
            to=json.to,
            actor=current_principal().username,
            reason=json.reason,
        )
        return jsonify(_body(deployment))
