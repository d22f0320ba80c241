"""``/metrics``: behind its token, with figures that follow what really happened."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from app.config import Settings
from app.db import session_scope
from app.gates.engine_binding import current_policy_engine
from app.jobs.definitions import JobContext
from app.jobs.runner import execute_job
from app.models.evidence import AuditRun
from app.models.vocabulary import AuditKind, AuditState
from tests.approvals.conftest import build_registry

METRICS_TOKEN = "metrics-scraper-token-for-tests"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with a metrics token configured."""
    return settings.with_overrides(metrics_token=METRICS_TOKEN)


def _figures(app: Flask) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = app.test_client().get(
        "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_metrics_need_the_configured_token(app: Flask, settings: Settings) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    unconfigured = create_app(settings.with_overrides(metrics_token=None)).test_client()
    off = unconfigured.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert off.status_code == 404 and b"GATEHOUSE_METRICS_TOKEN" in off.data


def test_figures_follow_decisions_queue_jobs_ledger_and_requests(
    app: Flask, engine: Any, settings: Settings, make_actor: Any
) -> None:
    with session_scope(engine) as session:
        registry = build_registry(session)
    before = _figures(app)
    bot = make_actor("pipeline")
    # A policy deny, and a promotion request that opens an approval request.
    assert bot.post("/api/v1/gates/training_launch", json={"subject_id": 10**6}).status_code == 404
    denied = bot.post(
        "/api/v1/gates/production_promotion", json={"subject_id": registry.deployment_id}
    )
    assert denied.json["outcome"] == "denied"
    assert bot.post(f"/api/v1/deployments/{registry.deployment_id}/promote").status_code == 201
    with app.app_context():
        context = JobContext(
            engine=engine, settings=settings, policy_engine=current_policy_engine()
        )
        assert execute_job(context, "ledger-verify") is not None
    with session_scope(engine) as session:  # an audit that failed, as the runner records one
        session.add(
            AuditRun(
                model_version_id=registry.model_id,
                kind=AuditKind.FAIRNESS,
                status=AuditState.FAILED,
                parameters={},
                summary={},
                error="no decisions to audit",
                requested_by="olivia",
            )
        )
    after = _figures(app)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    promotion = {"gate": "production_promotion"}
    assert grew("gatehouse_policy_decisions", outcome="denied", **promotion) == 2
    assert grew("gatehouse_policy_decisions", outcome="indeterminate", **promotion) == 0
    assert grew("gatehouse_approval_queue", **promotion) == 1
    assert grew("gatehouse_job_runs", job="ledger-verify", result="succeeded") == 1
    ledger_key = ("gatehouse_ledger_events", ())
    assert after[ledger_key] > before[ledger_key] >= 1
    assert grew("gatehouse_audit_runs", kind="fairness", state="failed") == 1
    # Request latency by route template and status, never the raw path.
    gate_route = next(
        labels
        for name, labels in after
        if name == "gatehouse_http_request_duration_seconds_count"
        and dict(labels)["status"] == "404"
        and "/api/v1/gates/" in dict(labels)["endpoint"]
    )
    assert dict(gate_route)["endpoint"].startswith("/api/v1/gates/<any(")
    assert dict(gate_route)["method"] == "POST"
    assert not any(str(10**6) in dict(labels).get("endpoint", "") for _, labels in after)
