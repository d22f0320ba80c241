"""Structured logs read from a real ``gatehouse serve`` process's stderr.

The server is started the way operators start it (settings from ``GATEHOUSE_*``), so it
logs JSON lines: one per request with its route template, status, duration, request id
and actor, and every other line written during a request (the policy engine giving no
answer, the database being down) carries that request's id. Tokens never appear.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.config import Settings
from app.db import session_scope
from tests.approvals.conftest import build_registry

GATEHOUSE = Path(sys.executable).parent / "gatehouse"
#: A bound on the server's start-up, not a speed check: a loaded 2-core CI machine needs it.
STARTUP_TIMEOUT_S = 240


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(settings: Settings, log_path: Path, **environment: str) -> Iterator[str]:
    """``gatehouse serve`` on a free port with ``settings`` as its environment; its URL."""
    port = _free_port()
    env = {
        **os.environ,
        "GATEHOUSE_DATABASE_URL": settings.database_url,
        "GATEHOUSE_SECRET_KEY": settings.secret_key,
        "GATEHOUSE_STORAGE_DIR": str(settings.storage_dir),
        "GATEHOUSE_SIGNING_IDENTITY": str(settings.signing_identity_path),
        **environment,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(GATEHOUSE), "serve", "--port", str(port)],
            stdout=log,
            stderr=log,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "gatehouse serve did not start"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(20)


def _call(url: str, method: str = "GET", body: Any = None, **headers: str) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def _lines(log_path: Path) -> list[dict[str, Any]]:
    text = log_path.read_text()
    # Every line the process wrote is one JSON object.
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_one_json_line_per_request_with_its_id_and_no_secrets(
    settings: Settings, engine: Any, make_actor: Any, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        registry = build_registry(session)
    bot = make_actor("pipeline")
    bearer = {"Authorization": f"Bearer {bot.token}"}
    log_path = tmp_path / "serve.log"
    unreachable = f"http://127.0.0.1:{_free_port()}"
    with _server(
        settings,
        log_path,
        GATEHOUSE_POLICY_ENGINE="opa",
        GATEHOUSE_OPA_URL=unreachable,
        GATEHOUSE_POLICY_TIMEOUT_S="1",
    ) as url:
        kept_status, kept = _call(
            f"{url}/api/v1/runs/{registry.run_id}?limit=5", **bearer, **{"X-Request-Id": "build-42"}
        )
        replaced_status, replaced = _call(
            f"{url}/api/v1/runs", **bearer, **{"X-Request-Id": "not an id; drop table"}
        )
        refused_status, refused = _call(f"{url}/api/v1/runs")
        gate_status, _ = _call(
            f"{url}/api/v1/gates/training_launch",
            "POST",
            {"subject_id": registry.run_id},
            **bearer,
            **{"X-Request-Id": "gate-check-7"},
        )
    assert (kept_status, replaced_status, refused_status, gate_status) == (200, 200, 401, 200)
    assert kept["X-Request-Id"] == "build-42"
    generated = replaced["X-Request-Id"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    assert len(refused["X-Request-Id"]) == 32

    text = log_path.read_text()
    assert bot.token not in text and "drop table" not in text and "limit=5" not in text
    lines = _lines(log_path)
    requests = {line["request_id"]: line for line in lines if line["logger"] == "app.requests"}
    assert requests["build-42"] == {
        **requests["build-42"],
        "method": "GET",
        "path": "/api/v1/runs/<int:run_id>",
        "status": 200,
        "actor": bot.username,
        "level": "info",
    }
    assert requests["build-42"]["duration_ms"] > 0
    assert requests[generated]["path"] == "/api/v1/runs" and requests[generated]["status"] == 200
    anonymous = requests[refused["X-Request-Id"]]
    assert anonymous["status"] == 401 and anonymous["actor"] is None
    assert requests["gate-check-7"]["path"].startswith("/api/v1/gates/<any(")
    # The engine's failure, logged inside the gate request, carries that request's id.
    engine_lines = [line for line in lines if line["logger"] == "app.policy.decision"]
    assert [line["request_id"] for line in engine_lines] == ["gate-check-7"]
    assert engine_lines[0]["level"] == "warning"
    assert "gave no answer (indeterminate, denied)" in engine_lines[0]["message"]


def test_an_error_log_carries_the_request_id(
    settings: Settings, make_actor: Any, tmp_path: Path
) -> None:
    bot = make_actor("pipeline")
    log_path = tmp_path / "serve.log"
    down = settings.with_overrides(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with _server(down, log_path) as url:
        status, headers = _call(
            f"{url}/api/v1/runs",
            **{"Authorization": f"Bearer {bot.token}", "X-Request-Id": "outage-1"},
        )
    assert status == 503 and headers["X-Request-Id"] == "outage-1"
    lines = _lines(log_path)
    errors = [line for line in lines if line["level"] == "error"]
    assert errors and all(line["request_id"] == "outage-1" for line in errors)
    assert any("database unavailable" in line["message"] for line in errors)
    requests = {line["request_id"]: line for line in lines if line["logger"] == "app.requests"}
    assert requests["outage-1"]["status"] == 503 and requests["outage-1"]["actor"] is None
    assert bot.token not in log_path.read_text()
