"""The OPA server is locked (token + authz policy) and checked by content, independently.

Locked: the real ``opa run --server`` started as the README documents refuses anonymous
and wrong-token writes, and Gatehouse's token works. Checked: on a server left open (a
misconfigured server, or an attacker with access to it), writing Gatehouse's data or
replacing, adding or removing a module makes the next decision a deny that names the
difference, whatever the bundle-hash marker says.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app.config import OPA_AUTHZ_POLICY
from app.policy.bundle import PolicyBundle, load_bundle
from app.policy.decision import ENGINE_FAILURE_CONTROL, Decision
from app.policy.input_document import example_inputs
from app.policy.opa_content import (
    MISMATCH_PREFIX,
    data_differences,
    expected_content,
    mismatch_message,
    module_differences,
    root_differences,
)
from app.policy.opa_process import OpaProcess
from app.policy.opa_server import OpaServerEngine
from tests.policy.conftest import (
    AUTHZ_SOURCE,
    OPA_TOKEN,
    POLICY_DIR,
    opa_engine_for,
    start_opa_server,
)

pytestmark = pytest.mark.opa

GATE = "production_promotion"
APPROVALS_MODULE = "gatehouse/common/approvals/approvals.rego"
GATE_MODULE = f"gatehouse/gates/{GATE}.rego"
#: What an attacker writes: no approval is required any more.
NO_APPROVALS = {"always": [], "high_risk_tier": [], "phi": []}


@pytest.fixture
def promotion_document() -> dict:
    """A promotion every control passes: the gate allows it."""
    return example_inputs()["credit_promotion_ready"].document()


@pytest.fixture
def open_server(opa_binary: Path) -> Iterator[OpaProcess]:
    """An OPA server without authentication: anyone may write to it."""
    server = start_opa_server(opa_binary, locked=False)
    yield server
    server.kill()


@pytest.fixture
def open_engine(bundle: PolicyBundle, open_server: OpaProcess) -> Iterator[OpaServerEngine]:
    """Gatehouse's engine on the open server, bundle loaded and checked."""
    engine = OpaServerEngine(bundle=bundle, url=open_server.url, timeout_s=30)
    engine.ensure_loaded()
    yield engine
    engine.close()


def _mismatch(decision: Decision) -> str:
    """The deny's error, asserting that it is a content mismatch."""
    assert not decision.allow
    assert [v["control"] for v in decision.violations] == [ENGINE_FAILURE_CONTROL]
    assert decision.error is not None and MISMATCH_PREFIX in decision.error, decision.error
    return decision.error


# --- locked down ------------------------------------------------------------------


