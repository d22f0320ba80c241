"""Lineage graphs and the erasure-impact question."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.api.v1.common import Answer, dump, public, route
from app.auth.roles import READERS
from app.models.deployments import DeploymentPublic
from app.registry.lineage import deployments_using_dataset_version, lineage

bp = Blueprint("api_lineage", __name__, url_prefix="/api/v1/lineage")


class LineageNode(BaseModel):
    """A record in the graph (datasets versions also say whether they hold PHI or PII)."""

    model_config = ConfigDict(extra="allow")

    key: str
    type: str
    id: int
    label: str


class LineageEdge(BaseModel):
    """``from`` feeds ``to`` (node keys)."""

    model_config = ConfigDict(populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")


class LineageGraphPublic(BaseModel):
    """Everything upstream and downstream of one record."""

    nodes: list[LineageNode]
    edges: list[LineageEdge]


class DeploymentList(BaseModel):
    """Deployments (all of them: the list is bounded by what one dataset version feeds)."""

    items: list[DeploymentPublic]


@route(bp, "GET", "/<subject_type>/<int:subject_id>", READERS, answer=LineageGraphPublic)
def get_lineage(session: Session, subject_type: str, subject_id: int) -> Answer:
    """Everything upstream and downstream of a deployment, model version, run or dataset version."""
    return lineage(session=session, subject_type=subject_type, subject_id=subject_id).to_dict()


@route(
    bp,
    "GET",
    "/dataset_version/<int:version_id>/deployments",
    READERS,
    answer=DeploymentList,
)
def deployments_of_dataset_version(session: Session, version_id: int) -> Answer:
    """Which deployments serve a model trained on this dataset version."""
    found = deployments_using_dataset_version(session=session, version_id=version_id)
    return {"items": [dump(public(DeploymentPublic, d)) for d in found]}
