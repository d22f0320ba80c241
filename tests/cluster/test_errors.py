"""The API server's refusals come back as sentences on the run that say what to do."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from kubernetes import client

from app.db import session_scope
from app.launch.kubernetes import KubernetesLauncher
from app.launch.kubernetes_manifest import KubernetesOptions
from app.launch.service import launch_run, sync_run
from tests.cluster.conftest import (
    TRAINING_IMAGE,
    Cluster,
    client_as_service_account,
    eventually,
    jobs_of_run,
    timed_launch,
)
from tests.launch.runs import approved_run, run_state

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("people")]

COMMAND = ["python", "-m", "trainer"]


def _launch_with(engine: sa.Engine, policy_engine: Any, launcher: Any, run_id: int) -> Any:
    with session_scope(engine) as session:
        return timed_launch(
            lambda: launch_run(
                session=session, engine=policy_engine, launcher=launcher, run_id=run_id, actor="eli"
            )
        )


def _launcher(cluster: Cluster, namespace: str, **options: Any) -> KubernetesLauncher:
    return KubernetesLauncher(
        KubernetesOptions(
            namespace=namespace, image=TRAINING_IMAGE, kubeconfig=cluster.kubeconfig, **options
        )
    )


def test_a_missing_namespace_says_what_to_create(
    cluster: Cluster, engine: sa.Engine, policy_engine: Any
) -> None:
    run_id, _ = approved_run(engine, policy_engine, COMMAND)
    missing = "gatehouse-test-never-created"
    outcome = _launch_with(engine, policy_engine, _launcher(cluster, missing), run_id)
    assert outcome.refusal is not None
    assert (
        f"namespace '{missing}' does not exist: create it (kubectl create namespace {missing};"
        in outcome.refusal
    )
    assert "pod-security.kubernetes.io/enforce=restricted" in outcome.refusal
    run = run_state(engine, run_id)
    assert run.state == "failed" and run.launcher_detail == outcome.refusal


def test_rbac_forbidden_says_which_permission_is_missing(
    cluster: Cluster, training_namespace: str, engine: sa.Engine, policy_engine: Any
) -> None:
    run_id, _ = approved_run(engine, policy_engine, COMMAND)
    powerless = client_as_service_account(cluster, training_namespace, "powerless", rules=[])
    launcher = KubernetesLauncher(
        KubernetesOptions(namespace=training_namespace, image=TRAINING_IMAGE), api_client=powerless
    )
    outcome = _launch_with(engine, policy_engine, launcher, run_id)
    assert outcome.refusal is not None
    assert f"Gatehouse may not create Job in namespace '{training_namespace}'" in outcome.refusal
    assert f'"system:serviceaccount:{training_namespace}:powerless" cannot create' in (
        outcome.refusal
    )
    assert "bind the Role in deploy/" in outcome.refusal
    assert run_state(engine, run_id).state == "failed"
    assert jobs_of_run(cluster, training_namespace, run_id) == []


def test_a_gpu_quota_that_blocks_the_pod_is_shown_on_the_running_run(
    app: Any, cluster: Cluster, training_namespace: str, engine: sa.Engine, policy_engine: Any
) -> None:
    cluster.core.create_namespaced_resource_quota(
        training_namespace,
        client.V1ResourceQuota(
            metadata=client.V1ObjectMeta(name="gpus"),
            spec=client.V1ResourceQuotaSpec(hard={"requests.nvidia.com/gpu": "1"}),
        ),
    )
    run_id, _ = approved_run(engine, policy_engine, COMMAND, gpu_count=2)
    launcher = _launcher(cluster, training_namespace)
    assert _launch_with(engine, policy_engine, launcher, run_id).refusal is None

    def blocked() -> str | None:
        with session_scope(engine) as session:
            run = sync_run(session=session, launcher=launcher, run_id=run_id)
        return run.launcher_detail if "exceeded quota" in (run.launcher_detail or "") else None

    detail = eventually(blocked, what="the quota refusal of the training pod")
    assert "no pod can be created" in detail and "requests.nvidia.com/gpu=2" in detail
    assert run_state(engine, run_id).state == "running"


def test_a_job_quota_refuses_the_launch_itself(
    cluster: Cluster, training_namespace: str, engine: sa.Engine, policy_engine: Any
) -> None:
    cluster.core.create_namespaced_resource_quota(
        training_namespace,
        client.V1ResourceQuota(
            metadata=client.V1ObjectMeta(name="no-jobs"),
            spec=client.V1ResourceQuotaSpec(hard={"count/jobs.batch": "0"}),
        ),
    )
    run_id, _ = approved_run(engine, policy_engine, COMMAND)
    launcher = _launcher(cluster, training_namespace)
    # The quota controller must have computed the quota's usage before it admits anything.
    eventually(
        lambda: (
            cluster.core.read_namespaced_resource_quota("no-jobs", training_namespace).status.used
            is not None
        ),
        what="the quota's usage to be computed",
    )
    outcome = _launch_with(engine, policy_engine, launcher, run_id)
    assert outcome.refusal is not None
    assert f"quota exceeded in namespace '{training_namespace}'" in outcome.refusal
    assert "count/jobs.batch" in outcome.refusal


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"priority_class": "Not A Valid Name"}, "spec.template.spec.priorityClassName"),
        ({"node_selector": {"bad key!": "x"}}, "spec.template.spec.nodeSelector"),
    ],
)
def test_an_invalid_spec_names_the_field(
    cluster: Cluster,
    training_namespace: str,
    engine: sa.Engine,
    policy_engine: Any,
    options: dict[str, Any],
    field: str,
) -> None:
    run_id, _ = approved_run(engine, policy_engine, COMMAND)
    outcome = _launch_with(
        engine, policy_engine, _launcher(cluster, training_namespace, **options), run_id
    )
    assert outcome.refusal is not None
    assert "Kubernetes rejected the Job as invalid: " in outcome.refusal
    assert field in outcome.refusal
    assert run_state(engine, run_id).state == "failed"


def test_sync_without_permission_keeps_the_run_and_says_why(
    cluster: Cluster,
    training_namespace: str,
    engine: sa.Engine,
    policy_engine: Any,
) -> None:
    run_id, _ = approved_run(engine, policy_engine, COMMAND)
    create_only = client_as_service_account(
        cluster,
        training_namespace,
        "create-only",
        rules=[client.V1PolicyRule(api_groups=["batch"], resources=["jobs"], verbs=["create"])],
    )
    launcher = KubernetesLauncher(
        KubernetesOptions(namespace=training_namespace, image=TRAINING_IMAGE),
        api_client=create_only,
    )
    assert _launch_with(engine, policy_engine, launcher, run_id).refusal is None
    with session_scope(engine) as session:
        run = sync_run(session=session, launcher=launcher, run_id=run_id)
    assert run.state == "running"
    assert run.launcher_detail.startswith("status sync failed: cannot read Job ")
    assert "Gatehouse may not get Job" in run.launcher_detail
