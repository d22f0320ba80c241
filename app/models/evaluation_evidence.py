"""Imported evaluation evidence: metric results, red-team campaigns and their findings,
memorisation tests.

Each row keeps where it came from (the import, the tool and its version, the task and
the dataset's identity) so a reviewer can trace a gate's figure back to a file.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import PublicRow, TableRow, json_field, timestamp_field, vocabulary_field
from app.models.vocabulary import FindingSeverity, FindingStatus, MemorisationMethod


class EvidenceImportBase(SQLModel):
    """An imported evidence file and what it held."""

    model_version_id: int = Field(foreign_key="model_version.id", index=True)
    #: lm_eval | generic_json | generic_csv | garak | promptfoo | memorisation
    source_format: str = Field(max_length=30)
    tool: str = Field(max_length=100)
    tool_version: str | None = Field(default=None, max_length=100)
    file_name: str = Field(max_length=500)
    file_sha256: str = Field(max_length=64)
    #: Run configuration the tool recorded (model args, batch size...), scrubbed of samples.
    config: dict = json_field()
    created_at: datetime = timestamp_field()
    created_by: str = Field(max_length=80)


class EvidenceImport(TableRow, EvidenceImportBase, table=True):
    """One imported file: which tool wrote it, its digest, who imported it."""


class EvidenceImportPublic(PublicRow, EvidenceImportBase):
    """An evidence import as the API returns it."""


class MetricResultBase(SQLModel):
    """One imported benchmark figure and where it came from."""

    import_id: int = Field(foreign_key="evidence_import.id", index=True)
    model_version_id: int = Field(foreign_key="model_version.id")
    #: The name the policy reads (e.g. accuracy, hallucination_rate) or ``task/metric``.
    metric: str = Field(max_length=200)
    value: float
    stderr: float | None = None
    #: The base model's value on the same task and dataset; null when not measured.
    baseline: float | None = None
    #: A threshold the evaluating team recorded with the result (the policy has its own).
    threshold: float | None = None
    task: str = Field(max_length=200)
    task_version: str | None = Field(default=None, max_length=50)
    dataset_name: str = Field(max_length=300)
    dataset_revision: str | None = Field(default=None, max_length=200)
    dataset_sha256: str | None = Field(default=None, max_length=64)
    measured_at: datetime = timestamp_field()
    created_at: datetime = timestamp_field()


class MetricResult(TableRow, MetricResultBase, table=True):
    """One metric of one task, with its base-model baseline and the dataset it ran on."""

    __table_args__ = (sa.Index("ix_metric_result_model_metric", "model_version_id", "metric"),)


class MetricResultPublic(PublicRow, MetricResultBase):
    """A metric result as the API returns it."""


class RedTeamCampaignBase(SQLModel):
    """An imported red-team campaign's tallies."""

    model_version_id: int = Field(foreign_key="model_version.id", index=True)
    import_id: int = Field(foreign_key="evidence_import.id", index=True)
    name: str = Field(max_length=200)
    #: [{"category": "prompt_injection", "probes_run": 120, "failures": 3}, ...]
    categories: list[dict] = json_field(default_factory=list)
    started_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field()
    created_by: str = Field(max_length=80)


class RedTeamCampaign(TableRow, RedTeamCampaignBase, table=True):
    """A red-team campaign against one model version, with per-category tallies."""


class RedTeamCampaignPublic(PublicRow, RedTeamCampaignBase):
    """A red-team campaign as the API returns it."""


class RedTeamFindingBase(SQLModel):
    """A red-team finding and its status."""

    campaign_id: int = Field(foreign_key="red_team_campaign.id", index=True)
    model_version_id: int = Field(foreign_key="model_version.id")
    category: str = Field(max_length=60)
    severity: FindingSeverity = vocabulary_field(FindingSeverity, length=20)
    #: The tool's probe (garak probe, promptfoo plugin) and detector that raised it.
    probe: str = Field(max_length=200)
    detector: str | None = Field(default=None, max_length=200)
    title: str = Field(max_length=500)
    probes_run: int = 0
    failures: int = 0
    #: Example attempts; text the PII scanner flags is replaced unless marked safe.
    samples: list[dict] = json_field(default_factory=list)
    status: FindingStatus = vocabulary_field(
        FindingStatus, length=20, default=FindingStatus.OPEN, index=True
    )
    evidence: str | None = Field(default=None, max_length=4000)
    justification: str | None = Field(default=None, max_length=4000)
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class RedTeamFinding(TableRow, RedTeamFindingBase, table=True):
    """A weakness a campaign found, tracked from open to closed."""

    __table_args__ = (sa.Index("ix_finding_model_status", "model_version_id", "status"),)


class RedTeamFindingPublic(PublicRow, RedTeamFindingBase):
    """A red-team finding as the API returns it."""


class MemorisationTest(SQLModel, table=True):
    """Canary or extraction test: how many planted or sampled records could be elicited."""

    __tablename__ = "memorisation_test"

    id: int | None = Field(default=None, primary_key=True)
    model_version_id: int = Field(foreign_key="model_version.id", index=True)
    import_id: int = Field(foreign_key="evidence_import.id")
    method: MemorisationMethod = vocabulary_field(MemorisationMethod, length=20)
    records_tested: int
    records_elicited: int
    measured_at: datetime = timestamp_field()
    created_at: datetime = timestamp_field()
