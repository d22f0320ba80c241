"""Who built a subject or its evidence, read from the ledger (separation of duties).

Approvers and attesters must be independent of the subject. The record's own fields
name some of the people (a run's requester and authors, a model's developers, whoever
registered a dataset version); the ledger names the rest: everyone whose event created
or changed the subject or a piece of its evidence (a dataset attached to the run, an
edit of the hyperparameters, a model card section, an evaluation). Gate decisions,
votes, attestations, a steward's classification and reports are about a subject, not
changes to it, and do not count.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from app.ledger.subjects import about_subject_type
from app.models.datasets import DatasetVersion
from app.models.deployments import Deployment
from app.models.ledger import LedgerEvent
from app.models.model_versions import Evaluation, ModelCard, ModelVersion
from app.models.runs import FineTuneRun, RunDataset
from app.models.vocabulary import LedgerSubject

__all__ = ["EDIT_ACTIONS", "people_involved"]

#: Ledger action suffixes that create or change a registry record.
EDIT_ACTIONS = (".created", ".updated", ".registered", ".dataset_attached")


def _ledger_editors(
    session: Session, subject_type: LedgerSubject, subject_ids: Iterable[int]
) -> dict[str, str]:
    ids = [str(subject_id) for subject_id in subject_ids]
    if not ids:
        return {}
    events = session.exec(
        select(LedgerEvent.actor, LedgerEvent.action)
        .where(about_subject_type(subject_type), col(LedgerEvent.subject_id).in_(ids))
        .order_by(col(LedgerEvent.seq))
    ).all()
    return {
        actor: f"{action} (ledger)" for actor, action in events if action.endswith(EDIT_ACTIONS)
    }


def _dataset_version(session: Session, version_id: int) -> dict[str, str]:
    people = _ledger_editors(session, LedgerSubject.DATASET_VERSION, [version_id])
    version = session.get(DatasetVersion, version_id)
    if version is not None:
        people.setdefault(version.created_by, "registered the dataset version")
    return people


def _run(session: Session, run_id: int) -> dict[str, str]:
    people: dict[str, str] = {}
    links = session.exec(select(RunDataset).where(RunDataset.run_id == run_id)).all()
    for link in links:
        people.update(_dataset_version(session, link.dataset_version_id))
    people.update(_ledger_editors(session, LedgerSubject.FINETUNE_RUN, [run_id]))
    run = session.get(FineTuneRun, run_id)
    if run is not None:
        people.update({author: "authored the run" for author in run.authors})
        people[run.requester] = "requested the run"
    return people


def _model(session: Session, model_id: int) -> dict[str, str]:
    model = session.get(ModelVersion, model_id)
    people = _run(session, model.run_id) if model is not None and model.run_id else {}
    cards = session.exec(select(ModelCard.id).where(ModelCard.model_version_id == model_id))
    evaluations = session.exec(select(Evaluation.id).where(Evaluation.model_version_id == model_id))
    people.update(
        _ledger_editors(session, LedgerSubject.MODEL_CARD, [i for i in cards if i is not None])
    )
    people.update(
        _ledger_editors(
            session, LedgerSubject.EVALUATION, [i for i in evaluations if i is not None]
        )
    )
    people.update(_ledger_editors(session, LedgerSubject.MODEL_VERSION, [model_id]))
    if model is not None:
        people.update({developer: "developed the model" for developer in model.developers})
        people.setdefault(model.created_by, "registered the model")
    return people


def _deployment(session: Session, deployment_id: int) -> dict[str, str]:
    deployment = session.get(Deployment, deployment_id)
    people = _model(session, deployment.model_version_id) if deployment is not None else {}
    people.update(_ledger_editors(session, LedgerSubject.DEPLOYMENT, [deployment_id]))
    if deployment is not None:
        people.setdefault(deployment.created_by, "created the deployment")
    return people


_BY_KIND = {
    "dataset_version": _dataset_version,
    "finetune_run": _run,
    "run": _run,
    "model_version": _model,
    "deployment": _deployment,
}


def people_involved(*, session: Session, subject_type: str, subject_id: int) -> dict[str, str]:
    """Everyone who built the subject or its evidence -> what they did (one reason each)."""
    return _BY_KIND[subject_type](session, subject_id)
