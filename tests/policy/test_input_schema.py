"""``opa check --strict`` type-checks every policy against the real input document shape."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.policy.catalogue import read_metadata
from app.policy.input_schema import SCHEMA_DIR_NAME, render_input_schema
from app.policy.opa_checks import run_opa_checks
from tests.policy.conftest import POLICY_DIR

pytestmark = pytest.mark.opa

SCHEMA_DIR = POLICY_DIR.parent / SCHEMA_DIR_NAME


def _copy(tmp_path: Path) -> Path:
    """A copy of the policies with their schemas beside them, as in the repository."""
    shutil.copytree(POLICY_DIR, tmp_path / "policies")
    shutil.copytree(SCHEMA_DIR, tmp_path / SCHEMA_DIR_NAME)
    return tmp_path / "policies"


def _check_failures(failures: list[str]) -> list[str]:
    return [failure for failure in failures if failure.startswith("opa check --strict")]


def test_committed_schema_is_generated_from_the_input_models() -> None:
    assert (SCHEMA_DIR / "input.json").read_text(encoding="utf-8") == render_input_schema(), (
        "policy-schemas/input.json is stale: run `gatehouse policy schema`"
    )


def test_every_policy_module_names_the_input_schema() -> None:
    for path in sorted(POLICY_DIR.rglob("*.rego")):
        if path.name.endswith("_test.rego"):
            continue
        annotation, _ = read_metadata(path.read_text(encoding="utf-8"))
        assert {"input": "schema.input"} in annotation.get("schemas", []), path


def test_a_misspelt_input_member_is_a_type_error(opa_binary: Path, tmp_path: Path) -> None:
    policies = _copy(tmp_path)
    control = policies / "finance" / "adverse_action" / "adverse_action.rego"
    source = control.read_text(encoding="utf-8")
    assert 'input.model.decision_type == "credit_decision"' in source
    control.write_text(source.replace("input.model.decision_type", "input.model.decision_typo"))
    failures, _ = run_opa_checks(opa=opa_binary, policy_dir=policies)
    (failure,) = _check_failures(failures)
    assert "undefined ref: input.model.decision_typo" in failure


def test_a_value_of_the_wrong_type_is_a_type_error(opa_binary: Path, tmp_path: Path) -> None:
    policies = _copy(tmp_path)
    control = policies / "hipaa" / "audit_controls" / "audit_controls.rego"
    control.write_text(
        control.read_text(encoding="utf-8")
        + '\nwrong_type if upper(input.card.missing) == "TRUE"\n'
    )
    failures, _ = run_opa_checks(opa=opa_binary, policy_dir=policies)
    (failure,) = _check_failures(failures)
    assert "rego_type_error" in failure


def test_checks_fail_without_the_schema(opa_binary: Path, tmp_path: Path) -> None:
    shutil.copytree(POLICY_DIR, tmp_path / "policies")
    failures, _ = run_opa_checks(opa=opa_binary, policy_dir=tmp_path / "policies")
    assert any("no input schema" in failure for failure in failures)
