"""Races with real threads over HTTP: exactly one transition, exactly one ledger event for it."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select
from werkzeug.serving import make_server

from app.db import session_scope
from app.ledger import verify_chain
from app.models.governance import ApprovalRequest
from app.models.ledger import LedgerEvent
from tests.approvals.conftest import Registry

RACERS = 20


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    """The application on a threaded loopback server."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


def _post(url: str, token: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())


def _race(calls: list[tuple[str, str, dict[str, Any] | None]]) -> list[tuple[int, Any]]:
    """Fire every call at once from its own thread; their answers in order."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[int, Any]] = [(0, None)] * len(calls)

    def fire(index: int) -> None:
        url, token, body = calls[index]
        barrier.wait()
        results[index] = _post(url, token, body)

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def _ledger_actions(engine: sa.Engine) -> Counter[str]:
    with session_scope(engine) as session:
        return Counter(e.action for e in session.exec(select(LedgerEvent)).all())


def test_racing_approvers_make_one_transition(
    live_url: str,
    engine: sa.Engine,
    registry: Registry,
    people: dict[str, Any],
    make_actor: Any,
) -> None:
    status, body = _post(
        f"{live_url}/api/v1/deployments/{registry.deployment_id}/promote", people["pipeline"].token
    )
    assert status == 201, body
    request_id = body["approval_request"]["id"]
    votes_url = f"{live_url}/api/v1/approvals/{request_id}/votes"
    assert _post(votes_url, people["officer"].token, {"decision": "approve"})[0] == 200
    approvers = [make_actor("model_risk", username=f"risk-{n:02d}") for n in range(RACERS)]

    results = _race([(votes_url, a.token, {"decision": "approve"}) for a in approvers])

    codes = Counter(code for code, _ in results)
    assert codes == {200: 1, 409: RACERS - 1}, results
    winner = next(body for code, body in results if code == 200)
    assert winner["status"] == "approved" and winner["subject_state"] == "production"
    assert all(body["title"] == "Approval request closed" for code, body in results if code == 409)
    actions = _ledger_actions(engine)
    assert actions["deployment.production"] == 1
    assert actions["approval.approved"] == 1
    assert actions["approval.vote_approve"] == 2
    with session_scope(engine) as session:
        request = session.get(ApprovalRequest, request_id)
        assert request is not None and request.status == "approved"
        assert verify_chain(session=session).intact


def test_racing_pipelines_open_one_request(
    live_url: str, engine: sa.Engine, registry: Registry, make_actor: Any
) -> None:
    pipelines = [make_actor("pipeline", username=f"pipeline-{n:02d}") for n in range(RACERS)]
    url = f"{live_url}/api/v1/deployments/{registry.deployment_id}/promote"

    results = _race([(url, p.token, None) for p in pipelines])

    codes = Counter(code for code, _ in results)
    assert codes == {201: 1, 409: RACERS - 1}, results
    assert all(body["current"] == "promotion_requested" for code, body in results if code == 409)
    actions = _ledger_actions(engine)
    assert actions["deployment.promotion_requested"] == 1
    assert actions["approval.requested"] == 1
    with session_scope(engine) as session:
        assert len(session.exec(select(ApprovalRequest)).all()) == 1
