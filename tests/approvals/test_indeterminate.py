"""An engine that gives no answer is its own outcome, a deny nobody decided, kept apart.

The real OPA server is stopped (nothing listens), silent (a socket that accepts and never
answers), frozen (SIGSTOP on the opa process) or killed after it answered once. Each time
the gates, submissions and promotions answer ``"outcome": "indeterminate"`` (still no
allow, nothing moves), the stored decision and the ledger say so, ``/readyz`` reports the
engine not ready, ``/metrics`` counts it apart, the portal shows it, and the pipeline
commands and ``gatehouse gate check`` exit 3 ("could not ask") with one readable line.
A policy deny stays ``denied``: only an engine that gave no answer is indeterminate.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from app import create_app
from app.cli import cli
from app.cli.pipeline import EXIT_INFRASTRUCTURE
from app.config import Settings
from app.policy.opa_checks import find_opa_binary
from app.policy.opa_process import OpaProcess, start_opa_server
from tests.approvals.conftest import Registry
from tests.conftest import serving

OPA_TOKEN = "gatehouse-indeterminate-test-token"
METRICS_TOKEN = "gatehouse-indeterminate-metrics-token"
FAILURES = ("stopped", "silent", "frozen", "killed")


@dataclass
class OpaEndpoint:
    """Where the app's OPA engine points, and how that server fails."""

    failure: str
    url: str
    process: OpaProcess | None = None
    listener: socket.socket | None = None
    accepted: list[socket.socket] = field(default_factory=list)

    def fail(self) -> None:
        """Make a server that answered stop answering (frozen or killed)."""
        if self.process is None:
            return
        if self.failure == "frozen":
            os.kill(self.process.process.pid, signal.SIGSTOP)
        else:
            self.process.kill()

    def recover(self) -> None:
        """Bring a frozen server back (SIGCONT) or start a killed one again on its port."""
        assert self.process is not None
        if self.failure == "frozen":
            os.kill(self.process.process.pid, signal.SIGCONT)
            return
        binary = find_opa_binary()
        assert binary is not None
        port = int(self.url.rsplit(":", 1)[1])
        self.process = start_opa_server(binary, port=port, token=OPA_TOKEN)

    def close(self) -> None:
        """Release whatever the endpoint holds."""
        if self.process is not None and self.process.process.poll() is None:
            os.kill(self.process.process.pid, signal.SIGCONT)
            self.process.kill()
        for connection in self.accepted:
            connection.close()
        if self.listener is not None:
            self.listener.close()


