"""Training recipes: the container a run trains in, kept as data in ``jobs/recipes/``.

A recipe names an image, a command and arguments, resources beyond the GPUs and extra
environment, for the runs it ``applies_to`` (platforms, hosting, methods). Everything
that governs the Job (security context, GPU count, deadline, identity labels) stays with
the launcher, so a recipe cannot loosen what an approval allowed. Recipes are read once
when the launcher is built; a malformed file stops it with the file's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from app.launch.errors import LauncherError

__all__ = ["CONTAINER_FIELDS", "Recipe", "load_recipes", "recipe_for"]

#: The Container fields a recipe may set; the launcher owns every other field.
CONTAINER_FIELDS = frozenset({"image", "command", "args", "workingDir", "env", "resources"})
_TOP_LEVEL = frozenset({"name", "description", "applies_to", "container"})
_MATCH_KEYS = frozenset({"platforms", "hosting", "methods"})


@dataclass(frozen=True)
class Recipe:
    """One training recipe, as read from its YAML file."""

    #: The recipe's name (also the Job's ``gatehouse.dev/recipe`` annotation).
    name: str
    #: What it trains and where, for people.
    description: str
    #: Platforms, hosting kinds and methods it applies to.
    platforms: frozenset[str]
    hosting: frozenset[str]
    methods: frozenset[str]
    #: The Kubernetes Container fields it sets (camelCase, as in a manifest).
    container: Mapping[str, Any]
    #: The file it came from.
    source: Path

    def applies_to(self, *, platform: str, hosting: str, method: str) -> bool:
        """True when a run of this platform, hosting and method trains with this recipe."""
        return platform in self.platforms and hosting in self.hosting and method in self.methods

    def env(self) -> list[client.V1EnvVar]:
        """The recipe's extra environment (values, or keys of Secrets)."""
        variables = []
        for entry in self.container.get("env", []):
            secret = (entry.get("valueFrom") or {}).get("secretKeyRef")
            source = (
                client.V1EnvVarSource(
                    secret_key_ref=client.V1SecretKeySelector(
                        name=secret["name"], key=secret["key"]
                    )
                )
                if secret
                else None
            )
            variables.append(
                client.V1EnvVar(name=entry["name"], value=entry.get("value"), value_from=source)
            )
        return variables


def _problem(path: Path, document: Any) -> str | None:
    """What is wrong with a recipe document, or None."""
    if not isinstance(document, dict):
        return "not a mapping"
    unknown = set(document) - _TOP_LEVEL
    if unknown or set(document) != _TOP_LEVEL:
        return f"needs exactly the keys {sorted(_TOP_LEVEL)} (has {sorted(document)})"
    if document["name"] != path.stem:
        return f"name '{document['name']}' differs from the file name '{path.stem}'"
    match = document["applies_to"]
    if not isinstance(match, dict) or set(match) != _MATCH_KEYS:
        return f"applies_to needs exactly {sorted(_MATCH_KEYS)}"
    if not all(
        isinstance(v, list) and v and all(isinstance(i, str) for i in v) for v in match.values()
    ):
        return "applies_to values must be non-empty lists of names"
    container = document["container"]
    if not isinstance(container, dict) or not container.get("image"):
        return "container needs an image"
    if set(container) - CONTAINER_FIELDS:
        return (
            f"container may only set {sorted(CONTAINER_FIELDS)}; "
            f"{sorted(set(container) - CONTAINER_FIELDS)} belong to the launcher"
        )
    for kind in ("requests", "limits"):
        if "nvidia.com/gpu" in (container.get("resources") or {}).get(kind, {}):
            return "resources may not name nvidia.com/gpu: the GPU count is the approved run's"
    for entry in container.get("env", []):
        if not isinstance(entry, dict) or not entry.get("name"):
            return "every env entry needs a name"
        if "valueFrom" in entry and set(entry["valueFrom"]) != {"secretKeyRef"}:
            return f"env {entry['name']} may only come from a secretKeyRef"
    return None


def load_recipes(folder: Path) -> tuple[Recipe, ...]:
    """Every ``*.yaml`` recipe in ``folder``, in file-name order."""
    recipes = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            document = yaml.safe_load(path.read_text())
        except yaml.YAMLError as error:
            raise LauncherError(f"training recipe {path} is not valid YAML: {error}") from error
        problem = _problem(path, document)
        if problem:
            raise LauncherError(f"training recipe {path}: {problem}")
        match = document["applies_to"]
        recipes.append(
            Recipe(
                name=document["name"],
                description=str(document["description"]).strip(),
                platforms=frozenset(match["platforms"]),
                hosting=frozenset(match["hosting"]),
                methods=frozenset(match["methods"]),
                container=document["container"],
                source=path,
            )
        )
    return tuple(recipes)


def recipe_for(recipes: Iterable[Recipe], *, platform: str, hosting: str, method: str) -> Recipe:
    """The first recipe that applies to the run, or a launch error saying none does."""
    for recipe in recipes:
        if recipe.applies_to(platform=platform, hosting=hosting, method=method):
            return recipe
    raise LauncherError(
        f"no training recipe applies to platform '{platform}', hosting '{hosting}', "
        f"method '{method}': add one to jobs/recipes/"
    )
