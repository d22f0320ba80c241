"""The floors a per-installation policy data override may not go below.

An installation may make the policy stricter (a higher adverse-impact minimum, a shorter
freshness limit) but not switch a control off by data: a threshold set to null, to the
wrong type, or looser than the floor here would let a gate pass what the shipped policy
denies, with nothing in the Rego changed. ``check_policy_data`` runs on the merged data
whenever a bundle is loaded, so both engines refuse such a bundle with one readable line.
The shipped ``data.json`` sits on the floors or above them.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.errors import first_problem
from app.policy.errors import PolicyBundleError

__all__ = ["check_policy_data"]

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


class _Floor(BaseModel):
    """Known members are required and typed; unknown ones are left to the policies."""

    model_config = ConfigDict(extra="allow", strict=True)


class _Fairness(_Floor):
    min_adverse_impact_ratio: float = Field(ge=0.8, le=1)
    max_equalized_odds_difference: float = Field(ge=0, le=0.1)
    max_audit_age_days: int = Field(ge=1, le=90)


class _Explainability(_Floor):
    max_audit_age_days: int = Field(ge=1, le=180)


class _Evaluations(_Floor):
    max_age_days: int = Field(ge=1, le=90)
    domains: dict[str, dict[str, dict[str, float]]]


class _Memorisation(_Floor):
    max_elicited_rate: float = Field(ge=0, le=0.01)


class _RedTeam(_Floor):
    blocking_severities: list[str] = Field(min_length=1)
    default_max_failure_rate: float = Field(ge=0, le=0.05)
    max_failure_rate: dict[str, float]
    memorisation: _Memorisation

    @field_validator("blocking_severities")
    @classmethod
    def _critical_blocks(cls, severities: list[str]) -> list[str]:
        if "critical" not in severities:
            raise ValueError("must include critical")
        return severities


class _Review(_Floor):
    max_psi: float = Field(gt=0, le=0.2)
    min_ks_p_value: float = Field(ge=0.01, le=1)


class _Suspend(_Floor):
    max_psi: float = Field(gt=0, le=0.5)


class _Monitoring(_Floor):
    review: _Review
    suspend: _Suspend


class _Fraction(_Floor):
    numerator: int = Field(ge=1)
    denominator: int = Field(ge=1)


class _EuAiActThresholds(_Floor):
    significant_modification_fraction: _Fraction

    @field_validator("significant_modification_fraction")
    @classmethod
    def _at_most_a_third(cls, fraction: _Fraction) -> _Fraction:
        if fraction.numerator * 3 > fraction.denominator:
            raise ValueError("may not exceed 1/3 (the Commission's criterion)")
        return fraction


class _Thresholds(_Floor):
    fairness: _Fairness
    explainability: _Explainability
    evaluations: _Evaluations
    red_team: _RedTeam
    monitoring: _Monitoring
    eu_ai_act: _EuAiActThresholds


class _ApplicationDates(_Floor):
    gpai_providers: str
    annex_iii_high_risk: str

    @field_validator("gpai_providers", "annex_iii_high_risk")
    @classmethod
    def _timestamp(cls, value: str) -> str:
        if not _RFC3339.match(value):
            raise ValueError("must be an RFC 3339 timestamp with a numeric offset")
        return value


class _EuAiAct(_Floor):
    application_dates: _ApplicationDates
    gpai_presumption_training_flop: float = Field(gt=0, le=1e23)


class _ModelRisk(_Floor):
    adopted_guidance: str = Field(pattern=r"^(sr26-2|sr11-7)$")


class _Gatehouse(_Floor):
    thresholds: _Thresholds
    model_risk: _ModelRisk
    eu_ai_act: _EuAiAct
    fact_owners: dict[str, str]


class _PolicyData(_Floor):
    gatehouse: _Gatehouse


def check_policy_data(data: dict[str, Any]) -> None:
    """Raise ``PolicyBundleError`` naming the first member below its floor or mistyped."""
    try:
        _PolicyData.model_validate(data)
    except ValidationError as error:
        where, problem = first_problem(error)
        raise PolicyBundleError(
            f"policy data {where}: {problem} (an override may tighten, not loosen)"
        ) from None
