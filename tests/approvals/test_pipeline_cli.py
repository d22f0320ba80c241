"""The pipeline CLI end to end: the real app served over HTTP, the real command waiting.

``gatehouse promote ... --wait`` runs in the test thread through click's runner, talking
HTTP to a werkzeug server on 127.0.0.1; the approvers act from another thread once the
request exists, through the API (their own tokens) — the way people and a pipeline meet.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from app.cli import cli
from app.cli.pipeline import EXIT_DENIED, EXIT_DONE, EXIT_INFRASTRUCTURE, EXIT_TIMEOUT
from app.db import session_scope
from app.models.base import utc_now
from app.models.governance import ApprovalRequest
from app.registry.records import get_record
from tests.approvals.conftest import Registry
from tests.conftest import TEST_PASSWORD


def _run(url: str, token: str, *args: str) -> Any:
    runner = CliRunner()
    return runner.invoke(
        cli,
        [*args, "--interval", "0.1"],
        env={"GATEHOUSE_URL": url, "GATEHOUSE_TOKEN": token},
        catch_exceptions=False,
    )


def _when_pending(people: dict[str, Any], act: Callable[[int], None]) -> threading.Thread:
    """Start a thread that waits for the first pending request, then runs ``act(request_id)``."""

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            items = people["officer"].get("/api/v1/approvals", query_string={"status": "pending"})
            pending = items.json["items"]
            if pending:
                act(pending[0]["id"])
                return
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _vote(actor: Any, request_id: int, decision: str, comment: str = "") -> Any:
    return actor.post(
        f"/api/v1/approvals/{request_id}/votes", json={"decision": decision, "comment": comment}
    )


def test_promote_wait_exits_0_when_approved(
    app: Any, live_url: str, registry: Registry, people: dict[str, Any]
) -> None:
    portal = app.test_client()
    login = {"username": people["risk"].username, "password": TEST_PASSWORD}
    assert portal.post("/login", data=login).status_code == 302

    def approve(request_id: int) -> None:
        # The officer approves through the API, model risk in the portal.
        assert _vote(people["officer"], request_id, "approve").status_code == 200
        voted = portal.post(
            f"/approvals/{request_id}/vote",
            data={"decision": "approve", "role": "model_risk", "comment": "validated"},
        )
        assert voted.status_code == 302

    voters = _when_pending(people, approve)
    result = _run(
        live_url,
        people["pipeline"].token,
        "promote",
        "support-assistant@1.0.0",
        "--to",
        "production",
        "--wait",
        "--timeout",
        "30s",
    )
    voters.join(10)
    assert result.exit_code == EXIT_DONE, result.output
    assert "decision 1: DENY production_promotion" in result.output
    assert "[COMMON-APPROVALS]" in result.output
    assert "approved: subject is production" in result.output
    assert "olivia (compliance_officer) approve" in result.output


def test_promote_wait_exits_1_when_rejected(
    live_url: str, registry: Registry, people: dict[str, Any]
) -> None:
    voters = _when_pending(
        people,
        lambda request_id: _vote(people["risk"], request_id, "reject", "no drift monitoring"),
    )
    result = _run(
        live_url,
        people["pipeline"].token,
        "promote",
        str(registry.model_id),
        "--to",
        "production",
        "--wait",
        "--json",
    )
    voters.join(10)
    assert result.exit_code == EXIT_DENIED, result.output
    document = json.loads(result.output)
    assert document["exit_code"] == EXIT_DENIED and document["status"] == "rejected"
    assert "no drift monitoring" in document["message"]
    assert document["subject_state"] == "staging"


def test_card_change_during_approval_voids_it_and_fails_the_pipeline(
    live_url: str, registry: Registry, people: dict[str, Any]
) -> None:
    refusals: list[Any] = []

    def approve_change_approve(request_id: int) -> None:
        _vote(people["officer"], request_id, "approve")
        people["engineer"].put(
            f"/api/v1/models/{registry.model_id}/card",
            json={"sections": {"caveats": "Weak on questions outside the FAQ."}},
        )
        refusals.append(_vote(people["risk"], request_id, "approve"))

    voters = _when_pending(people, approve_change_approve)
    result = _run(
        live_url,
        people["pipeline"].token,
        "promote",
        "support-assistant",
        "--to",
        "production",
        "--wait",
    )
    voters.join(10)
    assert refusals[0].status_code == 409
    assert "evidence changed" in refusals[0].json["detail"]
    assert result.exit_code == EXIT_DENIED, result.output
    assert "void" in result.output and "evidence changed" in result.output


def test_denied_promotion_exits_1_with_violations(
    live_url: str, registry: Registry, people: dict[str, Any]
) -> None:
    people["pipeline"].post(
        f"/api/v1/models/{registry.model_id}/evaluations",
        json={"kind": "benchmark", "name": "regression", "metrics": {"accuracy": 0.5}},
    )
    result = _run(
        live_url, people["pipeline"].token, "promote", str(registry.model_id), "--to", "production"
    )
    assert result.exit_code == EXIT_DENIED, result.output
    assert "[COMMON-EVALUATIONS]" in result.output and "accuracy = 0.5" in result.output
    assert "denied by the gate" in result.output


def test_promote_refuses_a_name_with_several_versions(
    live_url: str, registry: Registry, people: dict[str, Any]
) -> None:
    """The pipeline's model reference is read by Gatehouse (one rule for every door): a bare
    name with two versions asks nothing and moves nothing."""
    model = people["engineer"].get(f"/api/v1/models/{registry.model_id}").json
    second = people["engineer"].post(
        "/api/v1/models", json={"name": model["name"], "version": "9.9.9", "platform": "openai"}
    )
    assert second.status_code == 201, second.json
    result = _run(
        live_url, people["pipeline"].token, "promote", model["name"], "--to", "production"
    )
    assert result.exit_code == EXIT_DENIED, result.output
    assert (
        f"'{model['name']}' names 2 model versions ({model['name']}@{model['version']}, "
        f"{model['name']}@9.9.9); give one"
    ) in result.output
    assert people["officer"].get("/api/v1/approvals").json["items"] == []
    missing = _run(
        live_url,
        people["pipeline"].token,
        "promote",
        f"{model['name']}@0.0.0",
        "--to",
        "production",
    )
    assert missing.exit_code == EXIT_DENIED
    assert f"no model version named '{model['name']}@0.0.0'" in missing.output


def test_wait_times_out_with_2(live_url: str, registry: Registry, people: dict[str, Any]) -> None:
    result = _run(
        live_url,
        people["pipeline"].token,
        "promote",
        str(registry.model_id),
        "--to",
        "production",
        "--wait",
        "--timeout",
        "1s",
    )
    assert result.exit_code == EXIT_TIMEOUT, result.output
    assert "timed out" in result.output


def test_run_submit_wait_json(live_url: str, registry: Registry, people: dict[str, Any]) -> None:
    voters = _when_pending(
        people, lambda request_id: _vote(people["officer"], request_id, "approve")
    )
    result = _run(
        live_url,
        people["pipeline"].token,
        "run",
        "submit",
        str(registry.run_id),
        "--wait",
        "--timeout",
        "30s",
        "--json",
    )
    voters.join(10)
    assert result.exit_code == EXIT_DONE, result.output
    document = json.loads(result.output)
    assert document["status"] == "approved" and document["subject_state"] == "approved"


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"title": "Service unavailable"}')

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        return


@pytest.mark.parametrize("backend", ["sqlite"])
def test_infrastructure_errors_exit_3(live_url: str, people: dict[str, Any]) -> None:
    unreachable = _run("http://127.0.0.1:9", people["pipeline"].token, "run", "submit", "1")
    assert unreachable.exit_code == EXIT_INFRASTRUCTURE
    assert "cannot reach Gatehouse" in unreachable.output

    server = http.server.HTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        failing = _run(f"http://127.0.0.1:{server.server_port}", "token", "run", "submit", "1")
    finally:
        server.shutdown()
    assert failing.exit_code == EXIT_INFRASTRUCTURE
    assert "HTTP 503" in failing.output

    bad_token = _run(live_url, "gth_not-a-token", "run", "submit", "1")
    assert bad_token.exit_code == EXIT_INFRASTRUCTURE
    assert "refused the token" in bad_token.output

    unconfigured = CliRunner().invoke(
        cli, ["run", "submit", "1"], env={"GATEHOUSE_URL": "", "GATEHOUSE_TOKEN": ""}
    )
    assert unconfigured.exit_code == EXIT_INFRASTRUCTURE
    assert "GATEHOUSE_URL" in unconfigured.output


def test_second_pipeline_follows_the_open_request(
    live_url: str, registry: Registry, people: dict[str, Any], make_actor: Any
) -> None:
    first = make_actor("pipeline", username="nightly-bot")
    opened = first.post(f"/api/v1/deployments/{registry.deployment_id}/promote")
    request_id = opened.json["approval_request"]["id"]

    def approve(pending_id: int) -> None:
        time.sleep(1.5)  # let the command find the open request first
        _vote(people["officer"], pending_id, "approve")
        _vote(people["risk"], pending_id, "approve")

    voters = _when_pending(people, approve)
    result = _run(
        live_url,
        people["pipeline"].token,
        "promote",
        str(registry.model_id),
        "--to",
        "production",
        "--wait",
        "--timeout",
        "30s",
    )
    voters.join(10)
    assert result.exit_code == EXIT_DONE, result.output
    assert f"already requested: following approval request {request_id}" in result.output


def test_operators_expire_command(
    app: Any, engine: Any, registry: Registry, people: dict[str, Any]
) -> None:
    request_id = (
        people["pipeline"]
        .post(f"/api/v1/deployments/{registry.deployment_id}/promote")
        .json["approval_request"]["id"]
    )
    runner = app.test_cli_runner()
    untouched = runner.invoke(cli, ["approvals", "expire"])
    assert untouched.exit_code == 0 and "expired 0 approval request(s)" in untouched.output
    with session_scope(engine) as session:
        request = get_record(session=session, model=ApprovalRequest, record_id=request_id)
        request.expires_at = utc_now() - timedelta(minutes=1)
        session.add(request)
    expired = runner.invoke(cli, ["approvals", "expire"])
    assert expired.exit_code == 0, expired.output
    assert f"expired 1 approval request(s): {request_id}" in expired.output
    status = people["officer"].get(f"/api/v1/approvals/{request_id}").json
    assert status["status"] == "expired" and status["subject_state"] == "staging"