def test_authz_policy_passes_fmt_check_and_its_tests(opa_binary: Path) -> None:
    folder = str(OPA_AUTHZ_POLICY.parent)
    for command in (["fmt", "--fail", "--list"], ["check", "--strict"], ["test"]):
        done = subprocess.run(
            [str(opa_binary), *command, folder], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"opa {command[0]}: {done.stdout}{done.stderr}"


def test_locked_server_refuses_anonymous_and_wrong_token_writes(opa_server: OpaProcess) -> None:
    url = opa_server.url
    wrong = {"Authorization": "Bearer not-gatehouse"}
    attempts = [
        ("PUT", "/v1/data/gatehouse/approvals", {"json": NO_APPROVALS}),
        ("PUT", "/v1/data/gatehouse", {"json": {}}),
        ("PUT", "/v1/policies/evil", {"data": b"package gates.evil\n\nx := 1\n"}),
        ("DELETE", f"/v1/policies/{APPROVALS_MODULE}", {}),
        ("POST", "/v1/query", {"json": {"query": "x := data.gatehouse"}}),
        ("GET", "/v1/policies", {}),
    ]
    for method, path, body in attempts:
        for headers in ({}, wrong):
            response = requests.request(method, url + path, headers=headers, timeout=10, **body)
            assert response.status_code in (401, 403), (method, path, headers, response.text)
    assert requests.get(f"{url}/health", timeout=10).status_code == 200


def test_gatehouse_token_works_but_only_for_what_gatehouse_does(
    opa_server: OpaProcess, opa_engine: OpaServerEngine, promotion_document: dict
) -> None:
    assert opa_engine.decide(GATE, promotion_document).allow
    assert opa_engine.content_differences() == []
    own = {"Authorization": f"Bearer {OPA_TOKEN}"}
    held = requests.get(f"{opa_server.url}/v1/policies", headers=own, timeout=10)
    assert held.status_code == 200
    # Even Gatehouse's token may not write outside Gatehouse's modules and data.
    for method, path in (("PUT", "/v1/data/extra"), ("PUT", "/v1/data/gatehouse/approvals")):
        response = requests.request(method, opa_server.url + path, json={}, headers=own, timeout=10)
        assert response.status_code in (401, 403), (path, response.text)


def test_an_engine_without_the_token_is_refused_with_a_clear_deny(
    bundle: PolicyBundle, opa_server: OpaProcess, promotion_document: dict
) -> None:
    engine = OpaServerEngine(bundle=bundle, url=opa_server.url, timeout_s=30)
    try:
        decision = engine.decide(GATE, promotion_document)
    finally:
        engine.close()
    assert not decision.allow and decision.error is not None
    assert "OPA refused GET /v1/policies (401)" in decision.error
    assert "Gatehouse has no OPA token" in decision.error


def test_a_wrong_token_never_appears_in_the_deny(
    bundle: PolicyBundle, opa_server: OpaProcess, promotion_document: dict
) -> None:
    token = "wrong-token-that-must-not-leak"
    engine = OpaServerEngine(bundle=bundle, url=opa_server.url, token=token, timeout_s=30)
    try:
        decision = engine.decide(GATE, promotion_document)
    finally:
        engine.close()
    assert not decision.allow and "token was not accepted" in (decision.error or "")
    assert token not in str(decision.result()) + (decision.error or "")


def test_locked_server_still_refuses_the_reproduction(
    opa_server: OpaProcess, opa_engine: OpaServerEngine, promotion_document: dict
) -> None:
    response = requests.put(
        f"{opa_server.url}/v1/data/gatehouse/approvals", json=NO_APPROVALS, timeout=10
    )
    assert response.status_code == 401
    assert opa_engine.content_differences() == []
    assert opa_engine.decide(GATE, promotion_document).allow


# --- checked by content, on a server anyone may write to -------------------------


def test_written_approval_data_denies_naming_the_difference(
    open_server: OpaProcess,
    open_engine: OpaServerEngine,
    promotion_document: dict,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert open_engine.decide(GATE, promotion_document).allow
    written = requests.put(
        f"{open_server.url}/v1/data/gatehouse/approvals", json=NO_APPROVALS, timeout=10
    )
    assert written.status_code == 204
    with caplog.at_level(logging.ERROR, logger="app.policy.opa_server"):
        decision = open_engine.decide(GATE, promotion_document)
    error = _mismatch(decision)
    assert "data.gatehouse.approvals.always differs" in error
    assert decision.bundle_hash == open_engine.bundle_hash
    assert any("ALERT" in r.message and MISMATCH_PREFIX in r.message for r in caplog.records)
    # The next decision reloads Gatehouse's data, checks it, and answers again.
    assert open_engine.decide(GATE, promotion_document).allow
    assert open_engine.content_differences() == []


def test_a_replaced_module_denies_before_its_allow_leaves(
    open_server: OpaProcess, open_engine: OpaServerEngine, promotion_document: dict
) -> None:
    # Without its sign-offs the promotion is denied by the bundle's gate.
    document = {**promotion_document, "approvals": []}
    assert not open_engine.decide(GATE, document).allow
    replaced = requests.put(
        f"{open_server.url}/v1/policies/{GATE_MODULE}",
        data=(
            f"package gates.{GATE}\n\n"
            'decision := {"allow": true, "violations": [], "warnings": [], '
            '"required_approvals": [], "controls": []}\n'
        ).encode(),
        timeout=10,
    )
    assert replaced.status_code == 200, replaced.text
    error = _mismatch(open_engine.decide(GATE, document))
    assert f"module {GATE_MODULE} differs" in error


def test_an_added_module_keeps_denying_until_it_is_removed(
    open_server: OpaProcess, open_engine: OpaServerEngine, promotion_document: dict
) -> None:
    added = requests.put(
        f"{open_server.url}/v1/policies/evil",
        data=b"package gates.evil\n\nanswer := true\n",
        timeout=10,
    )
    assert added.status_code == 200, added.text
    first = _mismatch(open_engine.decide(GATE, promotion_document))
    assert "module evil is not in the bundle" in first
    # Gatehouse does not delete modules it does not own: every decision denies.
    assert "module evil is not in the bundle" in _mismatch(
        open_engine.decide(GATE, promotion_document)
    )
    requests.delete(f"{open_server.url}/v1/policies/evil", timeout=10).raise_for_status()
    assert open_engine.decide(GATE, promotion_document).allow


def test_a_removed_module_and_a_new_data_root_are_differences(
    open_server: OpaProcess, open_engine: OpaServerEngine
) -> None:
    requests.put(f"{open_server.url}/v1/data/extra", json={"x": 1}, timeout=10).raise_for_status()
    module = "gatehouse/gdpr/erasure/erasure.rego"
    requests.delete(f"{open_server.url}/v1/policies/{module}", timeout=10).raise_for_status()
    differences = open_engine.content_differences()
    assert f"module {module} is missing" in differences
    assert "data.extra is not in the bundle" in differences


def test_a_second_engine_trusts_content_not_a_marker(
    bundle: PolicyBundle, open_server: OpaProcess, open_engine: OpaServerEngine
) -> None:
    # The old marker said "this bundle hash is loaded"; writing it proves nothing now.
    requests.put(
        f"{open_server.url}/v1/data/gatehouse_bundle", json={"hash": bundle.hash}, timeout=10
    ).raise_for_status()
    requests.put(
        f"{open_server.url}/v1/data/gatehouse/approvals", json=NO_APPROVALS, timeout=10
    ).raise_for_status()
    assert "data.gatehouse.approvals.always differs" in open_engine.content_differences()
    assert "data.gatehouse_bundle is not in the bundle" in open_engine.content_differences()


# --- the comparison itself --------------------------------------------------------


def test_comparison_names_each_kind_of_difference(bundle: PolicyBundle) -> None:
    expected = expected_content(bundle, (AUTHZ_SOURCE,))
    held_modules = dict(expected.modules)
    first = sorted(held_modules)[0]
    held_modules[first] += "\n# edited\n"
    del held_modules[sorted(held_modules)[1]]
    held_modules["system/authz.rego"] = AUTHZ_SOURCE
    held_modules["other"] = "package other\n"
    found = module_differences(expected, held_modules)
    assert found[0].startswith(f"module {first} differs (sha256 ")
    assert any(d.endswith("is missing") for d in found)
    assert "module other is not in the bundle" in found
    assert not any("system/authz.rego" in d for d in found)

    held_data = {"gatehouse": {**bundle.data["gatehouse"], "extra": 1}}
    held_data["gatehouse"]["approvals"] = {**bundle.data["gatehouse"]["approvals"], "phi": True}
    assert data_differences(expected, held_data) == [
        "data.gatehouse.approvals.phi differs",
        "data.gatehouse.extra is not in the bundle",
    ]
    assert data_differences(expected, {}) == ["data.gatehouse is missing"]
    assert root_differences(expected, ["gatehouse", "gates", "system", "x"]) == [
        "data.x is not in the bundle"
    ]


def test_comparison_is_strict_about_types_and_message_is_bounded(bundle: PolicyBundle) -> None:
    expected = expected_content(bundle)
    thresholds = bundle.data["gatehouse"]["thresholds"]["fairness"]
    as_float = {
        "gatehouse": {
            **bundle.data["gatehouse"],
            "thresholds": {
                **bundle.data["gatehouse"]["thresholds"],
                "fairness": {**thresholds, "max_audit_age_days": 90.0},
            },
        }
    }
    # JSON numbers compare by value (OPA may print 90 as 90.0); true is not 1.
    assert data_differences(expected, as_float) == []
    as_float["gatehouse"]["thresholds"]["fairness"]["max_audit_age_days"] = True
    assert data_differences(expected, as_float) == [
        "data.gatehouse.thresholds.fairness.max_audit_age_days differs"
    ]
    assert module_differences(expected, {"authz": AUTHZ_SOURCE, **expected.modules}) == [
        "module authz is not in the bundle"
    ]
    message = mismatch_message([f"difference {n}" for n in range(10)])
    assert message.startswith(MISMATCH_PREFIX) and message.endswith("(and 6 more)")


def test_a_stolen_token_can_open_opa_but_every_decision_then_denies(
    opa_binary: Path, bundle: PolicyBundle, promotion_document: dict
) -> None:
    """What docs/opa.md says a stolen token can do, and what the content check still does."""
    server = start_opa_server(opa_binary)
    engine = opa_engine_for(bundle, server.url, timeout_s=30)
    stolen = {"Authorization": f"Bearer {OPA_TOKEN}"}
    try:
        assert engine.decide(GATE, promotion_document).allow
        # OPA merges rules across modules: one more `allow` in system.authz opens it.
        opened = requests.put(
            f"{server.url}/v1/policies/gatehouse/opener.rego",
            data=b"package system.authz\n\nallow if true\n",
            headers=stolen,
            timeout=10,
        )
        assert opened.status_code == 200, opened.text
        anonymous = requests.put(f"{server.url}/v1/policies/evil", data=b"package evil\n\nx := 1\n")
        assert anonymous.status_code == 200, anonymous.text
        first = _mismatch(engine.decide(GATE, promotion_document))
        assert "module gatehouse/opener.rego is not in the bundle" in first
        # Gatehouse reloads and drops the module it may delete; the foreign one stays,
        # so decisions keep denying until an operator removes it.
        assert "module evil is not in the bundle" in _mismatch(
            engine.decide(GATE, promotion_document)
        )
        held = requests.get(f"{server.url}/v1/policies", headers=stolen, timeout=10).json()
        assert "gatehouse/opener.rego" not in {module["id"] for module in held["result"]}
        relocked = requests.put(f"{server.url}/v1/data/gatehouse", json={}, timeout=10)
        assert relocked.status_code == 401
    finally:
        engine.close()
        server.kill()


def test_a_new_bundle_replaces_the_old_one_even_when_a_rule_moved_file(
    opa_binary: Path, tmp_path: Path, promotion_document: dict
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    # The rule moves to another file and becomes a set: both at once do not compile.
    for folder, file, rule in ((old, "removed", "limit := 3"), (new, "added", "limit contains 3")):
        shutil.copytree(POLICY_DIR, folder)
        (folder / "lib" / f"{file}.rego").write_text(f"package lib.moved\n\n{rule}\n")
    server = start_opa_server(opa_binary)
    try:
        for folder in (old, new):
            engine = opa_engine_for(load_bundle(policy_dir=folder), server.url, timeout_s=30)
            try:
                assert engine.decide(GATE, promotion_document).allow
                assert engine.content_differences() == []
            finally:
                engine.close()
    finally:
        server.kill()
