"""Audit schedules: which audit of which model runs on which cron, read by the scheduler."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import PublicRow, TableRow, json_field, timestamp_field, vocabulary_field
from app.models.vocabulary import AuditKind


class AuditScheduleBase(SQLModel):
    """A recurring audit and when it runs."""

    model_version_id: int = Field(foreign_key="model_version.id", index=True)
    dataset_version_id: int = Field(foreign_key="dataset_version.id")
    kind: AuditKind = vocabulary_field(AuditKind, length=20)
    #: Five-field crontab expression, evaluated in UTC (e.g. "0 2 * * *").
    cron: str = Field(max_length=100)
    #: The audit parameters each run uses (columns, bootstrap, seed...).
    parameters: dict = json_field()
    enabled: bool = True
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    created_by: str = Field(max_length=80)


class AuditSchedule(TableRow, AuditScheduleBase, table=True):
    """A recurring fairness or explainability audit of a model version on a dataset version.

    The scheduler's leader turns each enabled row into a job ``audit-schedule-<id>``.
    """

    __table_args__ = (
        sa.UniqueConstraint(
            "model_version_id", "dataset_version_id", "kind", name="uq_audit_schedule_target"
        ),
    )


class AuditSchedulePublic(PublicRow, AuditScheduleBase):
    """An audit schedule as the API returns it."""


class SchedulerJob(SQLModel, table=True):
    """APScheduler's persistent job store (``SQLAlchemyJobStore``), declared here so that
    the schema comes from an Alembic revision like every other table.

    The columns are APScheduler 3.x's own; only the scheduler reads or writes them.
    """

    __tablename__ = "apscheduler_jobs"

    id: str = Field(sa_column=sa.Column(sa.Unicode(191), primary_key=True))
    #: POSIX timestamp of the next run; NULL while the job is paused.
    next_run_time: float | None = Field(
        default=None, sa_column=sa.Column(sa.Float(25), index=True, nullable=True)
    )
    #: The pickled job (trigger, textual function reference, arguments).
    job_state: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
