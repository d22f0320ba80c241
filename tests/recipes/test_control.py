"""CONTRIBUTING's "add a regulation control" recipe, followed once on a copy of the policies.

The control's METADATA is the only place its title and citation are written for people:
the catalogue reads them from there. The gate expects it once its id is in a pack, and
counts it once its outcome is listed; a control expected but not listed fails the gate.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from app.policy.catalogue import load_catalogue
from app.policy.compiled import build_compiled_policy
from app.policy.engine import PolicyEngine
from app.policy.factory import build_engine
from app.policy.opa_checks import find_opa_binary

POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"
CONTROL_ID = "COMMON-FIXTURE-ENDPOINT"
CITATION = "Gatehouse fixture control, section 1"

CONTROL = f'''# METADATA
# schemas:
#   - input: schema.input
# title: Endpoint recorded
# description: A deployment names its endpoint (a fixture control for the recipe test).
# related_resources:
#   - ref: https://example.org/fixture
#     description: {CITATION}
# custom:
#   control_id: {CONTROL_ID}
#   frameworks:
#     nist_ai_rmf: [MEASURE 2.8]
#     iso_42001: []
#   effective_from: 2026-11-30
#   superseded_by: null
#   last_reviewed: 2026-11-30
#   regulation: Common
#   severity: low
#   remediation: Record the endpoint.
package common.fixture_endpoint

import data.lib.controls

control := {{
	"control_id": "{CONTROL_ID}",
	"regulation": "Common",
	"citation": "{CITATION}",
	"severity": "low",
}}

failures contains "the deployment names no endpoint" if not controls.string_field(input.deployment, "endpoint")

outcome := controls.outcome(control, {{"applicable": true, "reason": "checked the endpoint"}}, failures, set())
'''


def _policies_with_fixture(tmp_path: Path, *, listed: bool) -> Path:
    policies = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, policies)
    folder = policies / "common" / "fixture_endpoint"
    folder.mkdir()
    (folder / "fixture_endpoint.rego").write_text(CONTROL, encoding="utf-8")
    gates = policies / "lib" / "gates" / "gates.rego"
    source = gates.read_text(encoding="utf-8")
    source = source.replace(
        '"common": ["COMMON-MODEL-CARD",', f'"common": ["{CONTROL_ID}", "COMMON-MODEL-CARD",'
    )
    if listed:
        source += f'\noutcomes["{CONTROL_ID}"] := data.common.fixture_endpoint.outcome\n'
    gates.write_text(source, encoding="utf-8")
    return policies


def _embedded_engine(policies: Path, tmp_path: Path) -> PolicyEngine:
    """The embedded engine over ``policies``, compiled as ``gatehouse policy build`` does."""
    opa = find_opa_binary()
    assert opa is not None, "the recipe test needs the OPA binary (GATEHOUSE_OPA_BINARY)"
    compiled = tmp_path / "compiled"
    build_compiled_policy(opa=opa, policy_dir=policies, output_dir=compiled)
    return build_engine(kind="embedded", policy_dir=policies, compiled_dir=compiled, timeout_s=30)


def _promotion_input(rego_test_inputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return next(
        document
        for name, document in sorted(rego_test_inputs.items())
        if document.get("gate") == "production_promotion" and document.get("deployment")
    )


def _outcome(decision: Any) -> list[dict[str, Any]]:
    return [o for o in decision.controls if o["control_id"] == CONTROL_ID]


def test_a_new_control_is_catalogued_from_metadata_and_judged_by_its_gate(
    tmp_path: Path, rego_test_inputs: dict[str, dict[str, Any]]
) -> None:
    policies = _policies_with_fixture(tmp_path, listed=True)
    catalogue = {control.id: control for control in load_catalogue(policy_dir=policies)}
    assert catalogue[CONTROL_ID].citation == CITATION
    assert catalogue[CONTROL_ID].title == "Endpoint recorded"

    engine = _embedded_engine(policies, tmp_path)
    try:
        document = _promotion_input(rego_test_inputs)
        without = {**document, "deployment": {**document["deployment"], "endpoint": None}}
        refused = engine.decide("production_promotion", without)
        assert [o["status"] for o in _outcome(refused)] == ["fail"]
        cited = [v["citation"] for v in refused.violations if v["control"] == CONTROL_ID]
        assert cited == [CITATION] and not refused.allow
        named = {**document, "deployment": {**document["deployment"], "endpoint": "https://x"}}
        assert [o["status"] for o in _outcome(engine.decide("production_promotion", named))] == [
            "pass"
        ]
    finally:
        engine.close()


def test_a_control_the_gate_expects_but_does_not_list_fails_the_gate(
    tmp_path: Path, rego_test_inputs: dict[str, dict[str, Any]]
) -> None:
    policies = _policies_with_fixture(tmp_path, listed=False)
    engine = _embedded_engine(policies, tmp_path)
    try:
        decision = engine.decide("production_promotion", _promotion_input(rego_test_inputs))
    finally:
        engine.close()
    assert not decision.allow
    assert any(
        v["control"] == CONTROL_ID and "reported no outcome" in v["message"]
        for v in decision.violations
    )
