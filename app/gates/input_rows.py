"""The registry rows a gate's input is built from, each read by a statement built once.

Every gate call (the API, the workflows, the launchers) builds an input, so these reads
are Core SELECTs of only the columns the document needs, built once per process as
:class:`app.db.PreparedStatement` (compiled once per dialect, run on the DBAPI cursor, rows
as named tuples) and run through :func:`app.db.read_rows`: no ORM entities, identity map,
per-call execution machinery or bulky columns (validation reports, audit results,
monitoring scores). Their parameters are fixed, never a list, so their SQL never changes.
Related rows are read together: a deployment with its model version, the model's run and
card and its monitoring markers (one row of an outer join), a dataset version with its
dataset's name and its open erasure requests, and the votes with their approval request,
so a gate costs the same few indexed queries however many datasets a run has.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.sql.elements import NamedColumn
from sqlmodel import Session

from app.db import PreparedRow, PreparedStatement, read_rows, table_of
from app.evaluations.gate_evidence import monitoring_markers
from app.models.datasets import Dataset, DatasetVersion, ErasureRequest
from app.models.deployments import Deployment
from app.models.evidence import AuditRun
from app.models.governance import ApprovalRequest, ApprovalVote
from app.models.model_versions import Evaluation, ModelCard, ModelVersion
from app.models.runs import FineTuneRun, RunDataset
from app.models.vocabulary import ApprovalStatus, AuditState
from app.registry.errors import RecordNotFoundError

__all__ = [
    "PromotionRows",
    "Record",
    "audit_rows",
    "dataset_version_row",
    "evaluation_rows",
    "promotion_rows",
    "run_dataset_version_rows",
    "run_row",
    "vote_rows",
]

_deployment = table_of(Deployment)
_model = table_of(ModelVersion)
_card = table_of(ModelCard)
_run = table_of(FineTuneRun)
_run_dataset = table_of(RunDataset)
_version = table_of(DatasetVersion)
_dataset = table_of(Dataset)
_erasure = table_of(ErasureRequest)
_evaluation = table_of(Evaluation)
_audit = table_of(AuditRun)
_request = table_of(ApprovalRequest)
_vote = table_of(ApprovalVote)

_DEPLOYMENT_COLUMNS = (
    _deployment.c.id,
    _deployment.c.model_version_id,
    _deployment.c.state,
)
_MODEL_COLUMNS = (
    _model.c.id,
    _model.c.name,
    _model.c.version,
    _model.c.run_id,
    _model.c.developers,
)
_RUN_COLUMNS = (
    _run.c.id,
    _run.c.platform,
    _run.c.method,
    _run.c.requester,
    _run.c.authors,
)

_CARD_COLUMNS = (_card.c.sections,)
_MONITORING_COLUMNS = monitoring_markers(_deployment.c.id)
#: The parts of a promotion row, in select order, each a record's columns.
_PROMOTION_PARTS = (
    _DEPLOYMENT_COLUMNS,
    _MODEL_COLUMNS,
    _RUN_COLUMNS,
    _CARD_COLUMNS,
    _MONITORING_COLUMNS,
)

#: The deployment, its model version, the model's run and card, and the deployment's
#: monitoring markers: one row (each relation outer-joined, so a missing one reads null).
_PROMOTION = PreparedStatement(
    select(*(column for part in _PROMOTION_PARTS for column in part))
    .select_from(
        _deployment.outerjoin(_model, _model.c.id == _deployment.c.model_version_id)
        .outerjoin(_run, _run.c.id == _model.c.run_id)
        .outerjoin(_card, _card.c.model_version_id == _model.c.id)
    )
    .where(_deployment.c.id == bindparam("id"))
)

_RUN = PreparedStatement(select(*_RUN_COLUMNS).where(_run.c.id == bindparam("id")))


def _versions() -> Select[Any]:
    """Dataset versions with their dataset's name and count of open erasure requests."""
    open_erasures = (
        select(func.count())
        .where(_erasure.c.dataset_version_id == _version.c.id, _erasure.c.resolved_at.is_(None))
        .scalar_subquery()
    )
    return select(
        _version.c.id,
        _version.c.dataset_id,
        _version.c.version,
        _version.c.contains_pii,
        _version.c.contains_phi,
        _version.c.special_category,
        _version.c.classification_source,
        _version.c.pii_findings,
        _dataset.c.name.label("dataset_name"),
        open_erasures.label("open_erasures"),
    ).outerjoin(_dataset, _dataset.c.id == _version.c.dataset_id)


_VERSION = PreparedStatement(_versions().where(_version.c.id == bindparam("id")))

_RUN_VERSIONS = PreparedStatement(
    _versions()
    .join(_run_dataset, _run_dataset.c.dataset_version_id == _version.c.id)
    .where(_run_dataset.c.run_id == bindparam("run_id"))
    .order_by(_version.c.id)
)

