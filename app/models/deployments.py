"""Deployments of model versions to environments."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import PublicRow, TableRow, timestamp_field, vocabulary_field
from app.models.vocabulary import DeploymentState


class DeploymentBase(SQLModel):
    """What the creator of a deployment declares (shared by the table, input and output)."""

    model_version_id: int = Field(foreign_key="model_version.id", index=True)
    endpoint: str = Field(max_length=500)
    access_logging: bool = False
    monitoring_enabled: bool = False


class DeploymentServerFields(SQLModel):
    """What Gatehouse sets on a deployment: its state, review flag and timestamps."""

    state: DeploymentState = vocabulary_field(
        DeploymentState, length=30, default=DeploymentState.STAGING, index=True
    )
    #: Set when a scheduled audit failed for this deployment; cleared by a person.
    needs_review: bool = False
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    created_by: str = Field(max_length=80)


class Deployment(TableRow, DeploymentServerFields, DeploymentBase, table=True):
    """A model version served at an endpoint, with its monitoring settings."""

    __table_args__ = (sa.Index("ix_deployment_state_id", "state", "id"),)


class DeploymentPublic(PublicRow, DeploymentServerFields, DeploymentBase):
    """A deployment as the API returns it."""
