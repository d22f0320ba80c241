"""Audit kinds and parameters: what each kind needs, checked before a run or schedule is recorded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from app.audits.errors import AuditInputError
from app.errors import ValidationError, first_problem
from app.models.vocabulary import AuditKind

__all__ = [
    "AUDIT_KINDS",
    "AuditKind",
    "AuditParameters",
    "check_kind",
    "check_requirements",
    "parse_parameters",
]

#: The audit kinds a run or a schedule may ask for.
AUDIT_KINDS: tuple[AuditKind, ...] = tuple(AuditKind)


class AuditParameters(BaseModel):
    """How to read the dataset and compute the figures (stored with the run and the schedule)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Column with the true outcome (fairness).
    y_true: str | None = Field(default=None, max_length=200)
    #: Column with the model's decision; without it the model artefact predicts.
    y_pred: str | None = Field(default=None, max_length=200)
    #: Column with the model's score (adds per-group ROC AUC); the artefact's own otherwise.
    score: str | None = Field(default=None, max_length=200)
    #: Sensitive feature columns to group by.
    sensitive: tuple[str, ...] = ()
    #: Model feature columns (default: the names the artefact was fitted with).
    features: tuple[str, ...] | None = None
    #: Column holding each decision's id (default: the row number).
    id_column: str | None = Field(default=None, max_length=200)
    #: The favourable outcome (approval).
    positive_label: int | str | bool = 1
    #: Add the intersection of the sensitive features as a table.
    intersections: bool = True
    #: Groups with fewer rows are flagged as small.
    min_group_size: int = Field(default=30, ge=0)
    #: Bootstrap resamples for the confidence intervals (0 for none).
    bootstrap: int = Field(default=200, ge=0, le=10_000)
    #: Seed of the bootstrap, the surrogate and any sampling.
    seed: int = 0
    #: Principal reasons kept per decision.
    top_k: int = Field(default=4, ge=1, le=20)
    #: Decisions explained at most; a larger table is sampled (seeded) down to this.
    max_explained_rows: int = Field(default=20_000, ge=1)


def parse_parameters(parameters: Mapping[str, Any] | AuditParameters) -> AuditParameters:
    """Validate stored or submitted parameters, turning every problem into one line."""
    if isinstance(parameters, AuditParameters):
        return parameters
    try:
        return AuditParameters.model_validate(dict(parameters))
    except PydanticValidationError as error:
        where, problem = first_problem(error)
        raise AuditInputError(f"audit parameter {where or 'parameters'}: {problem}") from None


def check_kind(kind: str) -> AuditKind:
    """The audit kind spelled ``kind``; refuses a kind Gatehouse does not run."""
    try:
        return AuditKind(kind)
    except ValueError:
        raise ValidationError(
            f"unknown audit kind '{kind}'; kinds are {', '.join(AUDIT_KINDS)}"
        ) from None


def check_requirements(kind: str, parameters: AuditParameters) -> None:
    """What each kind needs, checked before a run or a schedule is recorded."""
    if kind == AuditKind.FAIRNESS:
        if not parameters.y_true:
            raise AuditInputError("a fairness audit needs y_true (the true outcome column)")
        if not parameters.sensitive:
            raise AuditInputError("a fairness audit needs at least one sensitive column")
