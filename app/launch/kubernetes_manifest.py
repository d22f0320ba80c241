"""The ``batch/v1`` Job an allowed launch becomes, as a pure function of the launch.

The Job's name comes from the Gatehouse instance id and the run id, so a second launch of
the same run finds the Job already there, and a second Gatehouse database pointed at the
same namespace never finds this one. The Job carries what the approval was given for: GPU
count, a deadline from the approved maximum hours, no retries beyond the configured
back-off; and, as labels and annotations, whose Job it is (instance, run, decision,
evidence digest) so the launcher can tell its own Job from a stranger's and a cluster
operator can trace a pod back to its evidence.

What the pod runs (image, command, arguments, resources beyond the GPUs, extra
environment) comes from the training recipe the run's platform, hosting and method
choose (``jobs/recipes``, :mod:`app.launch.recipes`); the run's own command, if any,
replaces the recipe's.

The pod passes the Pod Security ``restricted`` profile: non-root, no privilege
escalation, every capability dropped, the runtime's default seccomp profile; and beyond
it a read-only root file system (scratch space on an ``emptyDir`` at ``/tmp``) and no
service-account token, since training needs no Kubernetes API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import client

from app.launch.errors import LauncherError
from app.launch.launcher import LaunchSpec
from app.launch.recipes import Recipe, recipe_for

__all__ = [
    "LABEL_PREFIX",
    "OWNERSHIP_ANNOTATIONS",
    "OWNERSHIP_LABELS",
    "KubernetesOptions",
    "job_manifest",
    "job_name",
    "ownership",
]

LABEL_PREFIX = "gatehouse.dev"
#: Labels that say whose Job it is; all must match before an existing Job counts as ours.
OWNERSHIP_LABELS = (
    f"{LABEL_PREFIX}/instance-id",
    f"{LABEL_PREFIX}/run-id",
    f"{LABEL_PREFIX}/decision-id",
)
#: The evidence digest is 64 hex characters, over the 63 a label value may hold.
OWNERSHIP_ANNOTATIONS = (f"{LABEL_PREFIX}/evidence-sha256",)
#: Label of the Kueue queue a Job is submitted to (Kueue admits suspended Jobs).
KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
#: The extended resource GPUs are requested by (NVIDIA device plugin).
GPU_RESOURCE = "nvidia.com/gpu"


def _default_tolerations() -> tuple[dict[str, str], ...]:
    return ({"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"},)


@dataclass(frozen=True)
class KubernetesOptions:
    """Where and how training Jobs run."""

    #: Namespace the Jobs are created in (it should enforce Pod Security ``restricted``).
    namespace: str = "gatehouse-training"
    #: Container image of every training Job, overriding the recipes' images.
    image: str = ""
    #: Node labels of the GPU pool (applied to runs that ask for GPUs).
    node_selector: dict[str, str] = field(
        default_factory=lambda: {"nvidia.com/gpu.present": "true"}
    )
    #: Tolerations of the GPU pool's taints (applied to runs that ask for GPUs).
    tolerations: tuple[dict[str, str], ...] = field(default_factory=_default_tolerations)
    #: PriorityClass of training pods; None leaves the cluster default.
    priority_class: str | None = None
    #: Kueue LocalQueue to submit to; None creates the Job unsuspended, outside Kueue.
    queue_name: str | None = None
    #: Retries of a failed pod before the Job fails.
    backoff_limit: int = 0
    #: Seconds a finished Job is kept before Kubernetes deletes it.
    ttl_seconds_after_finished: int = 7 * 24 * 3600
    #: Service account of the training pods (its token is never mounted).
    service_account: str | None = None
    #: Training recipes (``jobs/recipes``); empty: ``image`` and the run's command only.
    recipes: tuple[Recipe, ...] = ()
    #: Kubeconfig file to reach the cluster with; None: in-cluster credentials when running
    #: in a pod, else ``$KUBECONFIG`` or ``~/.kube/config``.
    kubeconfig: Path | None = None


def job_name(instance_id: str, run_id: int) -> str:
    """The Job's name: deterministic per instance and run, a valid DNS-1123 label."""
    return f"gatehouse-{instance_id}-run-{run_id}"


def ownership(spec: LaunchSpec) -> dict[str, str]:
    """The labels and annotations (by key) that make a Job this launch's own."""
    return {
        f"{LABEL_PREFIX}/instance-id": spec.instance_id,
        f"{LABEL_PREFIX}/run-id": str(spec.run_id),
        f"{LABEL_PREFIX}/decision-id": str(spec.decision_id),
        f"{LABEL_PREFIX}/evidence-sha256": spec.evidence_sha256,
    }


