"""Launching approved runs: the gate is asked again, evidence is compared, status is synced."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import session_scope
from app.launch.errors import LauncherError
from app.launch.kubernetes_manifest import KubernetesOptions, job_manifest
from app.launch.launcher import LaunchSpec
from app.launch.service import sync_run
from app.registry import datasets
from app.registry.schemas import DatasetVersionMetadata
from tests.approvals.conftest import build_registry
from tests.launch.runs import approved_run, run_state


def _wait_for_exit(reference: str) -> None:
    deadline = time.monotonic() + 30
    while not (Path(reference) / "exit_status").exists():
        assert time.monotonic() < deadline, "the training subprocess did not finish"
        time.sleep(0.1)


def test_approved_run_launches_locally_and_syncs_to_succeeded(
    app: Any, engine: sa.Engine, policy_engine: Any, people: dict[str, Any]
) -> None:
    command = [sys.executable, "-c", "import os; print('training', os.environ['GATEHOUSE_RUN_ID'])"]
    run_id, _ = approved_run(engine, policy_engine, command)
    assert run_state(engine, run_id).state == "approved"
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
    assert actions[-5:] == [
        "run.launching",
        "run.launched",
        "run.running",
        "run.launcher_reported",
        "run.succeeded",
    ]


def test_failing_training_command_syncs_to_failed(
    app: Any, engine: sa.Engine, policy_engine: Any, people: dict[str, Any]
) -> None:
    run_id, _ = approved_run(engine, policy_engine, [sys.executable, "-c", "raise SystemExit(3)"])
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
    run_id, version_id = approved_run(engine, policy_engine, [sys.executable, "-c", "pass"])
    with session_scope(engine) as session:
        datasets.update_version_metadata(
            session=session,
            version_id=version_id,
            data=DatasetVersionMetadata(
                contains_pii=True, contains_phi=False, special_category=False
            ),
            actor="olivia",
            justification="found e-mails",
        )
    response = people["engineer"].post(f"/api/v1/runs/{run_id}/launch")
    assert response.status_code == 409 and "evidence changed" in response.get_json()["detail"]
    assert run_state(engine, run_id).state == "rejected"


def test_only_approved_runs_launch_and_launcher_failures_fail_closed(
    engine: sa.Engine, policy_engine: Any, people: dict[str, Any]
) -> None:
    with session_scope(engine) as session:
        registry = build_registry(session, name="draft-only")
    refused = people["engineer"].post(f"/api/v1/runs/{registry.run_id}/launch")
    assert refused.status_code == 409 and "only an approved run" in refused.get_json()["detail"]
    run_id, _ = approved_run(engine, policy_engine, [])
    failed = people["engineer"].post(f"/api/v1/runs/{run_id}/launch")
    assert failed.status_code == 409 and "no training command" in failed.get_json()["detail"]
    assert run_state(engine, run_id).state == "failed"
    assert people["pipeline"].post(f"/api/v1/runs/{run_id}/launch").status_code == 409
    auditor_status = people["risk"].post(f"/api/v1/runs/{run_id}/launch").status_code
    assert auditor_status == 403


def _spec(**changes: Any) -> LaunchSpec:
    base = LaunchSpec(
        run_id=42,
        run_name="credit-llama-lora",
        base_model="meta-llama/Llama-3.1-8B-Instruct",
        platform="meta",
        hosting="internal",
        method="lora",
        command=("python", "train.py"),
        gpu_type="nvidia-a100-80gb",
        gpu_count=2,
        max_hours=6,
        dataset_hashes={"credit-explanations@1": "ab" * 32},
        decision_id=7,
        evidence_sha256="cd" * 32,
        instance_id="0a1b2c3d4e",
    )
    return replace(base, **changes)


def test_kubernetes_job_manifest_carries_the_approved_limits_and_its_owner() -> None:
    job = job_manifest(_spec(), KubernetesOptions(image="registry.internal/trainer:1.4"))
    document = job.to_dict()
    assert document["metadata"]["name"] == "gatehouse-0a1b2c3d4e-run-42"
    labels = document["metadata"]["labels"]
    assert labels["gatehouse.dev/run-id"] == "42" and labels["gatehouse.dev/decision-id"] == "7"
    assert labels["gatehouse.dev/instance-id"] == "0a1b2c3d4e"
    annotations = document["metadata"]["annotations"]
    assert annotations["gatehouse.dev/evidence-sha256"] == "cd" * 32
    assert "ab" * 32 in annotations["gatehouse.dev/dataset-hashes"]
    assert document["spec"]["active_deadline_seconds"] == 6 * 3600
    assert (
        document["spec"]["backoff_limit"] == 0
        and document["spec"]["ttl_seconds_after_finished"] > 0
        and not document["spec"]["suspend"]
    )
    pod = document["spec"]["template"]["spec"]
    assert pod["restart_policy"] == "Never" and pod["security_context"]["run_as_non_root"] is True
    assert pod["security_context"]["seccomp_profile"] == {
        "type": "RuntimeDefault",
        "localhost_profile": None,
    }
    assert pod["automount_service_account_token"] is False
    container = pod["containers"][0]
    assert container["resources"]["limits"] == {"nvidia.com/gpu": "2"}
    assert container["resources"]["requests"] == {"nvidia.com/gpu": "2"}
    context = container["security_context"]
    assert context["allow_privilege_escalation"] is False and context["capabilities"]["drop"] == [
        "ALL"
    ]
    assert context["read_only_root_filesystem"] is True
    assert pod["node_selector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}.items() <= pod[
        "tolerations"
    ][0].items()


def test_kubernetes_job_manifest_queues_and_prioritises_when_configured() -> None:
    options = KubernetesOptions(
        image="trainer:1", queue_name="gpu-team-a", priority_class="training-low"
    )
    document = job_manifest(_spec(), options).to_dict()
    assert document["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "gpu-team-a"
    assert "kueue.x-k8s.io/queue-name" not in document["spec"]["template"]["metadata"]["labels"]
    assert document["spec"]["suspend"] is True
    assert document["spec"]["template"]["spec"]["priority_class_name"] == "training-low"
    cpu_only = job_manifest(_spec(gpu_count=0), options).to_dict()["spec"]["template"]["spec"]
    assert cpu_only["node_selector"] is None and cpu_only["tolerations"] is None
    assert cpu_only["containers"][0]["resources"]["limits"] is None


def test_kubernetes_job_manifest_needs_an_image() -> None:
    with pytest.raises(LauncherError, match="GATEHOUSE_TRAINING_IMAGE"):
        job_manifest(_spec(), KubernetesOptions())


def test_pipeline_cli_launches_and_reports_refusals(
    app: Any, engine: sa.Engine, policy_engine: Any, people: dict[str, Any]
) -> None:
    import threading

    from click.testing import CliRunner
    from werkzeug.serving import make_server

    from app.cli import cli

    run_id, _ = approved_run(engine, policy_engine, [sys.executable, "-c", "pass"])
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
        cancel = ["run", "cancel", str(run_id), "--reason", "superseded"]
        cancelled = CliRunner().invoke(cli, cancel, env=environment)
        cancelled_again = CliRunner().invoke(cli, cancel, env=environment)
    finally:
        server.shutdown()
    assert cancelled.exit_code == 0, cancelled.output
    assert f"run {run_id} is cancelled: process group" in cancelled.output
    assert cancelled_again.exit_code == 1 and "cancel refused" in cancelled_again.output
    assert launched.exit_code == 0, launched.output
    assert f"run {run_id} is running on the local launcher" in launched.output
    assert (
        again.exit_code == 1
        and "launch refused" in again.output
        and "only an approved run" in again.output
    )


def _process_ended(pid: int) -> bool:
    """True once ``pid`` is gone or a zombie waiting for its parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def test_cancel_stops_the_training_first_and_the_plain_transition_cannot(
    engine: sa.Engine, policy_engine: Any, people: dict[str, Any]
) -> None:
    command = [sys.executable, "-c", "import time; time.sleep(600)"]
    run_id, _ = approved_run(engine, policy_engine, command)
    body = people["engineer"].post(f"/api/v1/runs/{run_id}/launch").get_json()
    assert body["state"] == "running"
    pid = json.loads((Path(body["launcher_ref"]) / "started.json").read_text())["pid"]

    skipped = people["engineer"].post(
        f"/api/v1/runs/{run_id}/transitions", json={"to": "cancelled"}
    )
    assert skipped.status_code == 409 and "launcher" in skipped.get_json()["detail"]
    assert not _process_ended(pid)

    cancelled = people["engineer"].post(
        f"/api/v1/runs/{run_id}/cancel", json={"reason": "wrong base model"}
    )
    assert cancelled.status_code == 200, cancelled.get_data(as_text=True)
    assert cancelled.get_json()["state"] == "cancelled"
    assert f"process group {pid} sent SIGTERM" in cancelled.get_json()["launcher_detail"]
    deadline = time.monotonic() + 30
    while not _process_ended(pid):
        assert time.monotonic() < deadline, "the cancelled training process is still running"
        time.sleep(0.1)
    assert people["risk"].post(f"/api/v1/runs/{run_id}/cancel", json={}).status_code == 403


