"""A policy data override may tighten a threshold, never null it, mistype it or loosen it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.policy.bundle import load_bundle
from app.policy.errors import PolicyBundleError
from app.policy.factory import build_engine
from tests.policy.conftest import POLICY_DIR


def _override(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "override.json"
    path.write_text(json.dumps({"gatehouse": data}))
    return path


def test_the_shipped_data_is_on_or_above_its_floors() -> None:
    load_bundle(policy_dir=POLICY_DIR)


@pytest.mark.parametrize(
    ("override", "where"),
    [
        (
            {"thresholds": {"fairness": {"min_adverse_impact_ratio": 0.7}}},
            "min_adverse_impact_ratio",
        ),
        (
            {"thresholds": {"fairness": {"min_adverse_impact_ratio": None}}},
            "min_adverse_impact_ratio",
        ),
        ({"thresholds": {"fairness": {"max_audit_age_days": "90"}}}, "max_audit_age_days"),
        ({"thresholds": {"fairness": {"max_audit_age_days": 365}}}, "max_audit_age_days"),
        ({"thresholds": {"explainability": {"max_audit_age_days": 181}}}, "explainability"),
        (
            {"thresholds": {"red_team": {"default_max_failure_rate": 0.5}}},
            "default_max_failure_rate",
        ),
        ({"thresholds": {"red_team": {"blocking_severities": ["high"]}}}, "blocking_severities"),
        ({"thresholds": {"monitoring": {"suspend": {"max_psi": 2}}}}, "suspend.max_psi"),
        (
            {"thresholds": {"evaluations": {"domains": {"credit": {"accuracy": {"min": None}}}}}},
            "credit.accuracy.min",
        ),
        (
            {
                "thresholds": {
                    "eu_ai_act": {
                        "significant_modification_fraction": {"numerator": 1, "denominator": 2}
                    }
                }
            },
            "significant_modification_fraction",
        ),
        ({"model_risk": {"adopted_guidance": "none"}}, "adopted_guidance"),
        (
            {"eu_ai_act": {"application_dates": {"annex_iii_high_risk": "2030-01-01"}}},
            "annex_iii_high_risk",
        ),
    ],
)
def test_a_loosening_or_null_override_is_refused(
    tmp_path: Path, override: dict[str, Any], where: str
) -> None:
    with pytest.raises(PolicyBundleError, match="an override may tighten, not loosen") as refused:
        load_bundle(policy_dir=POLICY_DIR, extra_data_path=_override(tmp_path, override))
    assert where in str(refused.value)


def test_a_tightening_override_is_accepted(tmp_path: Path) -> None:
    override = _override(
        tmp_path,
        {
            "thresholds": {"fairness": {"min_adverse_impact_ratio": 0.9, "max_audit_age_days": 30}},
            "model_risk": {"adopted_guidance": "sr11-7"},
        },
    )
    data = load_bundle(policy_dir=POLICY_DIR, extra_data_path=override).data["gatehouse"]
    assert data["thresholds"]["fairness"]["min_adverse_impact_ratio"] == 0.9
    assert data["model_risk"]["adopted_guidance"] == "sr11-7"


def test_an_engine_refuses_a_loosening_override(tmp_path: Path) -> None:
    override = _override(tmp_path, {"thresholds": {"fairness": {"min_adverse_impact_ratio": 0.5}}})
    with pytest.raises(PolicyBundleError, match="min_adverse_impact_ratio"):
        build_engine(kind="embedded", policy_dir=POLICY_DIR, extra_data_path=override)
