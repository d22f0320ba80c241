"""The portal's drift chart draws the review bound the policy applies, overrides included."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.config import Settings
from tests.approvals.conftest import Registry
from tests.evaluations.test_doors import BATCH

#: Stricter than the shipped review bound, as an installation may set it.
OVERRIDDEN_BOUND = 0.15


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The test settings with a policy data override lowering the drift review bound."""
    override = tmp_path / "policy-data.json"
    override.write_text(
        json.dumps(
            {"gatehouse": {"thresholds": {"monitoring": {"review": {"max_psi": OVERRIDDEN_BOUND}}}}}
        ),
        encoding="utf-8",
    )
    return dataclasses.replace(settings, policy_data_override=override)


def test_the_drift_chart_draws_the_overridden_review_bound(
    login: Any, make_actor: Any, registry: Registry
) -> None:
    officer = make_actor("compliance_officer")
    pipeline = make_actor("pipeline")
    rng = np.random.default_rng(7)
    deployment = f"/api/v1/deployments/{registry.deployment_id}/monitoring"
    baseline = {"scores": list(rng.uniform(0, 1, 300)), "source": "audit_run:1"}
    assert officer.put(f"{deployment}/baseline", json=baseline).status_code in (200, 201)
    batch = {**BATCH, "scores": list(rng.uniform(0.3, 1, 300))}
    assert pipeline.post(f"{deployment}/batches", json=batch).status_code == 201

    portal, _ = login("compliance_officer")
    page = portal.get(f"/deployments/{registry.deployment_id}/monitoring")

    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f"review bound (policy data) at {OVERRIDDEN_BOUND:.3f}" in body
    assert "review bound (policy data) at 0.200" not in body
