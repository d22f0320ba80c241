"""Launching approved runs: the gate is asked again, evidence is compared, status is synced."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.approvals import service as approvals
from app.db import session_scope
from app.launch.kubernetes import KubernetesOptions, job_manifest
from app.launch.launcher import LaunchSpec
from app.launch.service import sync_run
from app.models.runs import FineTuneRun
from app.registry import datasets, runs
from app.registry.schemas import DatasetVersionMetadata, RunCreate
from tests.approvals.conftest import ENGINEER, build_registry


def _approved_run(engine: sa.Engine, policy_engine: Any, command: list[str]) -> tuple[int, int]:
    """A run on a public dataset, submitted and approved by an officer; (run id, version id)."""
    with session_scope(engine) as session:
        registry = build_registry(session)
        run = runs.create_run(
            session=session,
            data=RunCreate(
                name="faq-sft",
                base_model="meta-llama/Llama-3.1-8B-Instruct",
                platform="meta",
                hosting="internal",
                training_region="US",
                method="sft",
                gpu_type="nvidia-a100-80gb",
                gpu_count=1,
                max_hours=2,
                training_command=command,
                dataset_version_ids=[registry.dataset_version_id],
            ),
            actor=ENGINEER,
        )
        request = approvals.submit_run(
            session=session, engine=policy_engine, run_id=run.id or 0, actor=ENGINEER
        ).request
        assert request is not None
    with session_scope(engine) as session:
        approvals.vote(
            session=session,
            engine=policy_engine,
            request_id=request.id or 0,
            voter="olivia",
            role="compliance_officer",
            decision="approve",
        )
    return run.id or 0, registry.dataset_version_id


def _state(engine: sa.Engine, run_id: int) -> FineTuneRun:
    with session_scope(engine) as session:
        run = session.get(FineTuneRun, run_id)
        assert run is not None
        return run


def _wait_for_exit(reference: str) -> None:
    deadline = time.monotonic() + 30
    while not (Path(reference) / "exit_status").exists():
        assert time.monotonic() < deadline, "the training subprocess did not finish"
        time.sleep(0.1)


def test_approved_run_launches_locally_and_syncs_to_succeeded(
    app: Any, engine: sa.Engine, policy_engine: Any, people: dict[str, Any]
) -> None:
    command = [sys.executable, "-c", "import os; print('training', os.environ['GATEHOUSE_RUN_ID'])"]
    run_id, _ = _approved_run(engine, policy_engine, command)
    assert _state(engine, run_id).state == "approved"
    response = people["engineer"].post(f"/api/v1/runs/{run_id}/launch")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["state"] == "running" and body["launcher_kind"] == "local" and body["decision_id"]
    _wait_for_exit(body["launcher_ref"])
    assert f"training {run_id}" in (Path(body["launcher_ref"]) / "training.log").read_text()
    with app.app_context(), session_scope(engine) as session:
        from app.launch.binding import current_launcher

        assert (
            sync_run(session=session, launcher=current_launcher(), run_id=run_id).state
            == "succeeded"
        )
    actions = [
        e["action"]
        for e in people["engineer"]
        .get(
            "/api/v1/ledger/events",
            query_string={"subject_type": "finetune_run", "subject_id": str(run_id), "limit": 200},
        )
        .get_json()["items"]
    ]
    assert actions[-4:] == ["run.launching", "run.launched", "run.running", "run.succeeded"]


def test_failing_training_command_syncs_to_failed(
    app: Any, engine: sa.Engine, policy_engine: Any, people: dict[str, Any]
) -> None:
    run_id, _ = _approved_run(engine, policy_engine, [sys.executable, "-c", "raise SystemExit(3)"])
    body = people["engineer"].post(f"/api/v1/runs/{run_id}/launch").get_json()
    _wait_for_exit(body["launcher_ref"])
    with app.app_context(), session_scope(engine) as session:
        from app.launch.binding import current_launcher

        assert (
            sync_run(session=session, launcher=current_launcher(), run_id=run_id).state == "failed"
        )


def test_changed_evidence_voids_the_approval_instead_of_launching(
    engine: sa.Engine, policy_engine: Any, people: dict[str, Any]
) -> None:
    run_id, version_id = _approved_run(engine, policy_engine, [sys.executable, "-c", "pass"])
    with session_scope(engine) as session:
        datasets.update_version_metadata(
            session=session,
            version_id=version_id,
            data=DatasetVersionMetadata(contains_pii=True),
            actor="olivia",
            justification="found e-mails",
        )
    response = people["engineer"].post(f"/api/v1/runs/{run_id}/launch")
    assert response.status_code == 409 and "evidence changed" in response.get_json()["detail"]
    assert _state(engine, run_id).state == "rejected"


def test_only_approved_runs_launch_and_launcher_failures_fail_closed(
    engine: sa.Engine, policy_engine: Any, people: dict[str, Any]
) -> None:
    with session_scope(engine) as session:
        registry = build_registry(session, name="draft-only")
    refused = people["engineer"].post(f"/api/v1/runs/{registry.run_id}/launch")
    assert refused.status_code == 409 and "only an approved run" in refused.get_json()["detail"]
    run_id, _ = _approved_run(engine, policy_engine, [])
    failed = people["engineer"].post(f"/api/v1/runs/{run_id}/launch")
    assert failed.status_code == 409 and "no training command" in failed.get_json()["detail"]
    assert _state(engine, run_id).state == "failed"
    assert people["pipeline"].post(f"/api/v1/runs/{run_id}/launch").status_code == 409
    auditor_status = people["risk"].post(f"/api/v1/runs/{run_id}/launch").status_code
    assert auditor_status == 403


def test_kubernetes_job_manifest_carries_the_approved_limits() -> None:
    spec = LaunchSpec(
        run_id=42,
        run_name="credit-llama-lora",
        base_model="meta-llama/Llama-3.1-8B-Instruct",
        method="lora",
        command=("python", "train.py"),
        gpu_type="nvidia-a100-80gb",
        gpu_count=2,
        max_hours=6,
        dataset_hashes={"credit-explanations@1": "ab" * 32},
        decision_id=7,
    )
    job = job_manifest(spec, KubernetesOptions(image="registry.internal/trainer:1.4"))
    document = job.to_dict()
    assert document["metadata"]["name"] == "gatehouse-run-42"
    assert document["metadata"]["labels"]["gatehouse.dev/run-id"] == "42"
    assert "ab" * 32 in document["metadata"]["annotations"]["gatehouse.dev/dataset-hashes"]
    assert document["spec"]["active_deadline_seconds"] == 6 * 3600
    assert (
        document["spec"]["backoff_limit"] == 0
        and document["spec"]["ttl_seconds_after_finished"] > 0
    )
    pod = document["spec"]["template"]["spec"]
    assert pod["restart_policy"] == "Never" and pod["security_context"]["run_as_non_root"] is True
    container = pod["containers"][0]
    assert container["resources"]["limits"] == {"nvidia.com/gpu": "2"}
    assert container["security_context"]["allow_privilege_escalation"] is False
    assert pod["node_selector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}.items() <= pod[
        "tolerations"
    ][0].items()


def test_pipeline_cli_launches_and_reports_refusals(
    app: Any, engine: sa.Engine, policy_engine: Any, people: dict[str, Any]
) -> None:
    import threading

    from click.testing import CliRunner
    from werkzeug.serving import make_server

    from app.cli import cli

    run_id, _ = _approved_run(engine, policy_engine, [sys.executable, "-c", "pass"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    environment = {
        "GATEHOUSE_URL": f"http://127.0.0.1:{server.server_port}",
        "GATEHOUSE_TOKEN": people["pipeline"].token,
    }
    try:
        launched = CliRunner().invoke(cli, ["run", "launch", str(run_id)], env=environment)
        again = CliRunner().invoke(cli, ["run", "launch", str(run_id)], env=environment)
    finally:
        server.shutdown()
    assert launched.exit_code == 0, launched.output
    assert f"run {run_id} is running on the local launcher" in launched.output
    assert (
        again.exit_code == 1
        and "launch refused" in again.output
        and "only an approved run" in again.output
    )