def test_launcher_states_cannot_be_set_by_hand(
    engine: sa.Engine, policy_engine: Any, people: dict[str, Any]
) -> None:
    # Issue 14: a registrar could move a running run to succeeded while the launcher ran it.
    command = [sys.executable, "-c", "import time; time.sleep(600)"]
    run_id, _ = approved_run(engine, policy_engine, command)
    engineer = people["engineer"]
    path = f"/api/v1/runs/{run_id}/transitions"

    def refused(target: str, current: str, owner: str) -> None:
        answer = engineer.post(path, json={"to": target, "reason": "done, I think"})
        assert answer.status_code == 409, answer.get_json()
        assert answer.mimetype == "application/problem+json"
        body = answer.get_json()
        assert body["title"] == "State set only by the launcher"
        assert (body["current"], body["requested"]) == (current, target)
        assert f"run goes from '{current}' to '{target}' only through {owner}" in body["detail"]

    refused("launching", "approved", "the launcher, which asks the training_launch gate again")
    launched = engineer.post(f"/api/v1/runs/{run_id}/launch").get_json()
    assert launched["state"] == "running"
    for target in ("succeeded", "failed"):
        refused(target, "running", "the launcher's status sync, which copies the outcome")
    assert run_state(engine, run_id).state == "running"
    events = engineer.get(
        "/api/v1/ledger/events",
        query_string={"subject_type": "finetune_run", "subject_id": str(run_id), "limit": 200},
    ).get_json()["items"]
    assert not {"run.succeeded", "run.failed"} & {e["action"] for e in events}
    stopped = engineer.post(f"/api/v1/runs/{run_id}/cancel", json={"reason": "test over"})
    assert stopped.get_json()["state"] == "cancelled"


