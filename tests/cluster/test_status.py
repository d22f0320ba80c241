"""Status sync on a real API server: the Job controller's own conditions become run states.

There is no kubelet on the local control plane, so pods stay Pending; the Job controller
still starts Jobs, enforces deadlines and back-off limits, and the garbage collector
still deletes. What only a kubelet could do (a pod failing, a Job completing) the tests
do as a kubelet would, by writing ``pods/status`` or ``jobs/status`` with their own
admin client; Gatehouse itself only reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from kubernetes.client.exceptions import ApiException

from app.db import session_scope
from app.launch.binding import current_launcher
from app.launch.service import sync_run, sync_running_runs
from tests.cluster.conftest import Cluster, eventually, jobs_of_run, timed_launch
from tests.launch.runs import approved_run, run_state

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("people")]

COMMAND = ["python", "-m", "trainer"]


def _launch(people: dict[str, Any], run_id: int) -> dict[str, Any]:
    response = timed_launch(lambda: people["engineer"].post(f"/api/v1/runs/{run_id}/launch"))
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def _sync(app: Any, engine: sa.Engine, run_id: int) -> Any:
    with app.app_context(), session_scope(engine) as session:
        return sync_run(session=session, launcher=current_launcher(), run_id=run_id)


def _started_job(cluster: Cluster, namespace: str, run_id: int) -> Any:
    """The run's Job once the Job controller has started it."""
    return eventually(
        lambda: next(
            (job for job in jobs_of_run(cluster, namespace, run_id) if job.status.start_time),
            None,
        ),
        what="the Job controller to start the Job",
    )


def test_sync_reports_a_started_job_as_running_with_its_progress(
    app: Any,
    cluster: Cluster,
    training_namespace: str,
    engine: sa.Engine,
    policy_engine: Any,
    people: dict[str, Any],
) -> None:
    run_id, _ = approved_run(engine, policy_engine, COMMAND)
    _launch(people, run_id)
    job = _started_job(cluster, training_namespace, run_id)
    eventually(
        lambda: (
            cluster.batch.read_namespaced_job(job.metadata.name, training_namespace).status.active
        ),
        what="the Job to count its pod as active",
    )
    run = _sync(app, engine, run_id)
    assert run.state == "running"
    assert f"started at {job.status.start_time.isoformat()}" in run.launcher_detail
    assert "1 active, 0 ready pod(s)" in run.launcher_detail
    body = people["engineer"].get(f"/api/v1/runs/{run_id}").get_json()
    assert body["launcher_detail"] == run.launcher_detail


def test_a_tiny_deadline_ends_in_deadline_exceeded(
    app: Any,
    cluster: Cluster,
    training_namespace: str,
    engine: sa.Engine,
    policy_engine: Any,
    people: dict[str, Any],
) -> None:
    run_id, _ = approved_run(engine, policy_engine, COMMAND, max_hours=1 / 3600)
    _launch(people, run_id)
    (job,) = jobs_of_run(cluster, training_namespace, run_id)
    assert job.spec.active_deadline_seconds == 1
    run = eventually(
        lambda: (synced := _sync(app, engine, run_id)).state == "failed" and synced,
        what="the sync to see the Job fail on its deadline",
    )
    assert run.launcher_detail.startswith("DeadlineExceeded: ")
    assert run_state(engine, run_id).state == "failed"


def test_a_failed_pod_beyond_the_backoff_limit_ends_in_backoff_limit_exceeded(
    app: Any,
    cluster: Cluster,
    training_namespace: str,
    engine: sa.Engine,
    policy_engine: Any,
    people: dict[str, Any],
) -> None:
    run_id, _ = approved_run(engine, policy_engine, COMMAND)
    _launch(people, run_id)
    job = _started_job(cluster, training_namespace, run_id)
    (pod,) = eventually(
        lambda: (
            cluster.core.list_namespaced_pod(
                training_namespace,
                label_selector=f"batch.kubernetes.io/job-name={job.metadata.name}",
            ).items
        ),
        what="the training pod",
    )
    # What a kubelet reports when the training process exits 1.
    cluster.core.patch_namespaced_pod_status(
        pod.metadata.name,
        training_namespace,
        {
            "status": {
                "phase": "Failed",
                "containerStatuses": [
                    {
                        "name": "train",
                        "image": job.spec.template.spec.containers[0].image,
                        "imageID": "",
                        "ready": False,
                        "restartCount": 0,
                        "state": {
                            "terminated": {
                                "exitCode": 1,
                                "reason": "Error",
                                "startedAt": datetime.now(UTC).isoformat(),
                                "finishedAt": datetime.now(UTC).isoformat(),
                            }
                        },
                    }
                ],
            }
        },
        _content_type="application/merge-patch+json",
    )
    run = eventually(
        lambda: (synced := _sync(app, engine, run_id)).state == "failed" and synced,
        what="the sync to see the Job fail on its back-off limit",
    )
    assert run.launcher_detail.startswith("BackoffLimitExceeded: ")


