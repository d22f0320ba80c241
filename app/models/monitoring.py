"""Production monitoring of deployments: the audit baseline, batches from the serving
side with the drift computed against that baseline, and incidents.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import PublicRow, TableRow, json_field, timestamp_field, vocabulary_field
from app.models.vocabulary import FindingSeverity, IncidentStatus


class MonitoringBaseline(SQLModel, table=True):
    """The score distribution the deployment was audited on; drift is measured against it."""

    __tablename__ = "monitoring_baseline"

    id: int | None = Field(default=None, primary_key=True)
    deployment_id: int = Field(foreign_key="deployment.id", unique=True)
    scores: list[float] = json_field(default_factory=list)
    #: Group label of each score (same length as ``scores``), or empty.
    groups: list[str] = json_field(default_factory=list)
    #: Where the baseline came from, e.g. "audit_run:4".
    source: str = Field(max_length=200)
    created_at: datetime = timestamp_field()
    created_by: str = Field(max_length=80)


class MonitoringBaselinePublic(SQLModel):
    """A baseline as the API returns it: how many scores and which groups, not the scores."""

    id: int
    deployment_id: int
    scores: int
    groups: list[str]
    source: str
    created_at: datetime
    created_by: str


class MonitoringBatchBase(SQLModel):
    """One batch of production figures and its drift (the scores themselves aside)."""

    deployment_id: int = Field(foreign_key="deployment.id")
    period_start: datetime = timestamp_field()
    period_end: datetime = timestamp_field()
    volume: int
    error_rate: float
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    feedback_positive: int = 0
    feedback_negative: int = 0
    #: [{"group": null | "A", "psi": .., "ks_statistic": .., "ks_p_value": .., ...}]
    drift: list[dict] = json_field(default_factory=list)
    received_at: datetime = timestamp_field()
    received_by: str = Field(max_length=80)


class MonitoringBatchScores(SQLModel):
    """The batch's scores and the group of each (same length, or no groups)."""

    scores: list[float] = json_field(default_factory=list)
    groups: list[str] = json_field(default_factory=list)


class MonitoringBatch(TableRow, MonitoringBatchScores, MonitoringBatchBase, table=True):
    """One batch of production figures sent by the serving side."""

    __table_args__ = (sa.Index("ix_monitoring_batch_deployment", "deployment_id", "id"),)


class MonitoringBatchPublic(PublicRow, MonitoringBatchScores, MonitoringBatchBase):
    """A monitoring batch as the API returns it."""


class IncidentBase(SQLModel):
    """A production incident and its resolution."""

    deployment_id: int = Field(foreign_key="deployment.id")
    severity: FindingSeverity = vocabulary_field(FindingSeverity, length=20)
    title: str = Field(max_length=300)
    description: str = Field(default="", max_length=4000)
    status: IncidentStatus = vocabulary_field(
        IncidentStatus, length=20, default=IncidentStatus.OPEN
    )
    resolution: str | None = Field(default=None, max_length=4000)
    opened_by: str = Field(max_length=80)
    opened_at: datetime = timestamp_field()
    resolved_by: str | None = Field(default=None, max_length=80)
    resolved_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = timestamp_field()


class Incident(TableRow, IncidentBase, table=True):
    """Something went wrong in production: open, linked to a deployment, resolved later."""

    __table_args__ = (sa.Index("ix_incident_deployment_status", "deployment_id", "status"),)


class IncidentPublic(PublicRow, IncidentBase):
    """An incident as the API returns it."""
