"""What is connected to what, by name: the portal links every record to its neighbours.

A denied run is a dead end unless its page shows the decision that denied it, the
approval requests it opened and the models it produced; a decision is unreadable while
its subject is ``run 4``. These queries give the pages those links and the names to
show, each one bounded by the subject (a run has few decisions, a model few deployments).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from app.models.datasets import Dataset, DatasetVersion
from app.models.deployments import Deployment
from app.models.governance import ApprovalRequest, PolicyDecision
from app.models.model_versions import ModelVersion
from app.models.runs import FineTuneRun
from app.models.vocabulary import GateSubject

__all__ = [
    "SubjectLink",
    "dataset_names",
    "dataset_version_choices",
    "deployments_of",
    "model_names",
    "models_of_run",
    "records_about",
    "subject_links",
]

#: How many of a subject's decisions its page lists (newest first; the decisions page has all).
RECENT_DECISIONS = 10

AboutSubject = TypeVar("AboutSubject", PolicyDecision, ApprovalRequest)


@dataclass(frozen=True)
class SubjectLink:
    """A gate subject as a page shows it: its kind, id, name and the record it opens."""

    subject_type: str
    subject_id: int
    name: str
    #: The registry record the link opens (a dataset version opens its dataset's page).
    record_id: int


def records_about(
    *,
    session: Session,
    model: type[AboutSubject],
    subject_type: str,
    subject_id: int,
    limit: int | None = None,
) -> list[AboutSubject]:
    """The gate decisions or approval requests about one subject, newest first."""
    query = (
        select(model)
        .where(col(model.subject_type) == subject_type)
        .where(col(model.subject_id) == subject_id)
        .order_by(col(model.id).desc())
    )
    return list(session.exec(query.limit(limit) if limit else query).all())


def models_of_run(*, session: Session, run_id: int) -> list[ModelVersion]:
    """The model versions a run produced."""
    return list(
        session.exec(
            select(ModelVersion).where(ModelVersion.run_id == run_id).order_by(col(ModelVersion.id))
        ).all()
    )


def dataset_names(*, session: Session, dataset_ids: Iterable[int]) -> dict[int, str]:
    """Dataset id -> name."""
    ids = list(dataset_ids)
    if not ids:
        return {}
    rows = session.exec(select(Dataset.id, Dataset.name).where(col(Dataset.id).in_(ids))).all()
    return {dataset_id or 0: name for dataset_id, name in rows}


def model_names(*, session: Session, model_ids: Iterable[int]) -> dict[int, str]:
    """Model version id -> "name version"."""
    ids = list(model_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(ModelVersion.id, ModelVersion.name, ModelVersion.version).where(
            col(ModelVersion.id).in_(ids)
        )
    ).all()
    return {model_id or 0: f"{name} {version}" for model_id, name, version in rows}


#: How many dataset versions the new-run form offers (newest first).
VERSION_CHOICES = 200


def dataset_version_choices(*, session: Session) -> list[tuple[int, str]]:
    """The newest dataset versions as (id, "name vN (format)") for a form's choices."""
    rows = session.exec(
        select(DatasetVersion.id, Dataset.name, DatasetVersion.version, DatasetVersion.format)
        .join(Dataset, col(Dataset.id) == DatasetVersion.dataset_id)
        .order_by(col(DatasetVersion.id).desc())
        .limit(VERSION_CHOICES)
    ).all()
    return [
        (version_id or 0, f"{name} v{number} ({fmt})") for version_id, name, number, fmt in rows
    ]


def deployments_of(*, session: Session, model_ids: Iterable[int]) -> list[Deployment]:
    """The deployments of these model versions."""
    ids = list(model_ids)
    if not ids:
        return []
    return list(
        session.exec(
            select(Deployment)
            .where(col(Deployment.model_version_id).in_(ids))
            .order_by(col(Deployment.id))
        ).all()
    )


def _runs_named(ids: set[int]) -> Any:
    return select(FineTuneRun.id, FineTuneRun.id, FineTuneRun.name).where(
        col(FineTuneRun.id).in_(ids)
    )


def _deployments_named(ids: set[int]) -> Any:
    return (
        select(Deployment.id, ModelVersion.id, ModelVersion.name, ModelVersion.version)
        .join(ModelVersion, col(ModelVersion.id) == Deployment.model_version_id)
        .where(col(Deployment.id).in_(ids))
    )


def _dataset_versions_named(ids: set[int]) -> Any:
    return (
        select(DatasetVersion.id, Dataset.id, Dataset.name, DatasetVersion.version)
        .join(Dataset, col(Dataset.id) == DatasetVersion.dataset_id)
        .where(col(DatasetVersion.id).in_(ids))
    )


#: Per subject kind: the query of (subject id, record id, name parts) and the name's format.
_NAMES: dict[str, tuple[Callable[[set[int]], Any], str]] = {
    GateSubject.RUN: (_runs_named, "{}"),
    GateSubject.DEPLOYMENT: (_deployments_named, "{} {}"),
    GateSubject.DATASET_VERSION: (_dataset_versions_named, "{} v{}"),
}


def subject_links(
    *, session: Session, subjects: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], SubjectLink]:
    """Names for gate subjects (``("run", 4)`` → ``notes-o4-mini-sft``), one query per kind.

    A subject whose record is gone keeps no entry: the page then shows the bare id.
    """
    wanted: dict[str, set[int]] = {}
    for subject_type, subject_id in subjects:
        wanted.setdefault(subject_type, set()).add(subject_id)
    links: dict[tuple[str, int], SubjectLink] = {}
    for subject_type, ids in wanted.items():
        if subject_type not in _NAMES:
            continue
        query, name_format = _NAMES[subject_type]
        for subject_id, record_id, *parts in session.exec(query(ids)).all():
            links[(subject_type, subject_id)] = SubjectLink(
                subject_type, subject_id, name_format.format(*parts), record_id
            )
    return links
