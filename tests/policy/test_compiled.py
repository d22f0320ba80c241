"""The committed compiled policy: fresh, verified, and refused when it is not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.policy.bundle import load_bundle
from app.policy.compiled import (
    DEFAULT_COMPILED_DIR,
    MANIFEST_FILE,
    MODULE_FILE,
    REBUILD_COMMAND,
    build_compiled_policy,
    load_compiled_policy,
)
from app.policy.errors import CompiledPolicyError
from app.policy.factory import build_engine
from tests.policy.conftest import POLICY_DIR


def test_the_committed_artefact_matches_the_policies() -> None:
    """Fails whenever policies/ changed without `gatehouse policy build`."""
    manifest = json.loads((DEFAULT_COMPILED_DIR / MANIFEST_FILE).read_text())
    assert manifest["source_hash"] == load_bundle(policy_dir=POLICY_DIR).hash, (
        f"compiled-policy/ is stale: run `{REBUILD_COMMAND}` and commit compiled-policy/"
    )
    compiled = load_compiled_policy(policy_dir=POLICY_DIR, compiled_dir=DEFAULT_COMPILED_DIR)
    assert compiled.source_hash == manifest["source_hash"]


@pytest.mark.opa
def test_rebuilding_gives_the_committed_module(opa_binary: Path, tmp_path: Path) -> None:
    built = build_compiled_policy(opa=opa_binary, policy_dir=POLICY_DIR, output_dir=tmp_path)
    assert built.wasm == (DEFAULT_COMPILED_DIR / MODULE_FILE).read_bytes()
    assert json.loads((tmp_path / MANIFEST_FILE).read_text()) == json.loads(
        (DEFAULT_COMPILED_DIR / MANIFEST_FILE).read_text()
    )


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    policies, compiled = tmp_path / "policies", tmp_path / "compiled"
    shutil.copytree(POLICY_DIR, policies)
    shutil.copytree(DEFAULT_COMPILED_DIR, compiled)
    return policies, compiled


def test_an_edited_policy_makes_the_artefact_stale(tmp_path: Path) -> None:
    policies, compiled = _copy(tmp_path)
    control = policies / "finance" / "fair_lending" / "fair_lending.rego"
    control.write_text(control.read_text() + "\n# edited\n")
    with pytest.raises(CompiledPolicyError, match=f"stale.*run `{REBUILD_COMMAND}`"):
        build_engine(kind="embedded", policy_dir=policies, compiled_dir=compiled)


def test_edited_policy_data_makes_the_artefact_stale(tmp_path: Path) -> None:
    policies, compiled = _copy(tmp_path)
    data = json.loads((policies / "data.json").read_text())
    data["gatehouse"]["thresholds"]["fairness"]["min_adverse_impact_ratio"] = 0.9
    (policies / "data.json").write_text(json.dumps(data))
    with pytest.raises(CompiledPolicyError, match="stale"):
        build_engine(kind="embedded", policy_dir=policies, compiled_dir=compiled)


def test_a_missing_artefact_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(CompiledPolicyError, match=f"no compiled policy.*`{REBUILD_COMMAND}`"):
        build_engine(kind="embedded", policy_dir=POLICY_DIR, compiled_dir=tmp_path)


def test_an_altered_module_is_refused(tmp_path: Path) -> None:
    _, compiled = _copy(tmp_path)
    module = compiled / MODULE_FILE
    module.write_bytes(module.read_bytes()[:-1] + b"\0")
    with pytest.raises(CompiledPolicyError, match="does not match its manifest"):
        build_engine(kind="embedded", policy_dir=POLICY_DIR, compiled_dir=compiled)
