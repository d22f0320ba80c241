"""The API, the CLI and the portal over evaluation evidence and monitoring."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from app.cli import cli
from app.demo.evidence import EVIDENCE_DIR
from tests.approvals.conftest import Registry
from tests.evaluations.test_importers import GARAK, LM_EVAL, LM_EVAL_BASE

BATCH = {
    "period_start": datetime(2026, 11, 29, tzinfo=UTC).isoformat(),
    "period_end": datetime(2026, 11, 30, tzinfo=UTC).isoformat(),
    "volume": 500,
    "error_rate": 0.01,
    "latency_p50_ms": 300,
    "latency_p95_ms": 800,
    "latency_p99_ms": 1200,
}


def _upload(actor: Any, model_id: int, content: bytes, fmt: str, **fields: Any) -> Any:
    data: dict[str, Any] = {
        "format": fmt,
        "file": (io.BytesIO(content), f"results.{fmt}"),
        **fields,
    }
    return actor.post(
        f"/api/v1/models/{model_id}/evidence", data=data, content_type="multipart/form-data"
    )


def test_api_imports_and_answers_problems_on_bad_files(
    make_actor: Any, registry: Registry, counts: Any
) -> None:
    pipeline = make_actor("pipeline")
    imported = _upload(
        pipeline,
        registry.model_id,
        LM_EVAL,
        "lm_eval",
        metric_names="medqa_4options/acc_norm=accuracy",
        baseline=(io.BytesIO(LM_EVAL_BASE), "base.json"),
    )
    assert imported.status_code == 201, imported.json
    assert imported.json["tool"] == "lm-evaluation-harness"
    metrics = pipeline.get(f"/api/v1/metric-results?model_version_id={registry.model_id}").json[
        "items"
    ]
    assert {m["metric"]: m["baseline"] for m in metrics}["accuracy"] == 0.861

    before = counts()
    broken = _upload(
        pipeline, registry.model_id, GARAK.replace(b'"passed": 99,', b'"passed": -1,'), "garak"
    )
    assert broken.status_code == 422 and broken.mimetype == "application/problem+json"
    assert broken.json["errors"] == [
        {"location": "line 8, field 'passed'", "message": "must be a non-negative whole number"}
    ]
    unknown = _upload(pipeline, registry.model_id, GARAK, "pdf")
    assert unknown.status_code == 422 and unknown.mimetype == "application/problem+json"
    missing = pipeline.post(
        f"/api/v1/models/{registry.model_id}/evidence", data={"format": "garak"}
    )
    assert missing.status_code == 422 and missing.json["detail"] == "file: Field required"
    assert counts() == before
    nobody = _upload(pipeline, 9999, GARAK, "garak")
    assert nobody.status_code == 404 and nobody.mimetype == "application/problem+json"
    auditor = make_actor("auditor")
    assert _upload(auditor, registry.model_id, GARAK, "garak").status_code == 403


def test_api_findings_decisions_and_monitoring(make_actor: Any, registry: Registry) -> None:
    pipeline, officer = make_actor("pipeline"), make_actor("compliance_officer")
    assert _upload(pipeline, registry.model_id, GARAK, "garak").status_code == 201
    open_findings = pipeline.get(
        f"/api/v1/findings?model_version_id={registry.model_id}&severity=critical"
    ).json["items"]
    [leak] = open_findings
    refused = pipeline.post(
        f"/api/v1/findings/{leak['id']}/decisions", json={"action": "mitigate", "text": "x"}
    )
    assert refused.status_code == 403
    empty = officer.post(
        f"/api/v1/findings/{leak['id']}/decisions", json={"action": "accept", "text": ""}
    )
    assert empty.status_code == 422 and empty.mimetype == "application/problem+json"
    accepted = officer.post(
        f"/api/v1/findings/{leak['id']}/decisions",
        json={"action": "accept", "text": "Replay of a synthetic canary note only"},
    )
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    again = officer.post(
        f"/api/v1/findings/{leak['id']}/decisions", json={"action": "mitigate", "text": "late"}
    )
    assert again.status_code == 409 and again.mimetype == "application/problem+json"

    rng = np.random.default_rng(3)
    baseline = officer.put(
        f"/api/v1/deployments/{registry.deployment_id}/monitoring/baseline",
        json={"scores": list(rng.uniform(0, 1, 400)), "source": "audit_run:1"},
    )
    assert baseline.status_code == 200 and baseline.json["scores"] == 400
    batch = pipeline.post(
        f"/api/v1/deployments/{registry.deployment_id}/monitoring/batches",
        json={**BATCH, "scores": list(rng.uniform(0, 1, 300))},
    )
    assert batch.status_code == 201, batch.json
    assert batch.json["drift"][0]["group"] is None and "scores" not in batch.json
    assert batch.json["verdict"]["controls"]["COMMON-MONITORING"] == "pass"
    bad = pipeline.post(
        f"/api/v1/deployments/{registry.deployment_id}/monitoring/batches",
        json={**BATCH, "error_rate": 1.5, "scores": [0.1, 0.2]},
    )
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    not_json = pipeline.post(
        f"/api/v1/deployments/{registry.deployment_id}/monitoring/batches",
        json={**BATCH, "scores": [0.1, float("nan")]},
    )
    assert not_json.status_code == 400 and "NaN" in not_json.json["detail"]
    mismatched = pipeline.post(
        f"/api/v1/deployments/{registry.deployment_id}/monitoring/batches",
        json={**BATCH, "scores": [0.1, 0.2], "groups": ["A"]},
    )
    assert mismatched.status_code == 422 and mismatched.mimetype == "application/problem+json"
    incident = officer.post(
        f"/api/v1/deployments/{registry.deployment_id}/incidents",
        json={"severity": "high", "title": "Slow answers"},
    )
    assert incident.status_code == 201 and incident.json["verdict"]["suspended"] is False
    resolved = officer.post(
        f"/api/v1/incidents/{incident.json['id']}/resolution", json={"resolution": "scaled out"}
    )
    assert resolved.status_code == 200 and resolved.json["status"] == "resolved"
    listed = pipeline.get(
        f"/api/v1/monitoring-batches?deployment_id={registry.deployment_id}"
    ).json["items"]
    assert len(listed) == 1


def test_cli_imports_and_rejects_with_one_line(
    app: Any, registry: Registry, tmp_path: Path, counts: Any
) -> None:
    runner = app.test_cli_runner()
    good = runner.invoke(
        cli,
        [
            "evaluation",
            "import",
            str(registry.model_id),
            str(EVIDENCE_DIR / "notes-assistant.garak.report.jsonl"),
            "--format",
            "garak",
        ],
    )
    assert good.exit_code == 0, good.output
    assert (
        "imported notes-assistant.garak.report.jsonl" in good.output
        and "(garak 0.13.1)" in good.output
    )
    listed = runner.invoke(
        cli, ["evaluation", "findings", str(registry.model_id), "--status", "open"]
    )
    assert listed.exit_code == 0 and "critical" in listed.output and "data_leakage" in listed.output
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(GARAK.replace(b'"probe": "misleading.FalseAssertion", ', b""))
    before = counts()
    failed = runner.invoke(
        cli, ["evaluation", "import", str(registry.model_id), str(broken), "--format", "garak"]
    )
    assert failed.exit_code != 0
    assert "line 9, field 'probe': is missing (nothing imported)" in failed.output
    assert "Traceback" not in failed.output
    assert counts() == before


def test_portal_pages_show_evidence_findings_and_monitoring(
    login: Any, make_actor: Any, registry: Registry, engine: sa.Engine
) -> None:
    pipeline = make_actor("pipeline")
    assert _upload(pipeline, registry.model_id, GARAK, "garak").status_code == 201
    assert (
        _upload(
            pipeline,
            registry.model_id,
            LM_EVAL,
            "lm_eval",
            baseline=(io.BytesIO(LM_EVAL_BASE), "base.json"),
        ).status_code
        == 201
    )
    officer = make_actor("compliance_officer")
    rng = np.random.default_rng(5)
    officer.put(
        f"/api/v1/deployments/{registry.deployment_id}/monitoring/baseline",
        json={"scores": list(rng.uniform(0, 1, 300)), "source": "audit_run:1"},
    )
    pipeline.post(
        f"/api/v1/deployments/{registry.deployment_id}/monitoring/batches",
        json={**BATCH, "scores": list(rng.uniform(0.3, 1, 300))},
    )
    portal, _ = login("compliance_officer")
    page = portal.get(f"/models/{registry.model_id}/evidence")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<svg" in text and "pubmedqa/acc" in text and "leakreplay.GuardianCloze" in text
    assert "maria.garcia" not in text and "withheld" in text
    assert "Record</button>" in text
    findings_page = portal.get("/findings").get_data(as_text=True)
    assert "critical" in findings_page
    monitoring_page = portal.get(f"/deployments/{registry.deployment_id}/monitoring")
    assert monitoring_page.status_code == 200
    body = monitoring_page.get_data(as_text=True)
    assert "Population stability index" in body and "<svg" in body
    opened = portal.post(
        f"/deployments/{registry.deployment_id}/incidents",
        data={"severity": "low", "title": "typo in answers"},
    )
    assert opened.status_code == 302
    engineer_portal, _ = login("ml_engineer")
    engineer_page = engineer_portal.get(f"/models/{registry.model_id}/evidence").get_data(
        as_text=True
    )
    assert "Record</button>" not in engineer_page
