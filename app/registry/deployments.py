"""Deployment services (a deployment moves through ``records.transition_record``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.ledger.free_text import refuse_direct_identifiers
from app.models.deployments import Deployment
from app.models.model_versions import ModelVersion
from app.registry.ownership import ensure_owner_or_admin
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
    """Change a deployment's endpoint or monitoring settings (its creator or an admin)."""
    deployment = get_record(session=session, model=Deployment, record_id=deployment_id)
    ensure_owner_or_admin(
        session=session,
        actor=actor,
        owners={deployment.created_by},
        subject=f"deployment {deployment_id}",
        owned_by=f"its creator ({deployment.created_by})",
    )
    return update_record(
        session=session, record=deployment, changes=data.model_dump(exclude_none=True), actor=actor
    )


def flag_for_review(
    *, session: Session, deployment: Deployment, actor: str, note: Mapping[str, Any]
) -> Deployment:
    """Mark a deployment ``needs_review`` (ledgered with ``note``: what found the problem).

    Audits and production monitoring both flag here. A deployment already flagged stays
    as it is and nothing is ledgered: the first finding is the one a reviewer starts from.
    """
    return update_record(
        session=session,
        record=deployment,
        changes={"needs_review": True},
        actor=actor,
        action="deployment.needs_review",
        note=note,
    )


def move_deployment(
    *, session: Session, deployment_id: int, to: str, actor: str, reason: str = ""
) -> Deployment:
    """Take a deployment's ungated edge for a person, with their reason (kept in the ledger,
    so it may hold no direct identifier)."""
    refuse_direct_identifiers(field="reason", text=reason)
    return transition_record(
        session=session,
        machine=DEPLOYMENT_MACHINE,
        record_id=deployment_id,
        to=to,
        actor=actor,
        reason=reason,
    )
