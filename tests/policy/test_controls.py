"""Every control allows and denies through both Python engines, on the Rego tests' inputs."""

from __future__ import annotations

from typing import Any

import pytest

from app.policy.catalogue import load_catalogue
from app.policy.decision import Decision
from app.policy.embedded import EmbeddedEngine
from app.policy.input_document import example_inputs
from app.policy.opa_server import OpaServerEngine
from tests.policy.conftest import POLICY_DIR

pytestmark = pytest.mark.opa

CONTROLS = load_catalogue(policy_dir=POLICY_DIR)


def _statuses(decision: Decision, control_id: str) -> list[str]:
    return [
        outcome["status"] for outcome in decision.controls if outcome["control_id"] == control_id
    ]


@pytest.mark.parametrize("control", CONTROLS, ids=[control.id for control in CONTROLS])
def test_control_passes_and_fails_through_both_engines(
    control: Any,
    rego_test_inputs: dict[str, dict[str, Any]],
    embedded_engine: EmbeddedEngine,
    opa_engine: OpaServerEngine,
) -> None:
    prefix = f"{control.package}_test."
    documents = [doc for name, doc in rego_test_inputs.items() if name.startswith(prefix)]
    assert documents, f"no input_* documents in {control.package}_test"
    seen: set[str] = set()
    for document in documents:
        embedded = embedded_engine.decide(document["gate"], document)
        served = opa_engine.decide(document["gate"], document)
        assert embedded.error is None and served.error is None
        assert embedded.result() == served.result()
        statuses = _statuses(embedded, control.id)
        seen.update(statuses)
        if statuses == ["fail"]:
            assert not embedded.allow
            assert control.id in {violation["control"] for violation in embedded.violations}
            cited = {v["citation"] for v in embedded.violations if v["control"] == control.id}
            assert cited == {control.citation}
    assert {"pass", "fail"} <= seen, f"{control.id} saw only {seen}"


@pytest.mark.parametrize("engine_name", ["embedded", "opa"])
def test_acceptance_examples(
    engine_name: str, embedded_engine: EmbeddedEngine, opa_engine: OpaServerEngine
) -> None:
    engine = embedded_engine if engine_name == "embedded" else opa_engine
    examples = example_inputs()

    raw = engine.decide("training_launch", examples["phi_notes_raw"].document())
    assert not raw.allow
    assert raw.violations == (
        {
            "control": "HIPAA-164.514",
            "regulation": "HIPAA",
            "citation": "45 CFR 164.514(a)-(b)",
            "severity": "high",
            "message": "dataset clinical-notes@3 contains PHI and is not de-identified",
        },
    )

    cleaned = engine.decide("training_launch", examples["phi_notes_deidentified"].document())
    assert cleaned.allow
    assert _statuses(cleaned, "HIPAA-164.514") == ["pass"]

    special = engine.decide("dataset_use", examples["gdpr_special_no_art9"].document())
    assert not special.allow
    assert [v["control"] for v in special.violations] == ["GDPR-9.2"]

    credit = engine.decide("production_promotion", examples["credit_promotion_ready"].document())
    assert credit.allow, credit.violations
    assert credit.required_approvals == (
        {"role": "compliance_officer", "count": 1},
        {"role": "model_risk", "count": 1},
    )
    assert credit.engine == engine_name
    assert len(credit.bundle_hash) == 64
    assert credit.latency_ms > 0
