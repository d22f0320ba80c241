"""The demo's datasets, runs and released models: read from ``registry.yaml`` beside this
module and seeded through the registry services, so they are validated and ledgered as
any registration through a door.

The entries are data (what the demo shows); this module holds only how they are read and
in which order they are registered. Each entry is validated by the Create model its
service takes; the ones that refer to another entry's id (runs to dataset versions,
models to runs, deployments to models) are validated once that id exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlmodel import Session

from app.config import Settings
from app.demo import files
from app.demo.attestations import seed_attestations
from app.demo.ingest import ingest_and_commit
from app.registry import datasets, deployments, model_versions, runs
from app.registry.schemas import (
    DatasetCreate,
    DatasetVersionMetadata,
    DeploymentCreate,
    EvaluationCreate,
    ModelCardUpdate,
    ModelVersionCreate,
    RunCreate,
)

if TYPE_CHECKING:  # the seed imports this module
    from app.demo.seed import DemoSeed

__all__ = ["DemoRegistry", "load_demo_registry", "seed_datasets", "seed_runs_and_models"]

#: The file the entries are read from (in this package).
REGISTRY_FILE = "registry.yaml"
#: Who registers every entry (the demo's ML engineer).
_ACTOR = "eli"
#: The release pipeline runs the evaluations and records them: evidence counts only from
#: someone who did not build the model.
_EVALUATOR = "release-bot"
#: The writers of app/demo/files.py a version's ``writer`` may name.
_WRITERS: dict[str, Callable[..., Path]] = {
    "clinical_notes": files.clinical_notes,
    "eu_triage": files.eu_triage,
    "german_credit_csv": files.german_credit_csv,
    "credit_explanations": files.credit_explanations,
    "radiology_gemini": files.radiology_gemini,
}


class _Entry(BaseModel):
    """An entry of the file: unknown keys are an error, as in a request body."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoVersion(_Entry):
    """A dataset version: its data file and what is declared about it."""

    key: str
    """The seed key its id is kept under."""
    file: str
    """The file name the writer writes to (in the seed's work folder)."""
    writer: str
    """Which writer of app/demo/files.py makes the file."""
    options: dict[str, Any] = Field(default_factory=dict)
    """The writer's keyword arguments."""
    declared: DatasetVersionMetadata
    """The classification a person declares."""
    format: str | None = None
    """The format, when detection should not guess."""

    @field_validator("writer")
    @classmethod
    def _known_writer(cls, writer: str) -> str:
        if writer not in _WRITERS:
            raise ValueError(f"not a writer of app/demo/files.py: {sorted(_WRITERS)}")
        return writer


class DemoDataset(_Entry):
    """A dataset with its versions, registered in order."""

    dataset: DatasetCreate
    """The dataset itself."""
    versions: list[DemoVersion]
    """Its versions, each ingested and committed."""


class DemoRun(_Entry):
    """A fine-tune run; its name is its seed key."""

    run: dict[str, Any]
    """A :class:`RunCreate` but for ``dataset_version_ids``."""
    dataset_versions: list[str]
    """The seed keys of the versions it trains on."""


class DemoCard(_Entry):
    """How a release fills in the shared model card."""

    domain: str
    """What ``{domain}`` reads in the card."""
    omit: list[str] = Field(default_factory=list)
    """Sections the card leaves out."""


class DemoRelease(_Entry):
    """A model version with its card and evaluations, deployed to staging."""

    key: str
    """Its ids are kept as ``<key>_model`` and ``<key>_deployment``."""
    model: dict[str, Any]
    """A :class:`ModelVersionCreate` but for ``run_id``."""
    run: str
    """The run (by name) that produced it."""
    card: DemoCard
    """Its model card."""
    evaluations: list[EvaluationCreate] = Field(default_factory=list)
    """Its evaluations, added in order."""
    deployment: dict[str, Any]
    """A :class:`DeploymentCreate` but for ``model_version_id``."""


