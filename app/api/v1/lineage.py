"""Lineage graphs and the erasure-impact question."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from app.api.v1.common import body, public
from app.api.v1.spec import spec
from app.auth.guard import allow
from app.auth.roles import READERS
from app.db import unit_of_work
from app.models.deployments import DeploymentPublic
from app.registry.lineage import deployments_using_dataset_version, lineage

bp = Blueprint("api_lineage", __name__, url_prefix="/api/v1/lineage")


@bp.get("/<subject_type>/<int:subject_id>")
@allow(*READERS, scope="read")
@spec.validate(tags=["lineage"])
def get_lineage(subject_type: str, subject_id: int) -> Any:
    """Everything upstream and downstream of a deployment, model version, run or dataset version."""
    with unit_of_work() as session:
        return jsonify(
            lineage(session=session, subject_type=subject_type, subject_id=subject_id).to_dict()
        )


@bp.get("/dataset_version/<int:version_id>/deployments")
@allow(*READERS, scope="read")
@spec.validate(tags=["lineage"])
def deployments_of_dataset_version(version_id: int) -> Any:
    """Which deployments serve a model trained on this dataset version."""
    with unit_of_work() as session:
        found = deployments_using_dataset_version(session=session, version_id=version_id)
        return jsonify({"items": [body(public(DeploymentPublic, d)) for d in found]})
