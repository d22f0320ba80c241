"""GPU-pool scheduling fields as the real API server keeps them, and Kueue's suspended start."""

from __future__ import annotations

import pytest

from app.launch.kubernetes import KubernetesLauncher
from app.launch.kubernetes_manifest import KubernetesOptions
from tests.cluster.conftest import TRAINING_IMAGE, Cluster, eventually
from tests.launch.test_recipes import SPEC

pytestmark = pytest.mark.cluster


def test_gpu_requests_node_selector_and_tolerations_reach_the_pod(
    cluster: Cluster, training_namespace: str
) -> None:
    launcher = KubernetesLauncher(
        KubernetesOptions(
            namespace=training_namespace, image=TRAINING_IMAGE, kubeconfig=cluster.kubeconfig
        )
    )
    name = launcher.launch(SPEC).partition("/")[2]
    (pod,) = eventually(
        lambda: (
            cluster.core.list_namespaced_pod(
                training_namespace, label_selector=f"batch.kubernetes.io/job-name={name}"
            ).items
        ),
        what="the training pod",
    )
    container = pod.spec.containers[0]
    assert container.resources.limits == {"nvidia.com/gpu": "4"}
    assert container.resources.requests == {"nvidia.com/gpu": "4"}
    assert pod.spec.node_selector == {"nvidia.com/gpu.present": "true"}
    assert any(
        toleration.key == "nvidia.com/gpu"
        and toleration.operator == "Exists"
        and toleration.effect == "NoSchedule"
        for toleration in pod.spec.tolerations
    )
    assert pod.status.phase == "Pending"  # no GPU node (and no kubelet) here


def test_a_queued_job_waits_suspended_until_kueue_admits_it(
    cluster: Cluster, training_namespace: str
) -> None:
    launcher = KubernetesLauncher(
        KubernetesOptions(
            namespace=training_namespace,
            image=TRAINING_IMAGE,
            kubeconfig=cluster.kubeconfig,
            queue_name="gpu-team-a",
        )
    )
    reference = launcher.launch(SPEC)
    namespace, _, name = reference.partition("/")
    job = cluster.batch.read_namespaced_job(name, namespace)
    assert job.spec.suspend is True
    assert job.metadata.labels["kueue.x-k8s.io/queue-name"] == "gpu-team-a"
    status = eventually(
        lambda: (found := launcher.status(reference)).detail.startswith("suspended") and found,
        what="the Job controller to mark the Job suspended",
    )
    assert status.state == "running"
    assert (
        cluster.core.list_namespaced_pod(
            namespace, label_selector=f"batch.kubernetes.io/job-name={name}"
        ).items
        == []
    )
