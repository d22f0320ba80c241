"""Audit runs, signed reports, and scheduled job runs: evidence produced over time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import PublicRow, TableRow, json_field, timestamp_field, vocabulary_field
from app.models.vocabulary import AuditKind, AuditState


class AuditRunBase(SQLModel):
    """An audit run: what was asked, its state and its figures."""

    model_version_id: int = Field(foreign_key="model_version.id")
    dataset_version_id: int | None = Field(default=None, foreign_key="dataset_version.id")
    kind: AuditKind = vocabulary_field(AuditKind, length=20)
    status: AuditState = vocabulary_field(
        AuditState, length=20, default=AuditState.QUEUED, index=True
    )
    #: Cron expression when the audit was started by a schedule.
    schedule: str | None = Field(default=None, max_length=100)
    parameters: dict = json_field()
    #: Headline figures read by the policy (e.g. adverse_impact_ratio).
    summary: dict = json_field()
    error: str | None = Field(default=None, max_length=4000)
    requested_by: str = Field(max_length=80)
    created_at: datetime = timestamp_field()
    started_at: datetime | None = timestamp_field(nullable=True)
    finished_at: datetime | None = timestamp_field(nullable=True)


class AuditRun(TableRow, AuditRunBase, table=True):
    """A fairness or explainability audit of a model version on a tabular dataset."""

    __table_args__ = (sa.Index("ix_audit_run_model_kind", "model_version_id", "kind", "id"),)

    #: Full figures (per-group tables, reasons, charts).
    results: dict = json_field()


class AuditRunPublic(PublicRow, AuditRunBase):
    """An audit run as the API returns it."""

    #: The figures the reader asked for; null in listings, which leave them out.
    results: dict[str, Any] | None


class ReportBase(SQLModel):
    """A signed report's subject, digest and signature."""

    kind: str = Field(max_length=40, index=True)
    subject_type: str = Field(max_length=20)
    subject_id: int | None = None
    pdf_sha256: str = Field(max_length=64, unique=True)
    storage_path: str = Field(max_length=1000)
    signer_subject: str = Field(max_length=500)
    signature_level: str = Field(max_length=20)
    self_signed: bool = True
    page_count: int = 0
    created_at: datetime = timestamp_field()
    created_by: str = Field(max_length=80)


class Report(TableRow, ReportBase, table=True):
    """A signed PDF report; the file lives in storage, its digest here."""

    __table_args__ = (sa.Index("ix_report_subject", "subject_type", "subject_id"),)


class ReportPublic(PublicRow, ReportBase):
    """A report as the API returns it."""


class JobRunBase(SQLModel):
    """One job execution and how it ended."""

    job_id: str = Field(max_length=200, index=True)
    started_at: datetime = timestamp_field()
    finished_at: datetime | None = timestamp_field(nullable=True)
    #: running | succeeded | failed
    outcome: str = Field(default="running", max_length=20)
    error: str | None = Field(default=None, max_length=4000)
    details: dict = json_field()


class JobRun(TableRow, JobRunBase, table=True):
    """One execution of a scheduled job, so operators can see what ran and how it ended."""


class JobRunPublic(PublicRow, JobRunBase):
    """A job run as the API returns it."""
