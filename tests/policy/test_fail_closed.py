"""Fail closed: engine errors, timeouts, malformed results and a dying OPA all deny."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from app.config import OPA_AUTHZ_POLICY
from app.policy.bundle import PolicyBundle, bundle_hash, load_bundle, merge_data
from app.policy.compiled import build_compiled_policy
from app.policy.decision import ENGINE_FAILURE_CONTROL, Decision, decision_from_result
from app.policy.embedded import EmbeddedEngine
from app.policy.engine import PolicyEngine
from app.policy.errors import CompiledPolicyError, PolicyBundleError, UnknownEngineError
from app.policy.factory import build_engine
from app.policy.host_builtins import HOST_BUILTINS, parse_rfc3339_ns
from app.policy.input_document import example_inputs
from app.policy.opa_server import OpaServerEngine
from tests.conftest import SilentServer
from tests.policy.conftest import OPA_TOKEN, POLICY_DIR, opa_engine_for, start_opa_server

CALLS = 100
KILL_AFTER = 40


def _is_engine_failure(decision: Decision) -> bool:
    return (
        not decision.allow
        and decision.error is not None
        and [violation["control"] for violation in decision.violations] == [ENGINE_FAILURE_CONTROL]
    )


@pytest.fixture
def promotion_document() -> dict:
    return example_inputs()["credit_promotion_ready"].document()


@pytest.mark.slow
@pytest.mark.opa
def test_killing_opa_mid_run_denies_every_later_call(
    opa_binary: Path, bundle: PolicyBundle, promotion_document: dict
) -> None:
    server = start_opa_server(opa_binary)
    engine = opa_engine_for(bundle, server.url, timeout_s=2)
    decisions = []
    try:
        for call in range(CALLS):
            if call == KILL_AFTER:
                server.kill()
            decisions.append(engine.decide("production_promotion", promotion_document))
    finally:
        engine.close()
        if server.process.poll() is None:
            server.kill()
    before, after = decisions[:KILL_AFTER], decisions[KILL_AFTER:]
    assert all(decision.allow and decision.error is None for decision in before)
    assert len(after) == CALLS - KILL_AFTER
    assert all(_is_engine_failure(decision) for decision in after)
    assert all("policy engine opa failed" in d.violations[0]["message"] for d in after)
    assert all(decision.bundle_hash == bundle.hash for decision in after)


@pytest.mark.opa
def test_a_restarted_opa_gets_the_bundle_again(
    opa_binary: Path, bundle: PolicyBundle, promotion_document: dict
) -> None:
    server = start_opa_server(opa_binary)
    port = int(server.url.rsplit(":", 1)[1])
    # A long re-check interval: the first decision after the restart must not reload.
    engine = opa_engine_for(bundle, server.url, timeout_s=5, recheck_s=3600)
    try:
        assert engine.decide("production_promotion", promotion_document).allow
        server.kill()
        server = start_opa_server(opa_binary, port=port)
        # The new server holds no policies: the first answer is undefined, a deny...
        first = engine.decide("production_promotion", promotion_document)
        assert _is_engine_failure(first)
        assert "no decision" in (first.error or "")
        # ...and the engine pushes the bundle again before the next one.
        assert engine.decide("production_promotion", promotion_document).allow
    finally:
        engine.close()
        server.kill()


def test_a_server_that_never_answers_times_out(
    bundle: PolicyBundle, silent_server: SilentServer, promotion_document: dict
) -> None:
    engine = OpaServerEngine(bundle=bundle, url=silent_server.url, timeout_s=0.3)
    started = time.perf_counter()
    try:
        decision = engine.decide("production_promotion", promotion_document)
    finally:
        engine.close()
    assert _is_engine_failure(decision)
    assert "Read timed out" in (decision.error or "")
    assert time.perf_counter() - started < 2


@pytest.mark.opa
def test_a_frozen_opa_misses_the_deadline(
    opa_binary: Path, bundle: PolicyBundle, promotion_document: dict
) -> None:
    server = start_opa_server(opa_binary)
    engine = opa_engine_for(bundle, server.url, timeout_s=0.5)
    try:
        engine.ensure_loaded()
        assert engine.decide("production_promotion", promotion_document).allow
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            decision = engine.decide("production_promotion", promotion_document)
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
    finally:
        engine.close()
        server.kill()
    assert _is_engine_failure(decision)
    assert decision.error == "no answer within 0.5 s"
    assert 450 <= decision.latency_ms < 1500


def test_embedded_engine_past_its_deadline_denies(promotion_document: dict) -> None:
    engine = build_engine(kind="embedded", policy_dir=POLICY_DIR, timeout_s=0.0001)
    try:
        decision = engine.decide("production_promotion", promotion_document)
    finally:
        engine.close()
    assert _is_engine_failure(decision)
    assert decision.error == "no answer within 0.0001 s"


def test_unreachable_opa_denies(bundle: PolicyBundle, promotion_document: dict) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = OpaServerEngine(bundle=bundle, url=f"http://127.0.0.1:{port}", timeout_s=2)
    try:
        decision = engine.decide("production_promotion", promotion_document)
    finally:
        engine.close()
    assert _is_engine_failure(decision)
    assert "ConnectionError" in (decision.error or "")


def test_unknown_gate_denies(embedded_engine: EmbeddedEngine) -> None:
    decision = embedded_engine.decide("launch_anything", {})
    assert _is_engine_failure(decision)
    assert "unknown gate" in (decision.error or "")


def _policy_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, copy)
    return copy


def _engine_over(
    kind: str, policies: Path, opa_binary: Path, server_url: str | None, **options: Any
) -> PolicyEngine:
    """An engine over edited policies; the embedded one over their fresh compilation."""
    if kind == "opa":
        return build_engine(
            kind="opa",
            policy_dir=policies,
            opa_url=server_url,
            opa_token=OPA_TOKEN,
            opa_authz_policy=OPA_AUTHZ_POLICY,
            **options,
        )
    compiled = policies.parent / "compiled-policy"
    build_compiled_policy(opa=opa_binary, policy_dir=policies, output_dir=compiled)
    return build_engine(kind="embedded", policy_dir=policies, compiled_dir=compiled, **options)


@pytest.mark.parametrize("engine_kind", ["embedded", "opa"])
def test_a_malformed_decision_denies(
    engine_kind: str, tmp_path: Path, opa_binary: Path, promotion_document: dict
) -> None:
    policies = _policy_copy(tmp_path)
    (policies / "gates" / "production_promotion.rego").write_text(
        'package gates.production_promotion\n\ndecision := {"allow": true}\n'
    )
    server = start_opa_server(opa_binary) if engine_kind == "opa" else None
    engine = _engine_over(engine_kind, policies, opa_binary, server.url if server else None)
    try:
        decision = engine.decide("production_promotion", promotion_document)
    finally:
        engine.close()
        if server:
            server.kill()
    assert _is_engine_failure(decision)
    assert (decision.error or "").startswith("malformed result: the result has members")


def test_a_policy_that_does_not_compile_denies_on_the_server(
    tmp_path: Path, opa_binary: Path, promotion_document: dict
) -> None:
    policies = _policy_copy(tmp_path)
    (policies / "gates" / "dataset_use.rego").write_text(
        "package gates.dataset_use\n\ndecision := {\n"
    )
    server = start_opa_server(opa_binary)
    engine = build_engine(
        kind="opa",
        policy_dir=policies,
        opa_url=server.url,
        opa_token=OPA_TOKEN,
        opa_authz_policy=OPA_AUTHZ_POLICY,
    )
    try:
        decision = engine.decide("production_promotion", promotion_document)
    finally:
        engine.close()
        server.kill()
    assert _is_engine_failure(decision)


def test_a_policy_that_does_not_compile_gets_no_embedded_engine(
    tmp_path: Path, opa_binary: Path
) -> None:
    policies = _policy_copy(tmp_path)
    (policies / "gates" / "dataset_use.rego").write_text(
        "package gates.dataset_use\n\ndecision := {\n"
    )
    with pytest.raises(CompiledPolicyError, match="opa build failed"):
        build_compiled_policy(opa=opa_binary, policy_dir=policies, output_dir=tmp_path / "out")
    # The repository's artefact was compiled from other sources: refused, no fallback.
    with pytest.raises(CompiledPolicyError, match="stale"):
        build_engine(kind="embedded", policy_dir=policies)


def test_undefined_decision_denies(
    tmp_path: Path, opa_binary: Path, promotion_document: dict
) -> None:
    policies = _policy_copy(tmp_path)
    (policies / "gates" / "production_promotion.rego").write_text(
        "package gates.production_promotion\n\ndecision := 1 if input.never\n"
    )
    engine = _engine_over("embedded", policies, opa_binary, None)
    try:
        decision = engine.decide("production_promotion", promotion_document)
    finally:
        engine.close()
    assert _is_engine_failure(decision)
    assert decision.error == "WasmPolicyError: the decision is undefined"


def test_a_runaway_evaluation_is_interrupted_at_the_deadline(
    tmp_path: Path, opa_binary: Path, promotion_document: dict
) -> None:
    policies = _policy_copy(tmp_path)
    (policies / "gates" / "production_promotion.rego").write_text(
        "package gates.production_promotion\n\n"
        "decision := count([x | some x in numbers.range(1, 1000000000); x % 7 == 3])\n"
    )
    engine = _engine_over("embedded", policies, opa_binary, None, timeout_s=0.2)
    try:
        decision = engine.decide("production_promotion", promotion_document)
        again = engine.decide("production_promotion", promotion_document)
    finally:
        engine.close()
    assert _is_engine_failure(decision)
    assert decision.error == "no answer within 0.2 s"
    # Interrupted, not left running: a billion-step count would take minutes, and the
    # engine answers (again deny) with a fresh instance right after.
    assert again.error == "no answer within 0.2 s"


def test_a_failing_host_built_in_denies_and_the_engine_answers_again(
    monkeypatch: pytest.MonkeyPatch, promotion_document: dict
) -> None:
    """A built-in the host supplies raises inside the evaluation: the error crosses the
    wasm boundary as a trap, the decision denies naming it, and the instance it broke is
    not reused."""

    def broken_clock(text: object) -> int:
        raise ValueError(f"broken clock reading {text!r}")

    monkeypatch.setitem(HOST_BUILTINS, "time.parse_rfc3339_ns", broken_clock)
    engine = build_engine(kind="embedded", policy_dir=POLICY_DIR, timeout_s=10)
    try:
        failed = engine.decide("production_promotion", promotion_document)
        monkeypatch.setitem(HOST_BUILTINS, "time.parse_rfc3339_ns", parse_rfc3339_ns)
        answered = engine.decide("production_promotion", promotion_document)
    finally:
        engine.close()
    assert _is_engine_failure(failed)
    assert failed.error is not None and failed.error.startswith("ValueError: broken clock")
    assert answered.error is None
    assert answered.allow is True


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        (None, "the result is NoneType, not an object"),
        ({"allow": "yes"}, "the result has members"),
        (
            {
                "allow": 1,
                "violations": [],
                "warnings": [],
                "required_approvals": [],
                "controls": [],
            },
            "allow is not a boolean",
        ),
        (
            {
                "allow": True,
                "violations": ["x"],
                "warnings": [],
                "required_approvals": [],
                "controls": [],
            },
            "violations is malformed",
        ),
        (
            {
                "allow": True,
                "violations": [],
                "warnings": [],
                "required_approvals": [{"role": "x", "count": True}],
                "controls": [],
            },
            "required_approvals is malformed",
        ),
    ],
)
def test_result_shape_is_checked(result: object, problem: str) -> None:
    decision = decision_from_result(result, engine="embedded", bundle_hash="h", latency_ms=1.0)
    assert _is_engine_failure(decision)
    assert problem in (decision.error or "")


def test_data_overrides_change_the_decision_and_the_hash(
    tmp_path: Path, promotion_document: dict
) -> None:
    override = tmp_path / "thresholds.json"
    override.write_text(
        json.dumps({"gatehouse": {"thresholds": {"fairness": {"min_adverse_impact_ratio": 0.9}}}})
    )
    assert bundle_hash(POLICY_DIR, override) != bundle_hash(POLICY_DIR)
    stricter = load_bundle(policy_dir=POLICY_DIR, extra_data_path=override)
    fairness = stricter.data["gatehouse"]["thresholds"]["fairness"]
    assert fairness == {
        "min_adverse_impact_ratio": 0.9,
        "max_equalized_odds_difference": 0.1,
        "max_audit_age_days": 90,
    }
    engine = build_engine(kind="embedded", policy_dir=POLICY_DIR, extra_data_path=override)
    try:
        decision = engine.decide("production_promotion", promotion_document)
    finally:
        engine.close()
    assert not decision.allow
    assert [v["message"] for v in decision.violations] == [
        "adverse impact ratio 0.86 is below the policy minimum (four-fifths screening heuristic) 0.9"
    ]
    assert decision.bundle_hash == stricter.hash


def test_merge_data_merges_objects_and_replaces_the_rest() -> None:
    assert merge_data({"a": {"b": 1, "c": [1]}, "d": 1}, {"a": {"c": [2]}, "e": 2}) == {
        "a": {"b": 1, "c": [2]},
        "d": 1,
        "e": 2,
    }


def test_setup_errors_are_typed(tmp_path: Path) -> None:
    with pytest.raises(PolicyBundleError):
        build_engine(kind="embedded", policy_dir=tmp_path / "missing")
    with pytest.raises(UnknownEngineError):
        build_engine(kind="wasm", policy_dir=POLICY_DIR)
    with pytest.raises(UnknownEngineError):
        build_engine(kind="opa", policy_dir=POLICY_DIR, opa_url=None)


def test_embedded_engine_answers_from_many_threads(
    embedded_engine: EmbeddedEngine, promotion_document: dict
) -> None:
    expected = embedded_engine.decide("production_promotion", promotion_document).result()
    results: list[dict] = []

    def ask() -> None:
        for _ in range(5):
            results.append(
                embedded_engine.decide("production_promotion", promotion_document).result()
            )

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 30
    assert all(result == expected for result in results)
