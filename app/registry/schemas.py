"""Input shapes of the registry services (also the API's request bodies).

Unknown fields are refused rather than ignored, so a typo in a pipeline's payload is a
clear 4xx instead of a silently dropped setting.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlmodel import Field as SQLField

from app.models.base import STRICT_INPUT, RowId
from app.models.datasets import DatasetBase, DatasetFormat
from app.models.deployments import DeploymentBase
from app.models.model_versions import ModelVersionBase
from app.models.runs import FineTuneRunBase
from app.models.vocabulary import (
    Art9Condition,
    DeidentificationMethod,
    FindingSeverity,
    LawfulBasis,
    TransferMechanism,
)

Method = Literal["sft", "lora", "qlora", "rlhf", "dpo", "constitutional"]

#: A name or identifier: one line of text (the API also refuses control characters in any text).
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\t\n\r]*$")]
#: A person who built a run or a model (separation of duties compares these).
Person = Annotated[str, StringConstraints(min_length=1, max_length=200)]
#: People named on one record: a team, not a directory.
People = Annotated[list[Person], Field(max_length=100)]
#: A training command's arguments, each of bounded length.
Command = Annotated[list[Annotated[str, StringConstraints(max_length=4000)]], Field(max_length=200)]
#: A run's hyperparameters: named numbers, flags and short settings, not documents.
Hyperparameters = Annotated[
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=100)],
        float | int | Annotated[str, StringConstraints(max_length=1000)] | bool,
    ],
    Field(max_length=200),
]


class StrictInput(BaseModel):
    """Base of every request body: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DatasetCreate(DatasetBase):
    """A new dataset (its versions are registered separately)."""

    model_config = STRICT_INPUT

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")] = SQLField(
        min_length=1, max_length=200
    )
    owner: str = SQLField(min_length=1, max_length=80)


class DatasetVersionMetadata(StrictInput):
    """What a person declares about a version's data: classification and references."""

    contains_pii: bool | None = None
    contains_phi: bool | None = None
    special_category: bool | None = None
    deidentification_method: DeidentificationMethod | None = None
    expert_determination_ref: str | None = Field(default=None, max_length=200)
    phi_fields: list[dict[str, str]] | None = None
    data_subject_regions: list[str] | None = None
    lawful_basis: LawfulBasis | None = None
    art9_condition: Art9Condition | None = None
    consent_ref: str | None = Field(default=None, max_length=200)
    dpia_ref: str | None = Field(default=None, max_length=200)
    large_scale: bool | None = None
    controller: str | None = Field(default=None, max_length=200)
    processing_purpose: str | None = Field(default=None, max_length=2000)
    data_categories: list[str] | None = None
    residency_region: str | None = Field(default=None, max_length=40)
    transfer_mechanism: TransferMechanism | None = None
    transfer_ref: str | None = Field(default=None, max_length=200)
    retention_until: date | None = None
    baa_refs: dict[str, str] | None = None
    encrypted_at_rest: bool | None = None
    provenance_source: str | None = Field(default=None, max_length=500)
    provenance_licence: str | None = Field(default=None, max_length=200)
    collection_method: str | None = Field(default=None, max_length=500)


class DatasetVersionRegister(DatasetVersionMetadata):
    """Register a version by reference: where the content is and its digest."""

    format: DatasetFormat
    content_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    storage_uri: str = Field(min_length=1, max_length=1000)
    size_bytes: int = Field(default=0, ge=0)
    row_count: int = Field(default=0, ge=0)


class RunCreate(FineTuneRunBase):
    """A new fine-tune run in the draft state, with the dataset versions it trains on."""

    model_config = STRICT_INPUT

    name: Name
    base_model: Name
    method: Method
    hyperparameters: Hyperparameters = SQLField(default_factory=dict)
    gpu_count: int = SQLField(default=0, ge=0, le=1024)
    max_hours: float = SQLField(default=1.0, gt=0, le=24 * 30)
    training_command: Command = SQLField(default_factory=list)
    authors: People = SQLField(default_factory=list)
    dataset_version_ids: list[RowId] = SQLField(default_factory=list, max_length=1000)


class RunUpdate(StrictInput):
    """Changes to a draft run."""

    base_model: Name | None = None
    hyperparameters: Hyperparameters | None = None
    gpu_type: str | None = Field(default=None, max_length=80)
    gpu_count: int | None = Field(default=None, ge=0, le=1024)
    max_hours: float | None = Field(default=None, gt=0, le=24 * 30)
    authors: People | None = None


#: Model version columns that hold attested governance facts -> the fact's name.
ATTESTED_MODEL_FIELDS: dict[str, str] = {
    "risk_tier": "risk_tier",
    "validator": "validation",
    "domain": "domain",
    "decision_type": "decision_type",
    "automated_decision_legal_effect": "legal_effect",
    "human_review": "human_review",
    "monitoring_enabled": "monitoring",
}


