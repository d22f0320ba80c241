"""Training recipes in jobs/recipes: well-formed, chosen by the run, unable to loosen the Job."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path
from typing import get_args

import pytest

from app.config import PROJECT_ROOT
from app.launch.errors import LauncherError
from app.launch.kubernetes_manifest import KubernetesOptions, job_manifest
from app.launch.launcher import LaunchSpec
from app.launch.recipes import CONTAINER_FIELDS, load_recipes, recipe_for
from app.registry.schemas import Method

RECIPES = PROJECT_ROOT / "jobs" / "recipes"

SPEC = LaunchSpec(
    run_id=7,
    run_name="support-llama",
    base_model="meta-llama/Llama-3.1-8B-Instruct",
    platform="meta",
    hosting="internal",
    method="lora",
    command=(),
    gpu_type="nvidia-h100-80gb",
    gpu_count=4,
    max_hours=12,
    dataset_hashes={"faq@3": "ab" * 32},
    decision_id=11,
    evidence_sha256="cd" * 32,
    instance_id="0123456789",
)


def test_every_shipped_recipe_loads_and_sets_only_what_a_recipe_may() -> None:
    recipes = load_recipes(RECIPES)
    assert len(recipes) == len(list(RECIPES.glob("*.yaml"))) >= 5
    for recipe in recipes:
        assert set(recipe.container) <= CONTAINER_FIELDS and recipe.container["image"]
        assert recipe.description


def test_every_open_weights_method_and_every_vendor_has_a_recipe() -> None:
    recipes = load_recipes(RECIPES)
    for platform, method in itertools.product(("meta", "self_hosted"), get_args(Method)):
        recipe_for(recipes, platform=platform, hosting="internal", method=method)
    for platform in ("openai", "google", "anthropic"):
        assert recipe_for(
            recipes, platform=platform, hosting="external", method="sft"
        ).name.startswith(
            {"openai": "openai", "google": "gemini", "anthropic": "anthropic"}[platform]
        )
    with pytest.raises(LauncherError, match="no training recipe applies to platform 'google'"):
        recipe_for(recipes, platform="google", hosting="internal", method="sft")


def test_the_run_chooses_the_recipe_and_the_launcher_keeps_the_job_governed() -> None:
    options = KubernetesOptions(recipes=load_recipes(RECIPES))
    job = job_manifest(SPEC, options).to_dict()
    assert job["metadata"]["annotations"]["gatehouse.dev/recipe"] == "llama-lora-sft"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "trainer.example/open-weights-finetune:2026.11"
    assert container["command"] == ["python", "-m", "trainer.sft"]
    assert "--base-model=$(GATEHOUSE_BASE_MODEL)" in container["args"]
    env = {variable["name"]: variable["value"] for variable in container["env"]}
    assert env["GATEHOUSE_BASE_MODEL"] == SPEC.base_model and env["GATEHOUSE_METHOD"] == "lora"
    assert container["resources"]["limits"] == {"memory": "96Gi", "nvidia.com/gpu": "4"}
    assert container["resources"]["requests"]["nvidia.com/gpu"] == "4"
    assert container["security_context"]["read_only_root_filesystem"] is True

    own_command = job_manifest(replace(SPEC, command=("python", "my_train.py")), options)
    mine = own_command.to_dict()["spec"]["template"]["spec"]["containers"][0]
    assert mine["command"] == ["python", "my_train.py"] and mine["args"] is None
    assert mine["image"] == container["image"]

    one_image = job_manifest(SPEC, replace(options, image="registry.internal/trainer:9"))
    assert one_image.spec.template.spec.containers[0].image == "registry.internal/trainer:9"


def test_a_vendor_client_recipe_takes_its_key_from_a_secret_and_no_gpu() -> None:
    options = KubernetesOptions(recipes=load_recipes(RECIPES))
    spec = replace(SPEC, platform="openai", hosting="external", method="sft", gpu_count=0)
    pod = job_manifest(spec, options).to_dict()["spec"]["template"]["spec"]
    key = next(v for v in pod["containers"][0]["env"] if v["name"] == "OPENAI_API_KEY")
    assert key["value_from"]["secret_key_ref"] == {
        "name": "openai-fine-tuning",
        "key": "api-key",
        "optional": None,
    }
    assert "nvidia.com/gpu" not in pod["containers"][0]["resources"]["limits"]
    assert pod["node_selector"] is None and pod["tolerations"] is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: other\n", "needs exactly the keys"),
        (
            "name: bad\ndescription: x\napplies_to: {platforms: [meta], hosting: [internal], "
            "methods: [sft]}\ncontainer: {image: i, securityContext: {privileged: true}}\n",
            "['securityContext'] belong to the launcher",
        ),
        (
            "name: bad\ndescription: x\napplies_to: {platforms: [meta], hosting: [internal], "
            "methods: [sft]}\ncontainer: {image: i, resources: {limits: {nvidia.com/gpu: 8}}}\n",
            "the GPU count is the approved run's",
        ),
        (
            "name: other\ndescription: x\napplies_to: {platforms: [meta], hosting: [internal], "
            "methods: [sft]}\ncontainer: {image: i}\n",
            "differs from the file name 'bad'",
        ),
        ("name: [unclosed\n", "is not valid YAML"),
    ],
)
def test_a_malformed_recipe_is_refused_with_its_file_name(
    tmp_path: Path, text: str, problem: str
) -> None:
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(LauncherError) as refused:
        load_recipes(tmp_path)
    assert str(tmp_path / "bad.yaml") in str(refused.value) and problem in str(refused.value)
