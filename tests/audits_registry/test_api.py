"""The audits API and portal pages: starting audits, reading figures and reasons, schedules,
job runs, problem bodies for client errors, and who may do what."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import session_scope
from app.models.evidence import JobRun
from tests.audits_registry.conftest import decisions_table

FAIRNESS = {
    "y_true": "y_true",
    "y_pred": "y_pred",
    "sensitive": ["applicant_group"],
    "bootstrap": 10,
}


def _start(actor: Any, seeded: Any, version_id: int, **overrides: Any) -> Any:
    body = {
        "model_version_id": seeded.ids["credit_model"],
        "dataset_version_id": version_id,
        "kind": "fairness",
        "parameters": FAIRNESS,
        **overrides,
    }
    return actor.post("/api/v1/audits", json=body)


def test_start_read_and_list_an_audit(
    seeded: Any, make_actor: Any, register_decisions: Any
) -> None:
    version_id = register_decisions(decisions_table(selection={"a": 0.6, "b": 0.3}))
    engineer = make_actor("ml_engineer")
    response = _start(engineer, seeded, version_id)
    assert response.status_code == 201, response.json
    audit = response.json
    assert audit["status"] == "succeeded"
    assert audit["requested_by"] == engineer.username
    assert audit["summary"]["adverse_impact_ratio"] == pytest.approx(0.5)
    assert "charts" not in audit["results"]

    auditor = make_actor("auditor")
    full = auditor.get(f"/api/v1/audits/{audit['id']}?charts=true").json
    assert full["results"]["tables"][0]["name"] == "applicant_group"
    assert len(full["results"]["charts"]) == 3
    listing = auditor.get(
        f"/api/v1/audits?model_version_id={seeded.ids['credit_model']}&kind=fairness"
    ).json
    assert [item["id"] for item in listing["items"]] == [audit["id"]]
    assert listing["items"][0]["results"] is None


def test_a_failed_audit_is_an_answer_and_bad_requests_are_problems(
    seeded: Any, make_actor: Any, register_decisions: Any
) -> None:
    version_id = register_decisions(decisions_table(selection={"a": 0.6, "b": 0.3}))
    pipeline = make_actor("pipeline")
    failed = _start(
        pipeline, seeded, version_id, parameters={**FAIRNESS, "sensitive": ["missing_column"]}
    )
    assert failed.status_code == 201
    assert failed.json["status"] == "failed"
    assert "missing_column" in failed.json["error"]

    unknown_model = _start(pipeline, seeded, version_id, model_version_id=999)
    assert unknown_model.status_code == 404
    assert unknown_model.mimetype == "application/problem+json"
    bad_kind = _start(pipeline, seeded, version_id, kind="vibes")
    assert bad_kind.status_code == 422
    assert bad_kind.mimetype == "application/problem+json"
    no_sensitive = _start(pipeline, seeded, version_id, parameters={"y_true": "y_true"})
    assert no_sensitive.status_code == 422
    assert "sensitive" in no_sensitive.json["detail"]
    unknown_parameter = _start(pipeline, seeded, version_id, parameters={"colour": "red"})
    assert unknown_parameter.status_code == 422


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", True),
        ("compliance_officer", True),
        ("model_risk", True),
        ("ml_engineer", True),
        ("pipeline", True),
        ("auditor", False),
    ],
)
def test_who_may_start_audits_and_schedule_them(
    seeded: Any, make_actor: Any, role: str, allowed: bool
) -> None:
    actor = make_actor(role)
    # An unknown dataset: allowed roles get past the guard (404), others are refused (403).
    started = _start(actor, seeded, 999)
    assert started.status_code == (404 if allowed else 403)
    scheduled = actor.post(
        "/api/v1/audit-schedules",
        json={
            "model_version_id": seeded.ids["credit_model"],
            "dataset_version_id": 999,
            "kind": "fairness",
            "cron": "0 2 * * *",
            "parameters": FAIRNESS,
        },
    )
    assert scheduled.status_code == (404 if allowed else 403)
    assert actor.get("/api/v1/audits").status_code == 200
    assert actor.get("/api/v1/job-runs").status_code == 200


def test_read_scope_cannot_start_an_audit(seeded: Any, make_actor: Any) -> None:
    reader = make_actor("ml_engineer", scopes=("read",))
    assert _start(reader, seeded, 999).status_code == 403


def test_schedule_crud(seeded: Any, make_actor: Any) -> None:
    officer = make_actor("compliance_officer")
    body = {
        "model_version_id": seeded.ids["credit_model"],
        "dataset_version_id": seeded.ids["german_credit"],
        "kind": "fairness",
        "cron": "0 2 * * *",
        "parameters": {"y_true": "good_credit", "sensitive": ["sex"]},
    }
    created = officer.post("/api/v1/audit-schedules", json=body)
    assert created.status_code == 201, created.json
    schedule_id = created.json["id"]
    assert officer.post("/api/v1/audit-schedules", json=body).status_code == 409
    bad_cron = officer.patch(f"/api/v1/audit-schedules/{schedule_id}", json={"cron": "61 * * * *"})
    assert bad_cron.status_code == 422
    assert "cron" in bad_cron.json["detail"]
    changed = officer.patch(
        f"/api/v1/audit-schedules/{schedule_id}", json={"cron": "15 3 * * 1", "enabled": False}
    )
    assert changed.json["cron"] == "15 3 * * 1" and changed.json["enabled"] is False
    assert officer.get(f"/api/v1/audit-schedules/{schedule_id}").json["cron"] == "15 3 * * 1"
    listed = officer.get("/api/v1/audit-schedules?enabled=false").json["items"]
    assert [s["id"] for s in listed] == [schedule_id]
    deleted = officer.client.delete(
        f"/api/v1/audit-schedules/{schedule_id}", headers=officer.headers()
    )
    assert deleted.status_code == 204
    assert officer.get(f"/api/v1/audit-schedules/{schedule_id}").status_code == 404


def test_reasons_endpoint_and_portal_pages(
    audited: Any, make_actor: Any, login: Any, engine: Any
) -> None:
    auditor = make_actor("auditor")
    audit_id = audited.ids["explainability_audit"]
    missing = auditor.get(f"/api/v1/audits/{audit_id}/reasons/APP-9999")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    explained = auditor.get(f"/api/v1/audits/{audit_id}?decisions=true").json["results"]
    decision_id = next(iter(explained["decisions"]))
    reasons = auditor.get(f"/api/v1/audits/{audit_id}/reasons/{decision_id}")
    assert reasons.status_code == 200
    assert reasons.json["decision_id"] == decision_id
    assert reasons.json["method"] == "surrogate"
    fairness_reasons = auditor.get(
        f"/api/v1/audits/{audited.ids['fairness_audit']}/reasons/{decision_id}"
    )
    assert fairness_reasons.status_code == 422
    assert fairness_reasons.mimetype == "application/problem+json"

    with session_scope(engine) as session:
        session.add(
            JobRun(job_id="ledger-verify", outcome="failed", error="ledger broken at event 3")
        )
    portal, _ = login("auditor")
    listing = portal.get("/audits")
    assert (
        listing.status_code == 200 and b"fairness" in listing.data and b"0 2 * * *" in listing.data
    )
    fairness_page = portal.get(f"/audits/{audited.ids['fairness_audit']}")
    assert fairness_page.status_code == 200
    assert fairness_page.data.count(b"<svg") == 9
    assert b"Adverse impact ratio by sex" in fairness_page.data
    detail = portal.get(f"/audits/{audit_id}?decision={decision_id}")
    assert detail.status_code == 200
    assert b"Principal reasons" in detail.data and b"<svg" in detail.data
    assert b"Surrogate fidelity" in detail.data
    unknown = portal.get(f"/audits/{audit_id}?decision=nobody")
    assert b"was not explained" in unknown.data
    jobs = portal.get("/jobs")
    assert jobs.status_code == 200 and b"ledger broken at event 3" in jobs.data
    assert portal.get("/audits/999").status_code == 404
