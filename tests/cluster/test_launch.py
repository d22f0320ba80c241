"""Launching on a real API server: one admitted Job per approved run, and nothing otherwise."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select
from werkzeug.serving import make_server

from app.db import session_scope
from app.launch.kubernetes import KubernetesLauncher
from app.launch.kubernetes_manifest import KubernetesOptions
from app.launch.launcher import LaunchSpec
from app.models.ledger import LedgerEvent
from app.registry import datasets
from app.registry.instance import instance_id
from app.registry.schemas import DatasetVersionMetadata
from tests.approvals.conftest import build_registry
from tests.approvals.test_concurrency import _race
from tests.cluster.conftest import TRAINING_IMAGE, Cluster, eventually, jobs_of_run, timed_launch
from tests.launch.runs import approved_run, run_state

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("people")]

COMMAND = ["python", "-m", "trainer", "--config", "/etc/recipe.yaml"]
RACERS = 10


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    """The application on a threaded loopback server (real concurrent requests)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


def test_an_approved_run_becomes_one_job_whose_pod_pod_security_admits(
    cluster: Cluster,
    training_namespace: str,
    engine: sa.Engine,
    policy_engine: Any,
    people: dict[str, Any],
) -> None:
    run_id, _ = approved_run(engine, policy_engine, COMMAND)
    response = timed_launch(lambda: people["engineer"].post(f"/api/v1/runs/{run_id}/launch"))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["state"] == "running" and body["launcher_kind"] == "kubernetes"

    jobs = jobs_of_run(cluster, training_namespace, run_id)
    assert [f"{training_namespace}/{job.metadata.name}" for job in jobs] == [body["launcher_ref"]]
    job = jobs[0]
    with session_scope(engine) as session:
        own_instance = instance_id(session=session)
    assert job.metadata.name == f"gatehouse-{own_instance}-run-{run_id}"
    assert job.metadata.labels["gatehouse.dev/decision-id"] == str(body["decision_id"])
    assert job.spec.template.spec.containers[0].image == TRAINING_IMAGE
    assert job.spec.template.spec.containers[0].command == COMMAND

    # The Job controller's pod passed Pod Security "restricted" admission (no kubelet
    # runs it, so it stays Pending, but it exists).
    pods = eventually(
        lambda: (
            cluster.core.list_namespaced_pod(
                training_namespace,
                label_selector=f"batch.kubernetes.io/job-name={job.metadata.name}",
            ).items
        ),
        what="the Job controller to create the training pod",
    )
    assert len(pods) == 1
    pod = pods[0].spec
    assert pod.security_context.run_as_non_root is True
    assert pod.security_context.seccomp_profile.type == "RuntimeDefault"
    container = pod.containers[0]
    assert container.security_context.allow_privilege_escalation is False
    assert container.security_context.capabilities.drop == ["ALL"]
    assert container.security_context.read_only_root_filesystem is True
    assert container.resources.limits["nvidia.com/gpu"] == "1"
    assert container.resources.requests["nvidia.com/gpu"] == "1"
    assert job.metadata.annotations["gatehouse.dev/recipe"] == "llama-lora-sft"
    assert pod.node_selector == {"nvidia.com/gpu.present": "true"}
    assert pod.automount_service_account_token is False


def test_ten_concurrent_launches_create_one_job(
    cluster: Cluster,
    training_namespace: str,
    live_url: str,
    engine: sa.Engine,
    policy_engine: Any,
    make_actor: Any,
) -> None:
    run_id, _ = approved_run(engine, policy_engine, COMMAND)
    pipelines = [make_actor("pipeline", username=f"pipeline-{n:02d}") for n in range(RACERS)]
    url = f"{live_url}/api/v1/runs/{run_id}/launch"

    results = timed_launch(lambda: _race([(url, p.token, None) for p in pipelines]))

    codes = Counter(code for code, _ in results)
    assert codes == {200: 1, 409: RACERS - 1}, results
    assert all("only an approved run" in body["detail"] for code, body in results if code == 409)
    assert len(jobs_of_run(cluster, training_namespace, run_id)) == 1
    assert run_state(engine, run_id).state == "running"
    with session_scope(engine) as session:
        actions = Counter(
            event.action
            for event in session.exec(
                select(LedgerEvent).where(LedgerEvent.subject_id == str(run_id))
            ).all()
            if event.subject_type == "finetune_run"
        )
    assert actions["run.launched"] == 1 and actions["run.running"] == 1


