"""Every training recipe, as the Job it becomes, validated by the real API server."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from kubernetes.client.exceptions import ApiException

from app.launch.kubernetes_manifest import KubernetesOptions, job_manifest
from app.launch.recipes import Recipe, load_recipes
from tests.cluster.conftest import TRAINING_IMAGE, Cluster
from tests.launch.test_recipes import RECIPES, SPEC

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize("recipe", load_recipes(RECIPES), ids=lambda recipe: recipe.name)
def test_the_job_of_each_recipe_passes_validation_and_pod_security(
    cluster: Cluster, training_namespace: str, recipe: Recipe
) -> None:
    options = KubernetesOptions(namespace=training_namespace, recipes=(recipe,))
    platform = sorted(recipe.platforms)[0]
    hosting = sorted(recipe.hosting)[0]
    method = sorted(recipe.methods)[0]
    spec = replace(
        SPEC,
        platform=platform,
        hosting=hosting,
        method=method,
        gpu_count=4 if hosting == "internal" else 0,
    )
    job = job_manifest(spec, options)
    created = cluster.batch.create_namespaced_job(training_namespace, job, dry_run="All")
    assert created.metadata.annotations["gatehouse.dev/recipe"] == recipe.name
    # Pod Security only warns about a Job; the pod it would create meets enforcement.
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": job.metadata.name},
        "spec": cluster.api.sanitize_for_serialization(job.spec.template.spec),
    }
    admitted = cluster.core.create_namespaced_pod(training_namespace, pod, dry_run="All")
    assert admitted.spec.containers[0].image == recipe.container["image"]


def test_the_training_namespace_really_enforces_pod_security_restricted(
    cluster: Cluster, training_namespace: str
) -> None:
    """The control for the admissions above: a pod without the restricted settings is refused."""
    loose = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "loose"},
        "spec": {"containers": [{"name": "train", "image": TRAINING_IMAGE}]},
    }
    with pytest.raises(ApiException) as refused:
        cluster.core.create_namespaced_pod(training_namespace, loose, dry_run="All")
    assert refused.value.status == 403
    message = json.loads(refused.value.body)["message"]
    assert 'violates PodSecurity "restricted:latest"' in message
