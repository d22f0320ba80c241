"""The Kubernetes launcher: one ``batch/v1`` Job per approved run, on the GPU node pool.

The Job's name comes from the run id, so a second launch of the same run finds the Job
already there and changes nothing. The manifest carries the limits the approval was
given for: GPU count, a deadline from the approved maximum hours, no retries beyond the
configured back-off, a non-root security context, and the dataset hashes and decision id
as labels and annotations so a cluster operator can trace a pod back to its evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from app.launch.errors import LauncherError
from app.launch.launcher import LaunchSpec, LaunchStatus

__all__ = ["KubernetesLauncher", "KubernetesOptions", "job_manifest", "job_name"]

_LABEL_PREFIX = "gatehouse.dev"


@dataclass(frozen=True)
class KubernetesOptions:
    """Where and how training Jobs run."""

    #: Namespace the Jobs are created in.
    namespace: str = "gatehouse-training"
    #: Container image holding the training code.
    image: str = ""
    #: Node labels of the GPU pool.
    node_selector: dict[str, str] = field(
        default_factory=lambda: {"nvidia.com/gpu.present": "true"}
    )
    #: Retries of a failed pod before the Job fails.
    backoff_limit: int = 0
    #: Seconds a finished Job is kept before Kubernetes deletes it.
    ttl_seconds_after_finished: int = 7 * 24 * 3600
    #: Service account of the training pods.
    service_account: str | None = None


def job_name(run_id: int) -> str:
    """The Job's name: deterministic per run, a valid DNS-1123 label."""
    return f"gatehouse-run-{run_id}"


def job_manifest(spec: LaunchSpec, options: KubernetesOptions) -> client.V1Job:
    """The ``batch/v1`` Job for an allowed launch."""
    if not options.image:
        raise LauncherError("no training image configured (GATEHOUSE_TRAINING_IMAGE)")
    labels = {
        "app.kubernetes.io/managed-by": "gatehouse",
        f"{_LABEL_PREFIX}/run-id": str(spec.run_id),
        f"{_LABEL_PREFIX}/decision-id": str(spec.decision_id),
    }
    limits = {"nvidia.com/gpu": str(spec.gpu_count)} if spec.gpu_count else {}
    tolerations = (
        [client.V1Toleration(key="nvidia.com/gpu", operator="Exists", effect="NoSchedule")]
        if spec.gpu_count
        else None
    )
    environment = [
        client.V1EnvVar(name="GATEHOUSE_RUN_ID", value=str(spec.run_id)),
        client.V1EnvVar(name="GATEHOUSE_DECISION_ID", value=str(spec.decision_id)),
        client.V1EnvVar(
            name="GATEHOUSE_DATASET_HASHES", value=json.dumps(spec.dataset_hashes, sort_keys=True)
        ),
    ]
    container = client.V1Container(
        name="train",
        image=options.image,
        command=list(spec.command) or None,
        env=environment,
        resources=client.V1ResourceRequirements(limits=limits or None, requests=limits or None),
        security_context=client.V1SecurityContext(
            allow_privilege_escalation=False,
            capabilities=client.V1Capabilities(drop=["ALL"]),
        ),
    )
    pod = client.V1PodSpec(
        restart_policy="Never",
        containers=[container],
        node_selector=options.node_selector if spec.gpu_count else None,
        tolerations=tolerations,
        service_account_name=options.service_account,
        security_context=client.V1PodSecurityContext(
            run_as_non_root=True,
            run_as_user=1000,
            seccomp_profile=client.V1SeccompProfile(type="RuntimeDefault"),
        ),
    )
    return client.V1Job(
        api_version="batch/v1",
        kind="Job",
        metadata=client.V1ObjectMeta(
            name=job_name(spec.run_id),
            namespace=options.namespace,
            labels=labels,
            annotations={
                f"{_LABEL_PREFIX}/dataset-hashes": json.dumps(spec.dataset_hashes, sort_keys=True),
                f"{_LABEL_PREFIX}/base-model": spec.base_model,
                f"{_LABEL_PREFIX}/method": spec.method,
            },
        ),
        spec=client.V1JobSpec(
            backoff_limit=options.backoff_limit,
            active_deadline_seconds=max(1, int(spec.max_hours * 3600)),
            ttl_seconds_after_finished=options.ttl_seconds_after_finished,
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels), spec=pod
            ),
        ),
    )


class KubernetesLauncher:
    """Creates and reads training Jobs through the official client."""

    kind = "kubernetes"

    def __init__(self, options: KubernetesOptions, api: Any | None = None) -> None:
        self.options = options
        self._api = api

    def _batch(self) -> Any:
        if self._api is None:
            from kubernetes import config

            try:
                config.load_incluster_config()
            except config.ConfigException:
                config.load_kube_config()
            self._api = client.BatchV1Api()
        return self._api

    def launch(self, spec: LaunchSpec) -> str:
        """Create the Job; an existing Job of the same run is left as it is."""
        manifest = job_manifest(spec, self.options)
        reference = f"{self.options.namespace}/{job_name(spec.run_id)}"
        try:
            self._batch().create_namespaced_job(namespace=self.options.namespace, body=manifest)
        except ApiException as error:
            if error.status == 409:
                return reference
            raise LauncherError(
                f"Kubernetes refused Job {reference}: {error.status} {error.reason}"
            ) from error
        except Exception as error:  # connection, configuration: the launch fails closed
            raise LauncherError(
                f"cannot reach Kubernetes to create Job {reference}: {type(error).__name__}"
            ) from error
        return reference

    def status(self, reference: str) -> LaunchStatus:
        """Succeeded, failed (with the reason Kubernetes gives) or running."""
        namespace, _, name = reference.partition("/")
        try:
            job = self._batch().read_namespaced_job_status(name=name, namespace=namespace)
        except ApiException as error:
            if error.status == 404:
                return LaunchStatus("failed", f"Job {reference} no longer exists")
            raise LauncherError(
                f"cannot read Job {reference}: {error.status} {error.reason}"
            ) from error
        status = job.status
        for condition in status.conditions or []:
            if condition.type == "Complete" and condition.status == "True":
                return LaunchStatus("succeeded", "Job complete")
            if condition.type == "Failed" and condition.status == "True":
                return LaunchStatus(
                    "failed", f"{condition.reason}: {condition.message or ''}".strip(": ")
                )
        return LaunchStatus("running", f"{status.active or 0} active pod(s)")
