"""Input shapes of monitoring and findings, shared by the API and the services."""

from __future__ import annotations

import math
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from app.models.vocabulary import FindingSeverity

__all__ = [
    "BaselineCreate",
    "EvaluationSupersede",
    "FindingDecision",
    "IncidentCreate",
    "IncidentResolve",
    "MonitoringBatchCreate",
]

#: Largest score list one request may carry.
MAX_SCORES = 200_000


class _Scores(BaseModel):
    """Scores with optional group labels, one label per score."""

    model_config = ConfigDict(extra="forbid")

    scores: list[float] = Field(default_factory=list, max_length=MAX_SCORES)
    groups: list[str] = Field(default_factory=list, max_length=MAX_SCORES)

    @field_validator("scores")
    @classmethod
    def _finite(cls, scores: list[float]) -> list[float]:
        for index, score in enumerate(scores):
            if not math.isfinite(score):
                raise ValueError(f"scores[{index}] is not a finite number")
        return scores

    @model_validator(mode="after")
    def _one_label_per_score(self) -> Self:
        if self.groups and len(self.groups) != len(self.scores):
            raise ValueError(
                f"groups has {len(self.groups)} labels for {len(self.scores)} scores; "
                "send one label per score or none"
            )
        return self


class BaselineCreate(_Scores):
    """The audit baseline of a deployment's scores."""

    scores: list[float] = Field(min_length=1, max_length=MAX_SCORES)
    #: Where it came from, e.g. "audit_run:4" or "validation set v3".
    source: str = Field(min_length=1, max_length=200)


class MonitoringBatchCreate(_Scores):
    """One batch of production figures from the serving side."""

    period_start: AwareDatetime
    period_end: AwareDatetime
    volume: int = Field(ge=0)
    error_rate: float = Field(ge=0, le=1)
    latency_p50_ms: float = Field(ge=0)
    latency_p95_ms: float = Field(ge=0)
    latency_p99_ms: float = Field(ge=0)
    feedback_positive: int = Field(default=0, ge=0)
    feedback_negative: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        if not self.latency_p50_ms <= self.latency_p95_ms <= self.latency_p99_ms:
            raise ValueError("latency percentiles must satisfy p50 <= p95 <= p99")
        return self


class IncidentCreate(BaseModel):
    """An incident to open on a deployment."""

    model_config = ConfigDict(extra="forbid")

    severity: FindingSeverity
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=4000)


class IncidentResolve(BaseModel):
    """How an incident was resolved."""

    model_config = ConfigDict(extra="forbid")

    resolution: str = Field(min_length=1, max_length=4000)


class FindingDecision(BaseModel):
    """A decision on a finding: the evidence of a mitigation or an acceptance's reason."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["mitigate", "accept", "close"]
    #: Evidence (mitigate) or justification (accept); not used to close.
    text: str = Field(default="", max_length=4000)


class EvaluationSupersede(BaseModel):
    """Why an evaluation is withdrawn from the gates (kept with it and in the ledger)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000)
