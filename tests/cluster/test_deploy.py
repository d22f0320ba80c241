"""deploy/ on a real API server: every manifest admitted, and RBAC that is exactly enough.

The manifests are applied with a server-side dry-run into namespaces of the test's own
(the real names, ``gatehouse`` and ``gatehouse-training``, may exist on a shared
cluster); only the service account, Role and RoleBinding are created for real, to ask
the authorizer about them and to run the launcher as that service account.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.dynamic import DynamicClient

from app.config import PROJECT_ROOT
from app.launch.errors import LauncherError
from app.launch.kubernetes import KubernetesLauncher
from app.launch.kubernetes_manifest import KubernetesOptions
from app.launch.launcher import LaunchSpec
from tests.cluster.conftest import TRAINING_IMAGE, Cluster, bearer_client, eventually

pytestmark = pytest.mark.cluster

BASE = PROJECT_ROOT / "deploy" / "base"
APP_NAMESPACE, TRAINING_NAMESPACE = "gatehouse", "gatehouse-training"


def rendered_base() -> list[dict[str, Any]]:
    """The base as ``kubectl apply -k`` sends it: its resources, in order, unchanged."""
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    assert set(kustomization) == {"apiVersion", "kind", "resources"}, (
        "the base lists resources only, so this rendering is exact"
    )
    documents: list[dict[str, Any]] = []
    for name in kustomization["resources"]:
        documents += [doc for doc in yaml.safe_load_all((BASE / name).read_text()) if doc]
    return documents


def relocated(documents: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """The manifests with the two namespaces renamed to ``names``' values."""
    moved = copy.deepcopy(documents)
    for document in moved:
        metadata = document["metadata"]
        if document["kind"] == "Namespace":
            metadata["name"] = names[metadata["name"]]
        else:
            metadata["namespace"] = names[metadata["namespace"]]
        for subject in document.get("subjects", []):
            subject["namespace"] = names[subject["namespace"]]
        data = document.get("data", {})
        if "GATEHOUSE_KUBERNETES_NAMESPACE" in data:
            data["GATEHOUSE_KUBERNETES_NAMESPACE"] = names[data["GATEHOUSE_KUBERNETES_NAMESPACE"]]
    return moved


@dataclass(frozen=True)
class Deployed:
    """The base relocated into two fresh namespaces, its RBAC objects created for real."""

    app_namespace: str
    training_namespace: str
    documents: list[dict[str, Any]]

    @property
    def user(self) -> str:
        """Gatehouse's service account, as the authorizer names it."""
        return f"system:serviceaccount:{self.app_namespace}:gatehouse"

    def role(self) -> dict[str, Any]:
        """The launcher Role as deployed."""
        return next(d for d in self.documents if d["kind"] == "Role")


@pytest.fixture
def deployed(cluster: Cluster, namespace_factory: Callable[..., str]) -> Deployed:
    names = {APP_NAMESPACE: namespace_factory(), TRAINING_NAMESPACE: namespace_factory()}
    documents = relocated(rendered_base(), names)
    dynamic = DynamicClient(cluster.api)
    for document in documents:
        if document["kind"] in ("ServiceAccount", "Role", "RoleBinding"):
            resource = dynamic.resources.get(
                api_version=document["apiVersion"], kind=document["kind"]
            )
            dynamic.create(resource, body=document, namespace=document["metadata"]["namespace"])
    return Deployed(names[APP_NAMESPACE], names[TRAINING_NAMESPACE], documents)


def test_every_manifest_is_accepted_by_a_server_side_dry_run(
    cluster: Cluster, deployed: Deployed
) -> None:
    dynamic = DynamicClient(cluster.api)
    kinds = []
    for document in deployed.documents:
        resource = dynamic.resources.get(api_version=document["apiVersion"], kind=document["kind"])
        answer = dynamic.server_side_apply(
            resource,
            body=document,
            name=document["metadata"]["name"],
            namespace=document["metadata"].get("namespace"),
            field_manager="gatehouse-tests",
            force_conflicts=True,
            dry_run="All",
        )
        assert answer.metadata.name == document["metadata"]["name"]
        kinds.append(document["kind"])
    assert {"Deployment", "Service", "Role", "RoleBinding", "NetworkPolicy"} <= set(kinds)
    assert kinds.count("Deployment") == 2


def test_every_pod_template_passes_pod_security_restricted(
    cluster: Cluster, deployed: Deployed
) -> None:
    """PSA only warns about Deployments; a dry-run Pod from each template meets enforcement."""
    for document in deployed.documents:
        if document["kind"] != "Deployment":
            continue
        template = document["spec"]["template"]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": document["metadata"]["name"], **template["metadata"]},
            "spec": template["spec"],
        }
        created = cluster.core.create_namespaced_pod(deployed.app_namespace, pod, dry_run="All")
        assert created.spec.security_context.run_as_non_root is True


def _allowed(
    cluster: Cluster, user: str, verb: str, resource: str, namespace: str, group: str = ""
) -> bool:
    review = client.AuthorizationV1Api(cluster.api).create_subject_access_review(
        client.V1SubjectAccessReview(
            spec=client.V1SubjectAccessReviewSpec(
                user=user,
                groups=["system:serviceaccounts", "system:authenticated"],
                resource_attributes=client.V1ResourceAttributes(
                    verb=verb, resource=resource, group=group, namespace=namespace
                ),
            )
        )
    )
    return bool(review.status.allowed)