_EVALUATIONS = PreparedStatement(
    select(
        _evaluation.c.id,
        _evaluation.c.kind,
        _evaluation.c.metrics,
        _evaluation.c.thresholds,
        _evaluation.c.attack_category,
        _evaluation.c.severity,
        _evaluation.c.open_findings,
        _evaluation.c.created_by,
    )
    .where(
        _evaluation.c.model_version_id == bindparam("model_id"),
        # A superseded evaluation stays on record but no gate reads it.
        _evaluation.c.superseded_at.is_(None),
    )
    .order_by(_evaluation.c.id)
)

#: The newest succeeded audit of each kind (audit ids grow with time).
_AUDITS = PreparedStatement(
    select(
        _audit.c.id, _audit.c.kind, _audit.c.finished_at, _audit.c.summary, _audit.c.requested_by
    )
    .where(
        _audit.c.id.in_(
            select(func.max(_audit.c.id))
            .where(
                _audit.c.model_version_id == bindparam("model_id"),
                _audit.c.status == AuditState.SUCCEEDED,
            )
            .group_by(_audit.c.kind)
        )
    )
    .order_by(_audit.c.kind)
)

#: The votes on the subject's newest pending or approved request (none: no rows).
_VOTES = PreparedStatement(
    select(_vote.c.role, _vote.c.voter, _vote.c.vote)
    .where(
        _vote.c.request_id
        == select(_request.c.id)
        .where(
            _request.c.subject_type == bindparam("subject_type"),
            _request.c.subject_id == bindparam("subject_id"),
            # Two comparisons, not IN (a list): its SQL would change with the list.
            or_(
                _request.c.status == ApprovalStatus.PENDING,
                _request.c.status == ApprovalStatus.APPROVED,
            ),
        )
        .order_by(_request.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    .order_by(_vote.c.id)
)


def _part_type(name: str, columns: Sequence[NamedColumn[Any]]) -> Any:
    """A named tuple of one table's columns of the promotion row, read by column name."""
    return namedtuple(name, [column.name for column in columns])


_PART_TYPES = tuple(
    _part_type(name, columns)
    for name, columns in zip(
        ("Deployment", "Model", "Run", "Card", "Monitoring"), _PROMOTION_PARTS, strict=True
    )
)

#: A record's columns as read here: a row of its own table, or its part of a joined row.
Record = PreparedRow


@dataclass(frozen=True)
class PromotionRows:
    """What the promotion gate reads once per deployment, from one statement."""

    deployment: Record
    model: Record
    run: Record | None
    #: The model card's sections, or None when no card was written.
    card_sections: dict[str, Any] | None
    #: ``baseline_recorded``, ``latest_batch_at`` and ``latest_drift`` (see
    #: :func:`app.evaluations.gate_evidence.monitoring_markers`).
    monitoring: Record


def _one(session: Session, statement: PreparedStatement, kind: str, record_id: int) -> PreparedRow:
    rows = read_rows(session, statement, id=record_id)
    if not rows:
        raise RecordNotFoundError(kind, record_id)
    return rows[0]


def promotion_rows(*, session: Session, deployment_id: int) -> PromotionRows:
    """The deployment and what hangs off it (RecordNotFoundError for any that is missing)."""
    row = _one(session, _PROMOTION, "deployment", deployment_id)
    parts, start = [], 0
    for part_type in _PART_TYPES:
        end = start + len(part_type._fields)
        parts.append(part_type._make(row[start:end]))
        start = end
    deployment, model, run, card, monitoring = parts
    if model.id is None:
        raise RecordNotFoundError("model version", deployment.model_version_id)
    if model.run_id is not None and run.id is None:
        raise RecordNotFoundError("finetune run", model.run_id)
    return PromotionRows(
        deployment=deployment,
        model=model,
        run=run if model.run_id is not None else None,
        card_sections=dict(card.sections) if card.sections is not None else None,
        monitoring=monitoring,
    )


def run_row(*, session: Session, run_id: int) -> PreparedRow:
    """The fine-tune run (RecordNotFoundError when there is none)."""
    return _one(session, _RUN, "finetune run", run_id)


def dataset_version_row(*, session: Session, version_id: int) -> PreparedRow:
    """The dataset version with its name and open erasures (RecordNotFoundError if none)."""
    return _one(session, _VERSION, "dataset version", version_id)


def run_dataset_version_rows(*, session: Session, run_id: int) -> list[PreparedRow]:
    """The run's dataset versions, by id, each with its name and open erasures."""
    return read_rows(session, _RUN_VERSIONS, run_id=run_id)


def evaluation_rows(*, session: Session, model_id: int) -> list[PreparedRow]:
    """The model's standing (not superseded) evaluations, oldest first."""
    return read_rows(session, _EVALUATIONS, model_id=model_id)


def audit_rows(*, session: Session, model_id: int) -> list[PreparedRow]:
    """The newest succeeded audit of each kind, by kind."""
    return read_rows(session, _AUDITS, model_id=model_id)


def vote_rows(*, session: Session, subject_type: str, subject_id: int) -> list[PreparedRow]:
    """Votes on the subject's open (or approved) approval request, in casting order."""
    return read_rows(session, _VOTES, subject_type=subject_type, subject_id=subject_id)