@pytest.mark.parametrize(
    ("kubeconfig", "reason"),
    [
        (
            "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "
            "'https://127.0.0.1:9'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: "
            "[{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
            "cannot reach Kubernetes to create Job",
        ),
        (None, "cannot load the Kubernetes configuration from"),
    ],
)
def test_a_cluster_out_of_reach_fails_the_launch_closed_and_says_why(
    tmp_path: Path,
    engine: sa.Engine,
    policy_engine: Any,
    people: dict[str, Any],
    kubeconfig: str | None,
    reason: str,
) -> None:
    from app.launch.kubernetes import KubernetesLauncher
    from app.launch.service import launch_run

    path = tmp_path / "kubeconfig"
    if kubeconfig is not None:
        path.write_text(kubeconfig)
    launcher = KubernetesLauncher(KubernetesOptions(image="trainer:1", kubeconfig=path))
    run_id, _ = approved_run(engine, policy_engine, ["python", "train.py"])
    with session_scope(engine) as session:
        outcome = launch_run(
            session=session, engine=policy_engine, launcher=launcher, run_id=run_id, actor="eli"
        )
    assert outcome.refusal is not None and reason in outcome.refusal
    run = run_state(engine, run_id)
    assert run.state == "failed" and run.launcher_detail == outcome.refusal


def test_the_instance_id_is_made_once_per_database_and_ledgered(
    engine: sa.Engine, tmp_path: Path
) -> None:
    from sqlmodel import select

    from app.db import build_engine
    from app.migrations import upgrade
    from app.models.ledger import LedgerEvent
    from app.registry.instance import instance_id

    with session_scope(engine) as session:
        first = instance_id(session=session)
    with session_scope(engine) as session:
        assert instance_id(session=session) == first
        created = session.exec(
            select(LedgerEvent).where(LedgerEvent.action == "instance.created")
        ).all()
    assert len(first) == 10 and int(first, 16) >= 0
    assert [event.payload for event in created] == [{"instance_id": first}]

    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade(other_url)
    other = build_engine(other_url)
    try:
        with session_scope(other) as session:
            assert instance_id(session=session) != first
    finally:
        other.dispose()


def test_launch_when_the_policy_engine_gives_no_answer_exits_3_and_launches_nothing(
    settings: Any, engine: sa.Engine, policy_engine: Any, people: dict[str, Any]
) -> None:
    from click.testing import CliRunner

    from app import create_app
    from app.cli import cli
    from app.policy.opa_checks import find_opa_binary
    from app.policy.opa_process import start_opa_server
    from tests.conftest import serving

    run_id, _ = approved_run(engine, policy_engine, [sys.executable, "-c", "pass"])
    binary = find_opa_binary()
    assert binary is not None, "the OPA binary is required (scripts/test builds it)"
    opa = start_opa_server(binary, token="launch-test-token")
    opa.kill()
    unanswered = create_app(
        settings.with_overrides(policy_engine="opa", opa_url=opa.url, opa_token="launch-test-token")
    )
    refused = people["engineer"]
    refused.client = unanswered.test_client()
    answer = refused.post(f"/api/v1/runs/{run_id}/launch")
    assert answer.status_code == 409 and answer.json["outcome"] == "indeterminate"
    assert "could not be decided at launch" in answer.json["detail"]
    with serving(unanswered) as url:
        launched = CliRunner().invoke(
            cli,
            ["run", "launch", str(run_id)],
            env={"GATEHOUSE_URL": url, "GATEHOUSE_TOKEN": people["pipeline"].token},
        )
    assert launched.exit_code == 3, launched.output
    assert launched.output.strip().startswith("could not ask: the policy engine gave no answer")
    assert run_state(engine, run_id).state == "approved"