class DemoRegistry(_Entry):
    """The whole file."""

    classifications: dict[str, Any]
    """Classifications several versions share (read through YAML anchors, not here)."""
    datasets: list[DemoDataset]
    """Datasets in the order they are registered."""
    runs: list[DemoRun]
    """Runs in the order they are created."""
    model_card: dict[str, str]
    """The card every release fills in (``{model}``, ``{domain}``)."""
    releases: list[DemoRelease]
    """Releases in the order they are registered."""

    @model_validator(mode="after")
    def _references_resolve(self) -> DemoRegistry:
        """Every seed key an entry names is one an entry before it defines, so a mistyped
        name fails the load instead of the seeding halfway through."""
        versions = [version.key for entry in self.datasets for version in entry.versions]
        for entry in self.runs:
            unknown = sorted(set(entry.dataset_versions) - set(versions))
            if unknown:
                raise ValueError(f"run {entry.run.get('name')!r} names no version {unknown}")
        run_names = {entry.run.get("name") for entry in self.runs}
        for release in self.releases:
            if release.run not in run_names:
                raise ValueError(f"release {release.key!r} names no run {release.run!r}")
        return self

    def card(self, *, model: str, card: DemoCard) -> dict[str, str]:
        """The shared card filled in for ``model``, without the sections ``card`` omits."""
        return {
            section: text.format(model=model, domain=card.domain)
            for section, text in self.model_card.items()
            if section not in card.omit
        }


@functools.cache
def load_demo_registry() -> DemoRegistry:
    """The entries of ``registry.yaml``, validated; read once per process (the file ships
    with the package, and one seed reads it for the datasets and again for the runs)."""
    text = resources.files("app.demo").joinpath(REGISTRY_FILE).read_text(encoding="utf-8")
    return DemoRegistry.model_validate(yaml.safe_load(text))


def seed_datasets(*, session: Session, settings: Settings, work: Path, seed: DemoSeed) -> None:
    """Each dataset, then its versions: the file written into ``work``, ingested (validated
    and scanned) and committed; the version ids are kept under their seed keys."""
    for entry in load_demo_registry().datasets:
        dataset = datasets.create_dataset(session=session, data=entry.dataset, actor=_ACTOR)
        for version in entry.versions:
            path = _WRITERS[version.writer](work / version.file, **version.options)
            seed.ids[version.key] = ingest_and_commit(
                session=session,
                settings=settings,
                dataset_id=dataset.id or 0,
                path=path,
                declared=version.declared,
                actor=_ACTOR,
                format=version.format,
            )


def _release(
    *, session: Session, seed: DemoSeed, registry: DemoRegistry, release: DemoRelease
) -> None:
    """Register the release's model with its card and evaluations and deploy it to staging."""
    model = ModelVersionCreate.model_validate({**release.model, "run_id": seed.ids[release.run]})
    model_id = (
        model_versions.create_model_version(session=session, data=model, actor=_ACTOR).id or 0
    )
    seed.ids[f"{release.key}_model"] = model_id
    model_versions.set_model_card(
        session=session,
        model_id=model_id,
        data=ModelCardUpdate(sections=registry.card(model=model.name, card=release.card)),
        actor=_ACTOR,
    )
    for evaluation in release.evaluations:
        model_versions.add_evaluation(
            session=session, model_id=model_id, data=evaluation, actor=_EVALUATOR
        )
    deployment = DeploymentCreate.model_validate(
        {**release.deployment, "model_version_id": model_id}
    )
    seed.ids[f"{release.key}_deployment"] = (
        deployments.create_deployment(session=session, data=deployment, actor=_ACTOR).id or 0
    )


def seed_runs_and_models(*, session: Session, seed: DemoSeed) -> None:
    """The runs (ids kept under their names), the releases, and the attestations of every
    governance fact the gates read."""
    registry = load_demo_registry()
    for entry in registry.runs:
        plan = RunCreate.model_validate(
            {**entry.run, "dataset_version_ids": [seed.ids[key] for key in entry.dataset_versions]}
        )
        seed.ids[plan.name] = runs.create_run(session=session, data=plan, actor=_ACTOR).id or 0
    for release in registry.releases:
        _release(session=session, seed=seed, registry=registry, release=release)
    seed_attestations(session, seed)
