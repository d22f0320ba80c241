"""Model versions, their model cards, and their evaluations."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import PublicRow, TableRow, json_field, timestamp_field, vocabulary_field
from app.models.vocabulary import Domain, EvaluationKind, FindingSeverity, Platform, RiskTier

#: Sections of a model card, after Mitchell et al., "Model Cards for Model Reporting".
MODEL_CARD_SECTIONS: tuple[str, ...] = (
    "details",
    "intended_use",
    "out_of_scope_use",
    "factors",
    "metrics",
    "evaluation_data",
    "training_data",
    "quantitative_analyses",
    "ethical_considerations",
    "caveats",
)


class ModelVersionBase(SQLModel):
    """What the registrar of a model version declares (shared by the table, input and output)."""

    name: str = Field(max_length=200, index=True)
    version: str = Field(max_length=40)
    run_id: int | None = Field(default=None, foreign_key="finetune_run.id", index=True)
    platform: Platform = vocabulary_field(Platform, length=40)
    developers: list[str] = json_field(default_factory=list)
    artifact_uri: str | None = Field(default=None, max_length=1000)


class ModelVersionServerFields(SQLModel):
    """Governance facts mirrored from attestations, and who registered the version when."""

    #: NULL until attested.
    domain: Domain | None = vocabulary_field(Domain, length=40, nullable=True, index=True)
    risk_tier: RiskTier | None = vocabulary_field(RiskTier, length=10, nullable=True, index=True)
    #: e.g. "advisory", "credit_decision"; NULL until attested.
    decision_type: str | None = Field(default=None, max_length=60)
    #: Automated decision with legal or similarly significant effect (GDPR Art. 22).
    automated_decision_legal_effect: bool | None = None
    human_review: bool | None = None
    validator: str | None = Field(default=None, max_length=80)
    monitoring_enabled: bool | None = None
    created_at: datetime = timestamp_field()
    created_by: str = Field(max_length=80)


class ModelVersion(TableRow, ModelVersionServerFields, ModelVersionBase, table=True):
    """A trained model version, linked to the run that produced it."""

    __table_args__ = (sa.UniqueConstraint("name", "version", name="uq_model_name_version"),)


class ModelVersionPublic(PublicRow, ModelVersionServerFields, ModelVersionBase):
    """A model version as the API returns it."""


class ModelCardBase(SQLModel):
    """A model card's sections and who last changed them."""

    model_version_id: int = Field(foreign_key="model_version.id", unique=True)
    sections: dict = json_field()
    updated_at: datetime = timestamp_field()
    updated_by: str = Field(max_length=80)


class ModelCard(TableRow, ModelCardBase, table=True):
    """The model card of one model version; ``sections`` maps section name to text."""


class ModelCardPublic(PublicRow, ModelCardBase):
    """A model card as the API returns it."""


class EvaluationBase(SQLModel):
    """A benchmark or red-team result as recorded."""

    model_version_id: int = Field(foreign_key="model_version.id", index=True)
    kind: EvaluationKind = vocabulary_field(EvaluationKind, length=20, index=True)
    name: str = Field(max_length=200)
    #: benchmark: {"accuracy": 0.91, "reasoning_step_validity": 0.88, "latency_ms_p95": 850,
    #: "cost_per_1k_usd": 0.4}; red_team: {"prompts_tried": 500, "failures": 3}
    metrics: dict = json_field()
    #: The evaluation's own pass bounds per benchmark metric, sent to the policy with each
    #: value: {"accuracy": {"min": 0.8}, "latency_p99_ms": {"max": 2000}}.
    thresholds: dict = json_field()
    attack_category: str | None = Field(default=None, max_length=100)
    #: Red team only.
    severity: FindingSeverity | None = vocabulary_field(FindingSeverity, length=20, nullable=True)
    open_findings: int = Field(default=0, ge=0)
    created_at: datetime = timestamp_field()
    created_by: str = Field(max_length=80)
    #: Set when an independent approver withdrew the result (wrong figures, wrong model):
    #: the record stays for the history, the gates no longer read it.
    superseded_at: datetime | None = timestamp_field(nullable=True)
    superseded_by: str | None = Field(default=None, max_length=80)
    superseded_reason: str | None = Field(default=None, max_length=2000)


class Evaluation(TableRow, EvaluationBase, table=True):
    """A benchmark or red-team result for a model version (never deleted; superseded)."""


class EvaluationPublic(PublicRow, EvaluationBase):
    """An evaluation as the API returns it."""