def test_a_completed_job_syncs_to_succeeded(
    app: Any,
    cluster: Cluster,
    training_namespace: str,
    engine: sa.Engine,
    policy_engine: Any,
    people: dict[str, Any],
) -> None:
    run_id, _ = approved_run(engine, policy_engine, COMMAND)
    _launch(people, run_id)
    job = _started_job(cluster, training_namespace, run_id)
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    condition = {"status": "True", "lastProbeTime": now, "lastTransitionTime": now}
    # What the Job controller writes once the pod succeeded (it needs a kubelet for that).
    cluster.batch.patch_namespaced_job_status(
        job.metadata.name,
        training_namespace,
        {
            "status": {
                "conditions": [
                    {**condition, "type": "SuccessCriteriaMet", "reason": "CompletionsReached"},
                    {**condition, "type": "Complete", "reason": "CompletionsReached"},
                ],
                "succeeded": 1,
                "active": 0,
                "ready": 0,
                "terminating": 0,
                "completionTime": now,
            }
        },
        _content_type="application/merge-patch+json",
    )
    run = _sync(app, engine, run_id)
    assert run.state == "succeeded"
    assert (
        run.launcher_detail == f"Job complete at {now.replace('Z', '+00:00')}: 1 pod(s) succeeded"
    )


def test_cancel_deletes_the_job_in_the_foreground_and_the_run_is_cancelled(
    cluster: Cluster,
    training_namespace: str,
    engine: sa.Engine,
    policy_engine: Any,
    people: dict[str, Any],
) -> None:
    run_id, _ = approved_run(engine, policy_engine, COMMAND)
    reference = _launch(people, run_id)["launcher_ref"]
    job = _started_job(cluster, training_namespace, run_id)
    selector = f"batch.kubernetes.io/job-name={job.metadata.name}"
    eventually(
        lambda: cluster.core.list_namespaced_pod(training_namespace, label_selector=selector).items,
        what="the training pod",
    )
    skipped = people["engineer"].post(
        f"/api/v1/runs/{run_id}/transitions", json={"to": "cancelled"}
    )
    assert skipped.status_code == 409

    response = people["engineer"].post(
        f"/api/v1/runs/{run_id}/cancel", json={"reason": "dataset withdrawn"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["state"] == "cancelled"
    assert response.get_json()["launcher_detail"] == (
        f"Job {reference} deleted (foreground: its pods are removed first)"
    )

    def job_state() -> str:
        try:
            found = cluster.batch.read_namespaced_job(job.metadata.name, training_namespace)
        except ApiException as error:
            assert error.status == 404
            return "gone"
        assert found.metadata.deletion_timestamp is not None
        assert "foregroundDeletion" in (found.metadata.finalizers or [])
        return "terminating"

    assert job_state() in ("terminating", "gone")
    eventually(lambda: job_state() == "gone", what="the garbage collector to finish the deletion")
    assert cluster.core.list_namespaced_pod(training_namespace, label_selector=selector).items == []
    again = people["engineer"].post(f"/api/v1/runs/{run_id}/cancel", json={})
    assert again.status_code == 409


def test_scheduled_sync_reports_each_run_and_keeps_going(
    app: Any,
    cluster: Cluster,
    training_namespace: str,
    engine: sa.Engine,
    policy_engine: Any,
    people: dict[str, Any],
) -> None:
    first, _ = approved_run(engine, policy_engine, COMMAND, name="first")
    second, _ = approved_run(engine, policy_engine, COMMAND, name="second", max_hours=1 / 3600)
    _launch(people, first)
    _launch(people, second)
    (job,) = jobs_of_run(cluster, training_namespace, first)
    cluster.batch.delete_namespaced_job(job.metadata.name, training_namespace)

    def report() -> dict[str, Any] | None:
        with app.app_context(), session_scope(engine) as session:
            outcome = sync_running_runs(session=session, launcher=current_launcher())
        return outcome if outcome["runs"].get(str(second)) == "failed" else None

    outcome = eventually(report, what="the sync to see the deadline")
    assert outcome["errors"] == {}
    assert run_state(engine, first).state == "failed"
    assert "no longer exists" in (run_state(engine, first).launcher_detail or "") or (
        "being deleted" in (run_state(engine, first).launcher_detail or "")
    )