def _silent_listener() -> OpaEndpoint:
    """A socket that accepts every connection and never answers a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    endpoint = OpaEndpoint("silent", f"http://127.0.0.1:{listener.getsockname()[1]}")
    endpoint.listener = listener

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            endpoint.accepted.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    return endpoint


def _stopped() -> OpaEndpoint:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return OpaEndpoint("stopped", f"http://127.0.0.1:{port}")


@pytest.fixture(params=FAILURES)
def opa_endpoint(request: pytest.FixtureRequest) -> Iterator[OpaEndpoint]:
    """The OPA server the app asks, failing in one of the four ways."""
    failure = str(request.param)
    if failure == "silent":
        endpoint = _silent_listener()
    elif failure == "stopped":
        endpoint = _stopped()
    else:
        binary = find_opa_binary()
        assert binary is not None, "the OPA binary is required (scripts/test builds it)"
        process = start_opa_server(binary, token=OPA_TOKEN)
        endpoint = OpaEndpoint(failure, process.url, process=process)
    yield endpoint
    endpoint.close()


def _opa_app(settings: Settings, url: str) -> Flask:
    return create_app(
        settings.with_overrides(
            policy_engine="opa",
            opa_url=url,
            opa_token=OPA_TOKEN,
            policy_timeout_s=1.0,
            metrics_token=METRICS_TOKEN,
        )
    )


def test_an_engine_that_gives_no_answer_is_indeterminate_everywhere(
    settings: Settings,
    registry: Registry,
    people: dict[str, Any],
    opa_endpoint: OpaEndpoint,
    login: Any,
) -> None:
    served = _opa_app(settings, opa_endpoint.url)
    bot, engineer = people["pipeline"], people["engineer"]
    bot.client = engineer.client = served.test_client()
    ask = {"subject_id": registry.run_id}
    if opa_endpoint.process is not None:
        # The server answered before it failed: a real policy answer, not indeterminate.
        answered = bot.post("/api/v1/gates/training_launch", json=ask).json
        assert answered["outcome"] in ("allowed", "denied") and answered["error"] is None
        assert bot.client.get("/readyz").status_code == 200
        opa_endpoint.fail()

    started = time.perf_counter()
    gate = bot.post("/api/v1/gates/training_launch", json=ask)
    answered_in = time.perf_counter() - started
    assert gate.status_code == 200, gate.get_data(as_text=True)
    decision = gate.json
    assert decision["outcome"] == "indeterminate" and decision["allow"] is False
    assert decision["error"] and decision["violations"][0]["control"] == "GATEHOUSE-ENGINE"
    stored = bot.get(f"/api/v1/decisions/{decision['id']}").json
    assert stored["outcome"] == "indeterminate"
    listed = bot.get("/api/v1/decisions", query_string={"outcome": "indeterminate"}).json
    assert [d["id"] for d in listed["items"]] == [decision["id"]]
    events = bot.get("/api/v1/ledger/events", query_string={"action": "gate.indeterminate"}).json
    assert len(events["items"]) == 1

    submitted = engineer.post(f"/api/v1/runs/{registry.run_id}/submit")
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    assert submitted.json["outcome"] == "indeterminate"
    assert submitted.json["decision"]["outcome"] == "indeterminate"
    assert submitted.json["approval_request"] is None
    assert bot.get(f"/api/v1/runs/{registry.run_id}").json["state"] == "draft"
    promoted = bot.post(f"/api/v1/deployments/{registry.deployment_id}/promote")
    assert promoted.status_code == 200 and promoted.json["outcome"] == "indeterminate"
    assert bot.get(f"/api/v1/deployments/{registry.deployment_id}").json["state"] == "staging"

    ready = bot.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["policy_engine"].startswith("opa: ") and "ready" not in ready.json[
        "policy_engine"
    ].removeprefix("opa: ")

    metrics = bot.client.get(
        "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    ).get_data(as_text=True)
    assert 'gatehouse_policy_decisions{gate="training_launch",outcome="indeterminate"} 2.0' in (
        metrics
    )

    # The portal (the test app, on the same database) shows it as such.
    portal, _ = login("auditor")
    detail = portal.get(f"/decisions/{decision['id']}").get_data(as_text=True)
    assert "INDETERMINATE</span></h1>" in detail and "GATEHOUSE-ENGINE" in detail
    listing = portal.get("/decisions").get_data(as_text=True)
    assert listing.count('class="flag unknown"') == 3
    run_page = portal.get(f"/runs/{registry.run_id}").get_data(as_text=True)
    assert "gate could not decide" in run_page and "the policy engine gave no answer" in run_page

    figure = f"\nOPA {opa_endpoint.failure}: the gate answered indeterminate in {answered_in:.2f} s"
    if opa_endpoint.process is not None:
        # The same application, not restarted, decides again once the server is back.
        opa_endpoint.recover()
        back = time.perf_counter()
        outcomes = []
        for _attempt in range(20):
            outcomes.append(bot.post("/api/v1/gates/training_launch", json=ask).json["outcome"])
            if outcomes[-1] != "indeterminate":
                break
            time.sleep(0.5)
        decided_after = time.perf_counter() - back
        assert outcomes[-1] == answered["outcome"], outcomes
        assert bot.client.get("/readyz").status_code == 200
        how = "continued (SIGCONT)" if opa_endpoint.failure == "frozen" else "started again"
        figure += (
            f"; once the server {how}, the same application decided again on call "
            f"{len(outcomes)}, {decided_after:.2f} s later, no restart"
        )
    print(figure + " (deadline 1 s)")


def test_a_policy_deny_stays_denied(registry: Registry, people: dict[str, Any]) -> None:
    # The embedded engine answers; the promotion's first decision is a policy deny.
    promoted = people["pipeline"].post(f"/api/v1/deployments/{registry.deployment_id}/promote")
    decision = promoted.json["decision"]
    assert decision["outcome"] == "denied" and decision["error"] is None


def _pipeline(url: str, token: str, *args: str) -> Any:
    return CliRunner().invoke(
        cli,
        [*args, "--interval", "0.1"],
        env={"GATEHOUSE_URL": url, "GATEHOUSE_TOKEN": token},
        catch_exceptions=False,
    )


def test_pipeline_commands_exit_3_when_the_engine_gives_no_answer(
    settings: Settings, registry: Registry, people: dict[str, Any]
) -> None:
    binary = find_opa_binary()
    assert binary is not None, "the OPA binary is required (scripts/test builds it)"
    opa = start_opa_server(binary, token=OPA_TOKEN)
    opa.kill()
    token = people["pipeline"].token
    with serving(_opa_app(settings, opa.url)) as url:
        submitted = _pipeline(url, token, "run", "submit", str(registry.run_id), "--wait")
        promoted = _pipeline(
            url, token, "promote", "support-assistant@1.0.0", "--to", "production", "--wait"
        )
        as_json = _pipeline(url, token, "run", "submit", str(registry.run_id), "--json")
    for result in (submitted, promoted):
        assert result.exit_code == EXIT_INFRASTRUCTURE, result.output
        assert "INDETERMINATE" in result.output
        last = result.output.strip().splitlines()[-1]
        assert last.startswith("could not ask: the policy engine gave no answer (")
    assert json.loads(as_json.output)["outcome"] == "indeterminate"
    assert as_json.exit_code == EXIT_INFRASTRUCTURE


def test_gate_check_exits_3_on_a_malformed_opa_url(settings: Settings, registry: Registry) -> None:
    served = _opa_app(settings, "opa.internal:8181")
    checked = served.test_cli_runner().invoke(
        cli, ["gate", "check", "training_launch", "--subject", str(registry.run_id)]
    )
    assert checked.exit_code == 3, checked.output
    line = checked.output.strip()
    assert "\n" not in line and line.startswith("could not ask: training_launch for run ")
    assert "'opa.internal:8181' is not http(s)://host:port" in line
    ready = served.test_client().get("/readyz")
    assert ready.status_code == 503 and "is not http(s)://host:port" in ready.json["policy_engine"]
