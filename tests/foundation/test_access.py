"""Route × role: every route declares who may call it, and nobody else gets through.

The expected table below is the specification; the test proves (1) every route of the
application has a declaration, (2) the declarations match the table where it speaks, and
(3) a real request as each role is refused exactly when the role is not declared.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.auth.guard import access_of
from app.models.users import RoleName

ALL = frozenset(r.value for r in RoleName)
HUMANS = ALL - {"pipeline"}
REGISTRARS = frozenset({"admin", "ml_engineer", "pipeline"})
STEWARDS = frozenset({"admin", "compliance_officer"})
APPROVERS = frozenset({"admin", "compliance_officer", "model_risk"})
#: People who may try to attest (the service then checks the fact's owning role).
ATTESTERS = frozenset({"admin", "compliance_officer", "model_risk", "ml_engineer"})

GATE_CALLERS = frozenset({"admin", "ml_engineer", "pipeline", "compliance_officer", "model_risk"})
#: Who may export a period's evidence bundle (auditors are whom it is for).
EVIDENCE_EXPORTERS = frozenset({"admin", "compliance_officer", "auditor"})

#: (method, rule) -> roles allowed. Routes not listed must still declare something.
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/v1/datasets"): ALL,
    ("POST", "/api/v1/datasets"): REGISTRARS,
    ("POST", "/api/v1/datasets/<int:dataset_id>/versions"): REGISTRARS,
    ("PATCH", "/api/v1/datasets/versions/<int:version_id>"): STEWARDS,
    ("POST", "/api/v1/datasets/versions/<int:version_id>/erasure-requests"): STEWARDS,
    ("POST", "/api/v1/datasets/erasure-requests/<int:request_id>/resolution"): STEWARDS,
    ("POST", "/api/v1/runs"): REGISTRARS,
    ("POST", "/api/v1/runs/<int:run_id>/transitions"): REGISTRARS,
    ("PUT", "/api/v1/models/<int:model_id>/card"): REGISTRARS,
    ("GET", "/api/v1/models/named"): ALL,
    ("GET", "/accounts"): frozenset({"admin"}),
    ("POST", "/accounts/<username>/deactivate"): frozenset({"admin"}),
    ("POST", "/accounts/<username>/reactivate"): frozenset({"admin"}),
    ("POST", "/api/v1/evaluations/<int:evaluation_id>/supersede"): APPROVERS,
    ("POST", "/api/v1/deployments/<int:deployment_id>/transitions"): REGISTRARS,
    ("GET", "/api/v1/ledger/events"): ALL,
    ("GET", "/api/v1/attestations"): ALL,
    ("POST", "/api/v1/attestations"): ATTESTERS,
    ("POST", "/attestations"): ATTESTERS,
    ("GET", "/runs/new"): REGISTRARS,
    ("POST", "/runs/new"): REGISTRARS,
    ("POST", "/runs/<int:run_id>/submit"): GATE_CALLERS,
    ("POST", "/runs/<int:run_id>/gate"): GATE_CALLERS,
    ("POST", "/decisions/<int:decision_id>/answers"): REGISTRARS,
    ("GET", "/"): ALL,
    ("GET", "/ledger"): ALL,
    ("GET", "/evidence-bundles"): EVIDENCE_EXPORTERS,
    ("POST", "/evidence-bundles"): EVIDENCE_EXPORTERS,
}
PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/login",
    "/api/v1/openapi.json",
    "/static/<path:filename>",
}


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule, rule.endpoint))
    return found


def _concrete(rule: str) -> str:
    path = re.sub(r"<any\(([a-z_]+)[^>]*>", r"\1", rule)
    path = re.sub(r"<int:[a-z_]+>", "1", path)
    path = re.sub(r"<path:[a-z_]+>", "portal.css", path)
    return re.sub(r"<[a-z_]+>", "run", path)


def test_every_route_declares_access(app: Flask) -> None:
    undeclared = [
        f"{m} {r}" for m, r, e in _routes(app) if access_of(app.view_functions[e]) is None
    ]
    assert undeclared == []


def test_declarations_match_the_table(app: Flask) -> None:
    routes = {(m, r): e for m, r, e in _routes(app)}
    for key, roles in EXPECTED.items():
        access = access_of(app.view_functions[routes[key]])
        assert access is not None and access.roles == roles, key
    for method, rule, endpoint in _routes(app):
        access = access_of(app.view_functions[endpoint])
        assert access is not None
        if rule in PUBLIC or rule.startswith("/api/v1/docs"):
            assert access.public, rule
        else:
            assert not access.public, f"{method} {rule} must not be public"
            assert access.roles, f"{method} {rule} allows nobody"
            if rule.startswith("/api/") and method != "GET":
                assert access.scope in {"write", "gate", "approve"}, (
                    f"{method} {rule} needs a mutating scope"
                )


def test_undeclared_route_is_denied_by_default(settings: Any, make_actor: Any) -> None:
    application = create_app(settings)

    @application.get("/api/v1/forgotten")
    def forgotten() -> str:
        return "should never be served"

    admin_token = None
    with application.app_context():
        from datetime import timedelta

        from app.auth.accounts import create_token, create_user
        from app.db import unit_of_work

        with unit_of_work() as db:
            create_user(
                session=db, username="root", display_name="Root", roles=["admin"], actor="test"
            )
            admin_token = create_token(
                session=db,
                username="root",
                name="t",
                scopes=["read"],
                actor="test",
                expires_in=timedelta(hours=1),
            ).secret
    response = application.test_client().get(
        "/api/v1/forgotten", headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert response.status_code == 403
    assert "denied by default" in response.get_json()["detail"]


@pytest.mark.parametrize("role", sorted(ALL))
def test_api_requests_as_each_role(app: Flask, make_actor: Any, role: str) -> None:
    actor = make_actor(role)
    for method, rule, endpoint in _routes(app):
        access = access_of(app.view_functions[endpoint])
        if not rule.startswith("/api/") or access is None or access.public:
            continue
        response = actor.client.open(
            _concrete(rule), method=method, headers=actor.headers(), json={}
        )
        refused = response.status_code == 403
        assert refused == (role not in access.roles), (
            f"{role} {method} {rule}: {response.status_code}"
        )
        assert response.status_code < 500, f"{role} {method} {rule}: {response.status_code}"


@pytest.mark.parametrize("role", sorted(HUMANS))
def test_portal_pages_as_each_role(app: Flask, login: Any, role: str) -> None:
    portal, _ = login(role)
    for method, rule, endpoint in _routes(app):
        access = access_of(app.view_functions[endpoint])
        if rule.startswith("/api/") or method != "GET" or access is None or access.public:
            continue
        response = portal.get(_concrete(rule))
        if role in access.roles:
            assert response.status_code in (200, 404), f"{role} {rule}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{role} {rule}: {response.status_code}"


def test_anonymous_portal_visitors_are_sent_to_login(app: Flask, client: Any) -> None:
    for method, rule, endpoint in _routes(app):
        access = access_of(app.view_functions[endpoint])
        if rule.startswith("/api/") or access is None or access.public:
            continue
        response = client.open(_concrete(rule), method=method)
        if method == "GET":
            assert response.status_code == 302 and "/login" in response.headers["Location"], rule
        else:
            assert response.status_code in (400, 401), rule
