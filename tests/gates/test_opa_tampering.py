"""The found reproduction, end to end: a write to OPA must never approve or launch a run.

Found on the OPA server Gatehouse used: ``PUT /v1/data/gatehouse/approvals/...`` made
the next submitted run come back approved with no votes, and it launched, while the
stored decision still showed the original bundle hash. Here the same write (and a
replaced gate module) on an open server ends in a deny that names the difference, and
nothing launches; on the server locked as documented the write itself is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.db import session_scope
from app.models.runs import FineTuneRun
from app.policy.opa_checks import find_opa_binary
from app.policy.opa_content import MISMATCH_PREFIX
from app.policy.opa_process import OpaProcess, start_opa_server
from tests.approvals.conftest import ENGINEER, build_registry

pytestmark = pytest.mark.opa

#: The attacker's write: no approval is required any more.
NO_APPROVALS = {"always": [], "high_risk_tier": [], "phi": []}
#: The token of the locked server in these tests.
TOKEN = "gatehouse-e2e-token"


def _server(*, locked: bool) -> OpaProcess:
    binary = find_opa_binary()
    assert binary is not None, "the OPA binary is required (scripts/test builds it)"
    return start_opa_server(binary, token=TOKEN if locked else None)


@pytest.fixture
def open_opa() -> Iterator[OpaProcess]:
    """A server anyone may write to (misconfigured, or an attacker has access)."""
    server = _server(locked=False)
    yield server
    server.kill()


@pytest.fixture
def locked_opa() -> Iterator[OpaProcess]:
    """A server started as the README's production command starts it."""
    server = _server(locked=True)
    yield server
    server.kill()


def _served(settings: Any, server: OpaProcess, token: str | None) -> Flask:
    return create_app(
        settings.with_overrides(
            policy_engine="opa", opa_url=server.url, opa_token=token, policy_timeout_s=30.0
        )
    )


def _draft_run(engine: sa.Engine) -> int:
    with session_scope(engine) as session:
        return build_registry(session).run_id


def _state(engine: sa.Engine, run_id: int) -> str:
    with session_scope(engine) as session:
        run = session.get(FineTuneRun, run_id)
        assert run is not None
        return run.state


def _engineer(make_actor: Any, served: Flask) -> Any:
    engineer = make_actor("ml_engineer", username=ENGINEER)
    engineer.client = served.test_client()
    return engineer


def _assert_mismatch_denied(body: dict[str, Any]) -> str:
    # No decision of Gatehouse's bundle was made: a deny, indeterminate (not the policy's deny).
    assert body["outcome"] == "indeterminate" and body["approval_request"] is None
    decision = body["decision"]
    assert decision["allow"] is False and decision["engine"] == "opa"
    assert decision["violations"][0]["control"] == "GATEHOUSE-ENGINE"
    assert decision["error"].startswith(f"OpaContentMismatchError: {MISMATCH_PREFIX}")
    return str(decision["error"])


def test_written_approval_data_denies_the_submission_and_nothing_launches(
    settings: Any, engine: sa.Engine, make_actor: Any, open_opa: OpaProcess
) -> None:
    served = _served(settings, open_opa, token=None)
    run_id = _draft_run(engine)
    engineer = _engineer(make_actor, served)
    # Gatehouse has loaded and used the server before the attacker writes.
    asked = engineer.post("/api/v1/gates/training_launch", json={"subject_id": run_id})
    assert asked.status_code == 200 and asked.get_json()["error"] is None
    requests.put(
        f"{open_opa.url}/v1/data/gatehouse/approvals", json=NO_APPROVALS, timeout=10
    ).raise_for_status()

    submitted = engineer.post(f"/api/v1/runs/{run_id}/submit")
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    error = _assert_mismatch_denied(submitted.get_json())
    assert "data.gatehouse.approvals.always differs" in error
    assert _state(engine, run_id) == "draft"
    launched = engineer.post(f"/api/v1/runs/{run_id}/launch")
    assert launched.status_code == 409
    assert _state(engine, run_id) == "draft"
    # The stored decision says what happened; the ledger records the deny.
    stored = engineer.get(f"/api/v1/decisions/{submitted.get_json()['decision']['id']}")
    assert MISMATCH_PREFIX in stored.get_data(as_text=True)


def test_a_replaced_gate_module_denies_the_submission(
    settings: Any, engine: sa.Engine, make_actor: Any, open_opa: OpaProcess
) -> None:
    served = _served(settings, open_opa, token=None)
    run_id = _draft_run(engine)
    engineer = _engineer(make_actor, served)
    assert (
        engineer.post("/api/v1/gates/training_launch", json={"subject_id": run_id}).status_code
        == 200
    )
    module = "gatehouse/gates/training_launch.rego"
    requests.put(
        f"{open_opa.url}/v1/policies/{module}",
        data=(
            b"package gates.training_launch\n\n"
            b'decision := {"allow": true, "violations": [], "warnings": [], '
            b'"required_approvals": [], "controls": []}\n'
        ),
        timeout=10,
    ).raise_for_status()

    submitted = engineer.post(f"/api/v1/runs/{run_id}/submit")
    error = _assert_mismatch_denied(submitted.get_json())
    assert f"module {module} differs" in error
    assert _state(engine, run_id) == "draft"
    assert engineer.post(f"/api/v1/runs/{run_id}/launch").status_code == 409


def test_the_locked_server_refuses_the_write_and_the_run_waits_for_its_approvals(
    settings: Any, engine: sa.Engine, make_actor: Any, locked_opa: OpaProcess
) -> None:
    served = _served(settings, locked_opa, token=TOKEN)
    run_id = _draft_run(engine)
    engineer = _engineer(make_actor, served)
    assert (
        engineer.post("/api/v1/gates/training_launch", json={"subject_id": run_id}).status_code
        == 200
    )
    for headers in ({}, {"Authorization": "Bearer not-the-token"}):
        refused = requests.put(
            f"{locked_opa.url}/v1/data/gatehouse/approvals",
            json=NO_APPROVALS,
            headers=headers,
            timeout=10,
        )
        assert refused.status_code in (401, 403)

    submitted = engineer.post(f"/api/v1/runs/{run_id}/submit")
    body = submitted.get_json()
    assert submitted.status_code == 201, body
    assert body["decision"]["error"] is None and body["outcome"] == "approval_requested"
    assert {"role": "compliance_officer", "count": 1} in body["decision"]["required_approvals"]
    assert _state(engine, run_id) == "submitted"
    assert engineer.post(f"/api/v1/runs/{run_id}/launch").status_code == 409
