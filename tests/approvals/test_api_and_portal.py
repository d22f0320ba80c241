"""The approval doors: JSON API routes and portal pages, each with its refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from app import create_app
from tests.approvals.conftest import ENGINEER, Registry
from tests.conftest import TEST_PASSWORD


def _portal(app: Any, username: str) -> FlaskClient:
    client: FlaskClient = app.test_client()
    response = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.data
    return client


def _promote(people: dict[str, Any], registry: Registry) -> dict[str, Any]:
    response = people["pipeline"].post(f"/api/v1/deployments/{registry.deployment_id}/promote")
    assert response.status_code == 201, response.json
    return dict(response.json)


def test_promotion_through_api_and_portal(
    app: Any, registry: Registry, people: dict[str, Any]
) -> None:
    body = _promote(people, registry)
    assert body["outcome"] == "approval_requested"
    assert {v["control"] for v in body["violations"]} == {"COMMON-APPROVALS"}
    request = body["approval_request"]
    assert request["status"] == "pending" and request["subject_state"] == "promotion_requested"
    request_id = request["id"]

    pending = people["officer"].get("/api/v1/approvals/pending").json["items"]
    assert [item["id"] for item in pending] == [request_id]
    assert people["pipeline"].get("/api/v1/approvals/pending").json["items"] == []

    voted = people["officer"].post(
        f"/api/v1/approvals/{request_id}/votes", json={"decision": "approve", "comment": "ok"}
    )
    assert voted.status_code == 200, voted.json
    assert voted.json["status"] == "pending"

    # The model-risk approver votes in the portal: inbox, evidence page, form.
    portal = _portal(app, "marcus")
    inbox = portal.get("/approvals")
    assert inbox.status_code == 200 and f"request {request_id}" in inbox.text
    page = portal.get(f"/approvals/{request_id}")
    assert page.status_code == 200
    assert "COMMON-APPROVALS" in page.text
    assert 'rel="noopener noreferrer">Gatehouse approval policy (separation of duties' in page.text
    assert 'name="csrf_token"' in page.text or "csrf" in page.text.lower()
    done = portal.post(
        f"/approvals/{request_id}/vote",
        data={"decision": "approve", "role": "model_risk", "comment": "validated"},
    )
    assert done.status_code == 302
    status = people["pipeline"].get(f"/api/v1/approvals/{request_id}").json
    assert status["status"] == "approved" and status["subject_state"] == "production"
    assert status["latest_decision"]["allow"] is True
    assert [v["voter"] for v in status["votes"]] == ["olivia", "marcus"]
    deployment = people["pipeline"].get(f"/api/v1/deployments/{registry.deployment_id}").json
    assert deployment["state"] == "production"


def test_problem_bodies_for_conflicts_and_bad_votes(
    registry: Registry, people: dict[str, Any]
) -> None:
    request_id = _promote(people, registry)["approval_request"]["id"]
    again = people["pipeline"].post(f"/api/v1/deployments/{registry.deployment_id}/promote")
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert again.json["current"] == "promotion_requested"

    no_comment = people["officer"].post(
        f"/api/v1/approvals/{request_id}/votes", json={"decision": "reject"}
    )
    assert no_comment.status_code == 422 and "comment" in no_comment.json["detail"]
    wrong_role = people["officer"].post(
        f"/api/v1/approvals/{request_id}/votes", json={"decision": "approve", "role": "model_risk"}
    )
    assert wrong_role.status_code == 403 and "does not hold" in wrong_role.json["detail"]

    rejected = people["risk"].post(
        f"/api/v1/approvals/{request_id}/votes",
        json={"decision": "reject", "comment": "no drift monitoring"},
    )
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    closed = people["officer"].post(
        f"/api/v1/approvals/{request_id}/votes", json={"decision": "approve"}
    )
    assert closed.status_code == 409 and closed.mimetype == "application/problem+json"
    assert "rejected" in closed.json["detail"]
    missing = people["officer"].get("/api/v1/approvals/999999")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_denied_promotion_answers_with_violations(
    registry: Registry, people: dict[str, Any]
) -> None:
    # A control other than approvals fails: a benchmark below the policy minimum, recorded
    # by the pipeline (what the model's makers record shows no requirement met).
    added = people["pipeline"].post(
        f"/api/v1/models/{registry.model_id}/evaluations",
        json={"kind": "benchmark", "name": "regression", "metrics": {"accuracy": 0.5}},
    )
    assert added.status_code == 201, added.json
    response = people["pipeline"].post(f"/api/v1/deployments/{registry.deployment_id}/promote")
    assert response.status_code == 200, response.json
    assert response.json["outcome"] == "denied" and response.json["approval_request"] is None
    assert "COMMON-EVALUATIONS" in {v["control"] for v in response.json["violations"]}
    deployment = people["pipeline"].get(f"/api/v1/deployments/{registry.deployment_id}").json
    assert deployment["state"] == "staging"


@pytest.mark.parametrize("door", ["api", "portal"])
def test_self_approval_is_refused_on_every_route(
    app: Any, registry: Registry, make_actor: Any, people: dict[str, Any], door: str
) -> None:
    # An officer asks for the promotion herself, and a model-risk person who developed
    # the model: both hold approver roles, both are refused for separation of duties.
    requester = make_actor("compliance_officer", username="rita")
    developer = make_actor("model_risk", username="dev-risk")
    people["engineer"].patch(
        f"/api/v1/models/{registry.model_id}", json={"developers": [ENGINEER, "dev-risk"]}
    )
    response = requester.post(f"/api/v1/deployments/{registry.deployment_id}/promote")
    assert response.status_code == 201, response.json
    request_id = response.json["approval_request"]["id"]
    for actor, reason in ((requester, "requested it"), (developer, "developed the model")):
        if door == "api":
            refused = actor.post(
                f"/api/v1/approvals/{request_id}/votes", json={"decision": "approve"}
            )
            assert refused.status_code == 403
            assert refused.mimetype == "application/problem+json"
            assert refused.json["title"] == "Separation of duties"
            detail = refused.json["detail"]
        else:
            portal = _portal(app, actor.username)
            refused = portal.post(
                f"/approvals/{request_id}/vote",
                data={"decision": "approve", "role": actor.role, "comment": ""},
            )
            assert refused.status_code == 403
            detail = refused.text
        assert reason in detail and "separation of duties" in detail
    status = people["officer"].get(f"/api/v1/approvals/{request_id}").json
    assert status["votes"] == [] and status["status"] == "pending"


def test_roles_that_cannot_vote_are_refused(registry: Registry, people: dict[str, Any]) -> None:
    request_id = _promote(people, registry)["approval_request"]["id"]
    for who in ("pipeline", "engineer"):
        refused = people[who].post(
            f"/api/v1/approvals/{request_id}/votes", json={"decision": "approve"}
        )
        assert refused.status_code == 403, refused.json
        assert refused.mimetype == "application/problem+json"


def test_run_submission_route(registry: Registry, people: dict[str, Any]) -> None:
    response = people["engineer"].post(f"/api/v1/runs/{registry.run_id}/submit")
    assert response.status_code == 201, response.json
    decision = response.json["decision"]
    assert decision["allow"] is False
    assert {v["control"] for v in decision["violations"]} == {"COMMON-APPROVALS"}
    request_id = response.json["approval_request"]["id"]
    approved = people["officer"].post(
        f"/api/v1/approvals/{request_id}/votes", json={"decision": "approve"}
    )
    assert approved.json["status"] == "approved"
    assert approved.json["subject_state"] == "approved"
    listed = (
        people["officer"]
        .get("/api/v1/approvals", query_string={"subject_type": "run", "status": "approved"})
        .json["items"]
    )
    assert [item["id"] for item in listed] == [request_id]


@pytest.mark.usefixtures("public_webhook_hosts")
def test_webhook_subscriptions_are_admin_only_and_hide_the_secret(
    make_actor: Any, people: dict[str, Any]
) -> None:
    admin = make_actor("admin", username="ada")
    body = {"url": "https://hooks.example.com/gatehouse", "events": ["approval.decided"]}
    assert people["officer"].post("/api/v1/webhooks", json=body).status_code == 403
    created = admin.post("/api/v1/webhooks", json=body)
    assert created.status_code == 201 and len(created.json["secret"]) >= 32
    listed = admin.get("/api/v1/webhooks").json["items"]
    assert [s["url"] for s in listed] == [body["url"]] and "secret" not in listed[0]
    bad = admin.post("/api/v1/webhooks", json={"url": "ftp://x", "events": ["approval.decided"]})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    gone = admin.client.delete(f"/api/v1/webhooks/{created.json['id']}", headers=admin.headers())
    assert gone.status_code == 200 and gone.json["active"] is False and "secret" not in gone.json
    assert admin.get(f"/api/v1/webhooks/{created.json['id']}/deliveries").json["items"] == []


def _csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def test_portal_vote_requires_the_csrf_token(
    settings: Any, registry: Registry, people: dict[str, Any]
) -> None:
    request_id = _promote(people, registry)["approval_request"]["id"]
    protected = create_app(settings.with_overrides(flask_overrides={}))
    try:
        portal = protected.test_client()
        login_page = portal.get("/login").text
        logged_in = portal.post(
            "/login",
            data={
                "username": "olivia",
                "password": TEST_PASSWORD,
                "csrf_token": _csrf_token(login_page),
            },
        )
        assert logged_in.status_code == 302
        page = portal.get(f"/approvals/{request_id}").text
        vote = {"decision": "approve", "role": "compliance_officer", "comment": "looks right"}
        forged = portal.post(f"/approvals/{request_id}/vote", data=vote)
        assert forged.status_code == 400
        assert people["officer"].get(f"/api/v1/approvals/{request_id}").json["votes"] == []
        accepted = portal.post(
            f"/approvals/{request_id}/vote", data={**vote, "csrf_token": _csrf_token(page)}
        )
        assert accepted.status_code == 302
        votes = people["officer"].get(f"/api/v1/approvals/{request_id}").json["votes"]
        assert [(v["voter"], v["comment"]) for v in votes] == [("olivia", "looks right")]
    finally:
        protected.extensions["gatehouse.engine"].dispose()


def test_plain_transitions_cannot_skip_the_approval(
    registry: Registry, people: dict[str, Any]
) -> None:
    request_id = _promote(people, registry)["approval_request"]["id"]
    run_request = people["engineer"].post(f"/api/v1/runs/{registry.run_id}/submit").json
    assert run_request["approval_request"]["status"] == "pending"
    # The run's own requester tries (anyone else is refused earlier: not their draft).
    for actor, path, target in (
        ("pipeline", f"/api/v1/deployments/{registry.deployment_id}/transitions", "production"),
        ("engineer", f"/api/v1/runs/{registry.run_id}/transitions", "approved"),
    ):
        refused = people[actor].post(path, json={"to": target})
        assert refused.status_code == 409, refused.json
        assert refused.json["title"] == "Transition requires the gate workflow"
    status = people["officer"].get(f"/api/v1/approvals/{request_id}").json
    assert status["subject_state"] == "promotion_requested" and status["votes"] == []