def _spec(engine: sa.Engine, run_id: int, decision_id: int) -> LaunchSpec:
    with session_scope(engine) as session:
        own_instance = instance_id(session=session)
    return LaunchSpec(
        run_id=run_id,
        run_name="racing",
        base_model="meta-llama/Llama-3.1-8B-Instruct",
        platform="meta",
        hosting="internal",
        method="sft",
        command=tuple(COMMAND),
        gpu_type=None,
        gpu_count=0,
        max_hours=1,
        dataset_hashes={"faq@1": "a" * 64},
        decision_id=decision_id,
        evidence_sha256="e" * 64,
        instance_id=own_instance,
    )


def test_the_launchers_own_job_already_there_counts_as_created(
    cluster: Cluster, training_namespace: str, engine: sa.Engine
) -> None:
    """Ten launchers creating the same launch at once: one Job, ten equal answers."""
    launcher = KubernetesLauncher(
        KubernetesOptions(
            namespace=training_namespace, image=TRAINING_IMAGE, kubeconfig=cluster.kubeconfig
        )
    )
    spec = _spec(engine, 9001, 77)
    barrier = threading.Barrier(RACERS)
    references: list[str] = []

    def create() -> None:
        barrier.wait()
        references.append(launcher.launch(spec))

    threads = [threading.Thread(target=create) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(references) == RACERS and len(set(references)) == 1
    assert len(jobs_of_run(cluster, training_namespace, 9001)) == 1


def test_a_job_this_launch_did_not_create_is_refused_and_left_alone(
    cluster: Cluster,
    training_namespace: str,
    engine: sa.Engine,
    policy_engine: Any,
    people: dict[str, Any],
) -> None:
    """A Job of an earlier attempt (another decision) holds the name: no adoption."""
    run_id, _ = approved_run(engine, policy_engine, COMMAND)
    launcher = KubernetesLauncher(
        KubernetesOptions(
            namespace=training_namespace, image=TRAINING_IMAGE, kubeconfig=cluster.kubeconfig
        )
    )
    stale = replace(_spec(engine, run_id, 424242), evidence_sha256="0" * 64)
    reference = launcher.launch(stale)

    response = people["engineer"].post(f"/api/v1/runs/{run_id}/launch")
    assert response.status_code == 409
    detail = response.get_json()["detail"]
    assert "already exists but was not created by this launch" in detail
    assert "decision-id is '424242'" in detail and "evidence-sha256 is '" + "0" * 64 in detail
    assert f"delete job {reference.partition('/')[2]}" in detail
    run = run_state(engine, run_id)
    assert run.state == "approved" and run.launcher_detail == detail
    (job,) = jobs_of_run(cluster, training_namespace, run_id)
    assert job.metadata.labels["gatehouse.dev/decision-id"] == "424242"

    launcher.cancel(reference)
    eventually(
        lambda: not jobs_of_run(cluster, training_namespace, run_id),
        what="the stale Job to be deleted",
    )
    relaunched = people["engineer"].post(f"/api/v1/runs/{run_id}/launch")
    assert relaunched.status_code == 200, relaunched.get_data(as_text=True)
    (job,) = jobs_of_run(cluster, training_namespace, run_id)
    assert job.metadata.labels["gatehouse.dev/decision-id"] == str(
        relaunched.get_json()["decision_id"]
    )


def test_two_gatehouse_databases_never_share_a_job(
    cluster: Cluster,
    training_namespace: str,
    app: Any,
    engine: sa.Engine,
    policy_engine: Any,
    people: dict[str, Any],
    second_gatehouse: Any,
) -> None:
    first_run, _ = approved_run(engine, policy_engine, COMMAND)
    second_run, _ = approved_run(second_gatehouse.engine, second_gatehouse.policy_engine, COMMAND)
    assert first_run == second_run, "both databases number their first run alike"

    first = people["engineer"].post(f"/api/v1/runs/{first_run}/launch").get_json()
    second = second_gatehouse.engineer.post(f"/api/v1/runs/{second_run}/launch").get_json()

    assert first["state"] == second["state"] == "running"
    assert first["launcher_ref"] != second["launcher_ref"]
    jobs = jobs_of_run(cluster, training_namespace, first_run)
    instances = {job.metadata.labels["gatehouse.dev/instance-id"] for job in jobs}
    assert len(jobs) == 2 and len(instances) == 2


def test_a_run_that_is_not_approved_creates_no_job_through_any_route(
    cluster: Cluster,
    training_namespace: str,
    live_url: str,
    settings: Any,
    engine: sa.Engine,
    policy_engine: Any,
    people: dict[str, Any],
) -> None:
    """The API's launch and transitions, the pipeline CLI, the service itself: all refuse."""
    from click.testing import CliRunner

    from app.approvals import service as approvals
    from app.approvals.flows import RUN_FLOW
    from app.cli import cli
    from app.launch.errors import LaunchRefusedError
    from app.launch.registry import build_launcher
    from app.launch.service import launch_run

    with session_scope(engine) as session:
        draft = build_registry(session, name="draft").run_id
        submitted = build_registry(session, name="submitted").run_id
    with session_scope(engine) as session:
        approvals.request_approval(
            session=session, engine=policy_engine, flow=RUN_FLOW, subject_id=submitted, actor="eli"
        )
    engineer, pipeline = people["engineer"], people["pipeline"]
    for run_id in (draft, submitted):
        for actor in (engineer, pipeline):
            refused = actor.post(f"/api/v1/runs/{run_id}/launch")
            assert (
                refused.status_code == 409
                and "only an approved run" in refused.get_json()["detail"]
            )
        for state in ("launching", "running", "approved"):
            skipped = engineer.post(f"/api/v1/runs/{run_id}/transitions", json={"to": state})
            assert skipped.status_code == 409, (run_id, state, skipped.get_json())
        launched = CliRunner().invoke(
            cli,
            ["run", "launch", str(run_id)],
            env={"GATEHOUSE_URL": live_url, "GATEHOUSE_TOKEN": pipeline.token},
        )
        assert launched.exit_code == 1 and "only an approved run" in launched.output
        with pytest.raises(LaunchRefusedError), session_scope(engine) as session:
            launch_run(
                session=session,
                engine=policy_engine,
                launcher=build_launcher(settings),
                run_id=run_id,
                actor="eli",
            )
        assert run_state(engine, run_id).state in ("draft", "submitted")
    assert people["risk"].post(f"/api/v1/runs/{draft}/launch").status_code == 403
    assert cluster.batch.list_namespaced_job(training_namespace).items == []


def test_an_approved_run_whose_evidence_changed_is_refused_at_launch(
    cluster: Cluster,
    training_namespace: str,
    engine: sa.Engine,
    policy_engine: Any,
    people: dict[str, Any],
) -> None:
    run_id, version_id = approved_run(engine, policy_engine, COMMAND)
    with session_scope(engine) as session:
        datasets.update_version_metadata(
            session=session,
            version_id=version_id,
            data=DatasetVersionMetadata(
                contains_pii=True, contains_phi=False, special_category=False
            ),
            actor="olivia",
            justification="found e-mail addresses in the FAQ",
        )
    response = people["engineer"].post(f"/api/v1/runs/{run_id}/launch")
    assert response.status_code == 409 and "evidence changed" in response.get_json()["detail"]
    assert run_state(engine, run_id).state == "rejected"
    assert cluster.batch.list_namespaced_job(training_namespace).items == []