def test_gatehouse_may_manage_jobs_in_the_training_namespace_and_nothing_else(
    cluster: Cluster, deployed: Deployed
) -> None:
    training, own = deployed.training_namespace, deployed.app_namespace
    may = lambda verb, resource, namespace, group="": _allowed(  # noqa: E731
        cluster, deployed.user, verb, resource, namespace, group
    )
    for verb in ("create", "get", "delete"):
        assert may(verb, "jobs", training, "batch"), verb
    assert may("list", "events", training)
    for namespace in (training, own, "default", "kube-system"):
        assert not may("get", "secrets", namespace), namespace
        assert not may("list", "secrets", namespace), namespace
    for namespace in (own, "default", "kube-system"):
        assert not may("create", "jobs", namespace, "batch"), namespace
    assert not may("create", "pods", training)
    assert not may("update", "jobs", training, "batch")
    assert not may("patch", "jobs/status", training, "batch")
    assert not may("create", "rolebindings", training, "rbac.authorization.k8s.io")


def _spec(run_id: int) -> LaunchSpec:
    return LaunchSpec(
        run_id=run_id,
        run_name="rbac",
        base_model="meta-llama/Llama-3.1-8B-Instruct",
        platform="meta",
        hosting="internal",
        method="sft",
        command=("python", "-m", "trainer"),
        gpu_type=None,
        gpu_count=0,
        max_hours=1,
        dataset_hashes={},
        decision_id=run_id,
        evidence_sha256="f" * 64,
        instance_id=uuid.uuid4().hex[:10],
    )


@pytest.fixture
def as_gatehouse(cluster: Cluster, deployed: Deployed) -> Iterator[KubernetesLauncher]:
    """The launcher authenticated as the deployed service account (a TokenRequest token)."""
    token = cluster.core.create_namespaced_service_account_token(
        "gatehouse",
        deployed.app_namespace,
        client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)
        ),
    ).status.token
    api = bearer_client(cluster, token)
    yield KubernetesLauncher(
        KubernetesOptions(namespace=deployed.training_namespace, image=TRAINING_IMAGE),
        api_client=api,
    )
    api.close()


def test_the_role_is_enough_to_launch_follow_and_cancel(
    cluster: Cluster, deployed: Deployed, as_gatehouse: KubernetesLauncher
) -> None:
    spec = _spec(1)
    reference = as_gatehouse.launch(spec)
    # Launching the same launch again reads the Job back and recognises it as its own.
    assert as_gatehouse.launch(spec) == reference
    started = eventually(
        lambda: (status := as_gatehouse.status(reference)).detail.startswith("started") and status,
        what="the Job controller to start the Job",
    )
    assert started.state == "running"
    assert as_gatehouse.cancel(reference).startswith(f"Job {reference} deleted")


def _with_rules(cluster: Cluster, deployed: Deployed, rules: list[dict[str, Any]]) -> None:
    role = deployed.role()
    cluster.rbac.replace_namespaced_role(
        role["metadata"]["name"], deployed.training_namespace, {**role, "rules": rules}
    )


def _without(rules: list[dict[str, Any]], resource: str, verb: str) -> list[dict[str, Any]]:
    reduced = []
    for rule in rules:
        verbs = [v for v in rule["verbs"] if not (resource in rule["resources"] and v == verb)]
        if verbs:
            reduced.append({**rule, "verbs": verbs})
    return reduced


@pytest.mark.parametrize(
    ("resource", "verb"),
    [("jobs", "create"), ("jobs", "get"), ("jobs", "delete"), ("events", "list")],
)
def test_every_permission_of_the_role_is_needed(
    cluster: Cluster,
    deployed: Deployed,
    as_gatehouse: KubernetesLauncher,
    resource: str,
    verb: str,
) -> None:
    """Remove one verb and the operation that needs it fails with a 403 sentence."""
    training = deployed.training_namespace
    # No pod may start here, so the sync has to look at the Job's events.
    cluster.core.create_namespaced_resource_quota(
        training,
        client.V1ResourceQuota(
            metadata=client.V1ObjectMeta(name="no-pods"),
            spec=client.V1ResourceQuotaSpec(hard={"pods": "0"}),
        ),
    )
    reference = as_gatehouse.launch(_spec(2))
    _with_rules(cluster, deployed, _without(deployed.role()["rules"], resource, verb))
    group = "batch" if resource == "jobs" else ""
    eventually(
        lambda: not _allowed(cluster, deployed.user, verb, resource, training, group),
        what=f"the authorizer to see {verb} {resource} removed",
    )

    message = eventually(
        lambda: _refusal(as_gatehouse, reference, resource, verb),
        what=f"the launcher to be refused {verb} {resource}",
    )
    assert f"Gatehouse may not {verb} {'Job' if resource == 'jobs' else resource}" in message
    assert "403 Forbidden" in message and "bind the Role in deploy/" in message


def _refusal(launcher: KubernetesLauncher, reference: str, resource: str, verb: str) -> str | None:
    """Run the operation that needs ``verb`` on ``resource``; the refusal it met, if any."""
    try:
        if (resource, verb) == ("jobs", "create"):
            launcher.launch(_spec(3))
        elif (resource, verb) == ("jobs", "get"):
            launcher.status(reference)
        elif (resource, verb) == ("jobs", "delete"):
            launcher.cancel(reference)
        else:
            # Events are only read while the Job has no pod; the refusal lands in the detail.
            detail = launcher.status(reference).detail
            return detail if "events cannot be read" in detail else None
    except LauncherError as error:
        return str(error)
    pytest.fail(f"{verb} {resource} was removed from the Role and still not needed")