def _recipe(spec: LaunchSpec, options: KubernetesOptions) -> Recipe | None:
    if not options.recipes:
        return None
    return recipe_for(
        options.recipes, platform=spec.platform, hosting=spec.hosting, method=spec.method
    )


def _container(
    spec: LaunchSpec, options: KubernetesOptions, recipe: Recipe | None
) -> client.V1Container:
    fields: dict[str, Any] = dict(recipe.container) if recipe else {}
    image = options.image or fields.get("image")
    if not image:
        raise LauncherError("no training image configured (GATEHOUSE_TRAINING_IMAGE)")
    gpus = {GPU_RESOURCE: str(spec.gpu_count)} if spec.gpu_count else {}
    resources = fields.get("resources") or {}
    # Extended resources need requests equal to limits; quotas count the requests.
    requests = {**resources.get("requests", {}), **gpus}
    limits = {**resources.get("limits", {}), **gpus}
    hashes = json.dumps(spec.dataset_hashes, sort_keys=True)
    identity = {
        "GATEHOUSE_RUN_ID": str(spec.run_id),
        "GATEHOUSE_DECISION_ID": str(spec.decision_id),
        "GATEHOUSE_DATASET_HASHES": hashes,
        "GATEHOUSE_BASE_MODEL": spec.base_model,
        "GATEHOUSE_METHOD": spec.method,
    }
    # The run's own command replaces the recipe's command and arguments.
    command = list(spec.command) or fields.get("command")
    return client.V1Container(
        name="train",
        image=image,
        command=command or None,
        args=None if spec.command else fields.get("args"),
        working_dir=fields.get("workingDir"),
        env=[client.V1EnvVar(name=k, value=v) for k, v in identity.items()]
        + (recipe.env() if recipe else []),
        resources=client.V1ResourceRequirements(limits=limits or None, requests=requests or None),
        security_context=client.V1SecurityContext(
            allow_privilege_escalation=False,
            capabilities=client.V1Capabilities(drop=["ALL"]),
            read_only_root_filesystem=True,
            run_as_non_root=True,
        ),
        volume_mounts=[client.V1VolumeMount(name="scratch", mount_path="/tmp")],
    )


def _toleration(entry: dict[str, str]) -> client.V1Toleration:
    return client.V1Toleration(
        key=entry.get("key"),
        operator=entry.get("operator"),
        value=entry.get("value"),
        effect=entry.get("effect"),
    )


def job_manifest(spec: LaunchSpec, options: KubernetesOptions) -> client.V1Job:
    """The ``batch/v1`` Job for an allowed launch."""
    recipe = _recipe(spec, options)
    owner = ownership(spec)
    labels = {"app.kubernetes.io/managed-by": "gatehouse"} | {
        key: owner[key] for key in OWNERSHIP_LABELS
    }
    job_labels = labels | ({KUEUE_QUEUE_LABEL: options.queue_name} if options.queue_name else {})
    annotations: dict[str, Any] = (
        {key: owner[key] for key in OWNERSHIP_ANNOTATIONS}
        | {
            f"{LABEL_PREFIX}/dataset-hashes": json.dumps(spec.dataset_hashes, sort_keys=True),
            f"{LABEL_PREFIX}/base-model": spec.base_model,
            f"{LABEL_PREFIX}/method": spec.method,
        }
        | ({f"{LABEL_PREFIX}/recipe": recipe.name} if recipe else {})
    )
    on_gpus = spec.gpu_count > 0
    pod = client.V1PodSpec(
        restart_policy="Never",
        containers=[_container(spec, options, recipe)],
        volumes=[client.V1Volume(name="scratch", empty_dir=client.V1EmptyDirVolumeSource())],
        node_selector=dict(options.node_selector) if on_gpus and options.node_selector else None,
        tolerations=[_toleration(t) for t in options.tolerations] if on_gpus else None,
        priority_class_name=options.priority_class,
        service_account_name=options.service_account,
        automount_service_account_token=False,
        security_context=client.V1PodSecurityContext(
            run_as_non_root=True,
            run_as_user=1000,
            run_as_group=1000,
            fs_group=1000,
            seccomp_profile=client.V1SeccompProfile(type="RuntimeDefault"),
        ),
    )
    return client.V1Job(
        api_version="batch/v1",
        kind="Job",
        metadata=client.V1ObjectMeta(
            name=job_name(spec.instance_id, spec.run_id),
            namespace=options.namespace,
            labels=job_labels,
            annotations=annotations,
        ),
        spec=client.V1JobSpec(
            backoff_limit=options.backoff_limit,
            active_deadline_seconds=max(1, int(spec.max_hours * 3600)),
            ttl_seconds_after_finished=options.ttl_seconds_after_finished,
            # Kueue starts a queued Job by unsuspending it once its quota admits it.
            suspend=True if options.queue_name else None,
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels), spec=pod
            ),
        ),
    )