def refuse_attested_fields(data: Any) -> Any:
    """Refuse governance facts in a model body: the governed party cannot set them."""
    if isinstance(data, dict):
        from app.attestations.facts import FACTS  # the facts table imports these schemas

        for name in sorted(set(data) & set(ATTESTED_MODEL_FIELDS)):
            fact = ATTESTED_MODEL_FIELDS[name]
            raise ValueError(
                f"'{name}' is a governance fact: a {FACTS[fact].owner} user records it as "
                f"the attestation '{fact}' (POST /api/v1/attestations), it cannot be set here"
            )
    return data


class ModelVersionCreate(ModelVersionBase):
    """A model version, usually produced by a run.

    Its governance facts (tier, validation, domain, decision type, legal effect, human
    review, monitoring) are attestations by their owning roles, never set here.
    """

    model_config = STRICT_INPUT

    name: Name
    version: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[^\t\n\r]*$")]
    run_id: RowId | None = None
    developers: People = SQLField(default_factory=list)

    _refuse_attested = model_validator(mode="before")(refuse_attested_fields)


class ModelVersionUpdate(StrictInput):
    """Changes to a model version's own fields (governance facts are attestations)."""

    developers: People | None = None

    _refuse_attested = model_validator(mode="before")(refuse_attested_fields)


class ModelCardUpdate(StrictInput):
    """Sections of a model card to set (names from ``MODEL_CARD_SECTIONS``)."""

    sections: dict[str, Annotated[str, StringConstraints(max_length=100_000)]] = Field(
        max_length=50
    )


class MetricThreshold(StrictInput):
    """The bound a benchmark metric must meet: a minimum or a maximum, not both."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> MetricThreshold:
        if (self.min is None) == (self.max is None):
            raise ValueError("a threshold has exactly one of 'min' or 'max'")
        return self


#: What a red-team result must state: without them the red-team control cannot judge it.
RED_TEAM_COUNTS = ("prompts_tried", "failures")


class EvaluationCreate(StrictInput):
    """A benchmark or red-team result, refused when it lacks what its kind must state.

    A benchmark states at least one metric. A red-team run states ``metrics.prompts_tried``
    and ``metrics.failures`` (whole numbers, failures at most the prompts tried), its
    ``attack_category`` and its ``severity``. A result missing them used to be stored and
    then failed the red-team control for good; now each missing field is a 422 naming it.
    """

    kind: Literal["benchmark", "red_team"]
    name: Name
    metrics: dict[str, float | int] = Field(default_factory=dict, validate_default=True)
    thresholds: dict[str, MetricThreshold] = Field(default_factory=dict)
    attack_category: str | None = Field(
        default=None, min_length=1, max_length=100, validate_default=True
    )
    severity: FindingSeverity | None = Field(default=None, validate_default=True)
    open_findings: int = Field(default=0, ge=0)

    # Field validators run in declaration order, so ``kind`` is known to the ones below
    # (absent when ``kind`` itself was invalid: then only that error is reported).
    @field_validator("metrics")
    @classmethod
    def _metrics_of_kind(
        cls, metrics: dict[str, float | int], info: ValidationInfo
    ) -> dict[str, float | int]:
        kind = info.data.get("kind")
        if kind == "benchmark" and not metrics:
            raise ValueError("a benchmark states at least one metric")
        if kind != "red_team":
            return metrics
        missing = [name for name in RED_TEAM_COUNTS if name not in metrics]
        if missing:
            raise ValueError(
                f"a red-team result states {' and '.join(RED_TEAM_COUNTS)}; missing: {', '.join(missing)}"
            )
        for name in RED_TEAM_COUNTS:
            value = metrics[name]
            if (isinstance(value, float) and not value.is_integer()) or value < 0:
                raise ValueError(f"{name} must be a non-negative whole number, not {value}")
        if metrics["failures"] > metrics["prompts_tried"]:
            raise ValueError(
                f"failures ({metrics['failures']}) cannot exceed prompts_tried ({metrics['prompts_tried']})"
            )
        return metrics

    @field_validator("attack_category", "severity")
    @classmethod
    def _stated_for_red_team(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("kind") == "red_team":
            raise ValueError(f"a red-team result states its {info.field_name}")
        return value


class DeploymentCreate(DeploymentBase):
    """A new deployment, always starting in staging."""

    model_config = STRICT_INPUT

    model_version_id: RowId
    endpoint: str = SQLField(min_length=1, max_length=500)


class DeploymentUpdate(StrictInput):
    """Changes to a deployment's operational settings."""

    endpoint: str | None = Field(default=None, min_length=1, max_length=500)
    access_logging: bool | None = None
    monitoring_enabled: bool | None = None


class TransitionRequest(StrictInput):
    """Ask for a state change."""

    to: str = Field(min_length=1, max_length=40)
    reason: str = Field(default="", max_length=2000)
