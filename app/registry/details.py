"""What the portal's registry pages show, each read in one unit of work.

The portal's views render these; the queries live here so a view holds none, and a
page never shows part of a list without saying so (every version of a dataset, every
evaluation of a model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.ledger.progress import verify_incrementally
from app.models.datasets import Dataset, DatasetVersion, ErasureRequest
from app.models.deployments import Deployment
from app.models.governance import ApprovalRequest, PolicyDecision
from app.models.ledger import LedgerVerification
from app.models.model_versions import Evaluation, ModelCard, ModelVersion
from app.models.runs import FineTuneRun
from app.models.vocabulary import GateSubject
from app.registry import connections, datasets, model_versions, runs
from app.registry.lineage import lineage
from app.registry.records import count_by, count_records, get_record, newest_records

__all__ = [
    "DatasetDetails",
    "ModelDetails",
    "Overview",
    "RunDetails",
    "dataset_details",
    "model_details",
    "overview",
    "run_details",
]


@dataclass(frozen=True)
class Overview:
    """The dashboard: record counts, states, the newest decisions and the ledger's state."""

    counts: dict[str, int]
    states: dict[str, dict[str, int]]
    decisions: list[PolicyDecision]
    ledger: LedgerVerification


def overview(*, session: Session) -> Overview:
    """Counts, run and deployment states, the ten newest decisions, the ledger verified
    since its last verified event."""
    return Overview(
        counts={
            name: count_records(session=session, model=model)
            for name, model in (
                ("datasets", Dataset),
                ("runs", FineTuneRun),
                ("models", ModelVersion),
                ("deployments", Deployment),
            )
        },
        states={
            "Runs by state": count_by(session=session, model=FineTuneRun, column="state"),
            "Deployments by state": count_by(session=session, model=Deployment, column="state"),
        },
        decisions=newest_records(session=session, model=PolicyDecision, limit=10),
        ledger=verify_incrementally(session=session)[0],
    )


@dataclass(frozen=True)
class DatasetDetails:
    """A dataset, every version of it, and each version's open erasure requests."""

    dataset: Dataset
    versions: list[DatasetVersion]
    erasures: dict[int | None, list[ErasureRequest]]


def dataset_details(*, session: Session, dataset_id: int) -> DatasetDetails:
    """A dataset with all its versions (oldest first) and their open erasure requests."""
    dataset = get_record(session=session, model=Dataset, record_id=dataset_id)
    versions = datasets.versions_of(session=session, dataset_id=dataset_id)
    return DatasetDetails(
        dataset=dataset,
        versions=versions,
        erasures={
            v.id: datasets.open_erasure_requests(session=session, version_id=v.id or 0)
            for v in versions
        },
    )


@dataclass(frozen=True)
class RunDetails:
    """A run, what it trains on, what the gate said, what it produced, and its lineage."""

    run: FineTuneRun
    versions: list[DatasetVersion]
    #: Dataset id -> name, for the versions above.
    dataset_names: dict[int, str]
    #: The run's newest training_launch decisions, newest first.
    decisions: list[PolicyDecision]
    approvals: list[ApprovalRequest]
    models: list[ModelVersion]
    deployments: list[Deployment]
    graph: dict[str, Any]


def run_details(*, session: Session, run_id: int) -> RunDetails:
    """A run with its dataset versions, decisions, approval requests, models and lineage."""
    run = get_record(session=session, model=FineTuneRun, record_id=run_id)
    versions = runs.run_dataset_versions(session=session, run_id=run_id)
    models = connections.models_of_run(session=session, run_id=run_id)
    return RunDetails(
        run=run,
        versions=versions,
        dataset_names=connections.dataset_names(
            session=session, dataset_ids={v.dataset_id for v in versions}
        ),
        decisions=connections.records_about(
            session=session,
            model=PolicyDecision,
            subject_type=GateSubject.RUN,
            subject_id=run_id,
            limit=connections.RECENT_DECISIONS,
        ),
        approvals=connections.records_about(
            session=session, model=ApprovalRequest, subject_type=GateSubject.RUN, subject_id=run_id
        ),
        models=models,
        deployments=connections.deployments_of(
            session=session, model_ids=[m.id or 0 for m in models]
        ),
        graph=lineage(session=session, subject_type="run", subject_id=run_id).to_dict(),
    )


@dataclass(frozen=True)
class ModelDetails:
    """A model version, its card and the sections it lacks, its evaluations and lineage."""

    model: ModelVersion
    card: ModelCard | None
    missing: list[str]
    evaluations: list[Evaluation]
    #: The run that trained it (None when registered without one).
    run: FineTuneRun | None
    deployments: list[Deployment]
    #: The deployments' newest production_promotion decisions, newest first.
    decisions: list[PolicyDecision]
    graph: dict[str, Any]


def model_details(*, session: Session, model_id: int) -> ModelDetails:
    """A model version with its card, evaluations and lineage."""
    card = model_versions.card_of(session=session, model_id=model_id)
    model = get_record(session=session, model=ModelVersion, record_id=model_id)
    deployments = connections.deployments_of(session=session, model_ids=[model_id])
    return ModelDetails(
        model=model,
        card=card,
        missing=model_versions.missing_card_sections(card),
        # Superseded ones too: the page marks them (the gates read only standing ones).
        evaluations=model_versions.evaluations_of(
            session=session, model_id=model_id, include_superseded=True
        ),
        run=session.get(FineTuneRun, model.run_id) if model.run_id else None,
        deployments=deployments,
        decisions=sorted(
            (
                decision
                for deployment in deployments
                for decision in connections.records_about(
                    session=session,
                    model=PolicyDecision,
                    subject_type=GateSubject.DEPLOYMENT,
                    subject_id=deployment.id or 0,
                    limit=connections.RECENT_DECISIONS,
                )
            ),
            key=lambda decision: -(decision.id or 0),
        ),
        graph=lineage(session=session, subject_type="model_version", subject_id=model_id).to_dict(),
    )
