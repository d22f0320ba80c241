"""The periodic compliance report's reads: aggregates and set queries, never one per row.

A year of a busy registry holds tens of thousands of decisions; reading them one by one,
with a lookup or two for each subject's name, took 11-16 s. Every function here issues a
fixed number of statements whatever the registry holds: counts are ``GROUP BY`` in the
database, "the newest decision of each subject" is a ``max(id)`` subquery, and subject
names come from outer joins in the same statement. Rows are returned as plain tuples or
mappings for :mod:`app.reports.kinds.periodic_compliance` to shape.

Both dialects are supported; the one place they differ (opening a JSON array of
violations) is :func:`_violated_controls`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.models.datasets import Dataset, DatasetVersion, ErasureRequest
from app.models.deployments import Deployment
from app.models.evidence import AuditRun
from app.models.governance import ApprovalRequest, ApprovalVote, PolicyDecision
from app.models.model_versions import Evaluation, ModelVersion
from app.models.runs import FineTuneRun
from app.models.vocabulary import ApprovalStatus, AuditState, GateName, GateSubject
from app.reports.prepared import Period

__all__ = [
    "SUBJECT_COLUMNS",
    "audit_decisions",
    "dataset_versions",
    "decisions_in_period",
    "deployment_states",
    "expiring_requests",
    "failing_controls",
    "last_promotions",
    "latest_audits",
    "latest_denials",
    "model_versions",
    "month_starts",
    "open_erasures",
    "open_red_team_findings",
    "outcomes_by_gate",
    "outcomes_by_month",
    "subject_label",
    "votes_cast",
]

_deployment = aliased(Deployment, name="subject_deployment")
_deployed_model = aliased(ModelVersion, name="subject_model")
_run = aliased(FineTuneRun, name="subject_run")
_version = aliased(DatasetVersion, name="subject_version")
_dataset = aliased(Dataset, name="subject_dataset")

#: The columns :func:`_with_subjects` adds, which :func:`subject_label` reads.
SUBJECT_COLUMNS: tuple[sa.Label[Any], ...] = (
    col(_deployment.model_version_id).label("deployed_model_id"),
    col(_deployed_model.name).label("model_name"),
    col(_deployed_model.version).label("model_version"),
    col(_run.name).label("run_name"),
    col(_dataset.name).label("dataset_name"),
    col(_version.version).label("dataset_version"),
)


def _with_subjects(query: Any, subject_type: Any, subject_id: Any) -> Any:
    """``query`` with outer joins from a gate subject to the rows that name it."""
    return (
        query.outerjoin(
            _deployment,
            sa.and_(subject_type == GateSubject.DEPLOYMENT, _deployment.id == subject_id),
        )
        .outerjoin(_deployed_model, _deployed_model.id == _deployment.model_version_id)
        .outerjoin(_run, sa.and_(subject_type == GateSubject.RUN, _run.id == subject_id))
        .outerjoin(
            _version,
            sa.and_(subject_type == GateSubject.DATASET_VERSION, _version.id == subject_id),
        )
        .outerjoin(_dataset, _dataset.id == _version.dataset_id)
    )


def subject_label(row: Any) -> str:
    """A readable name for a gate subject from a row holding :data:`SUBJECT_COLUMNS`."""
    subject_type, subject_id = str(row.subject_type), row.subject_id
    if subject_type == GateSubject.DEPLOYMENT and row.model_name is not None:
        return f"deployment #{subject_id} ({row.model_name} {row.model_version})"
    if subject_type == GateSubject.RUN and row.run_name is not None:
        return f"run {row.run_name}"
    if subject_type == GateSubject.DATASET_VERSION and row.dataset_name is not None:
        return f"dataset {row.dataset_name} v{row.dataset_version}"
    return f"{subject_type.replace('_', ' ')} #{subject_id}"


def month_starts(period: Period) -> list[dt.date]:
    """The first day of every calendar month the period touches, in order."""
    months = []
    month = period.start.replace(day=1)
    while month <= period.end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def outcomes_by_gate(*, session: Session, period: Period) -> list[tuple[str, str, int]]:
    """``(gate, outcome, count)`` for the decisions made in the period."""
    query = (
        select(PolicyDecision.gate, PolicyDecision.outcome, sa.func.count())
        .where(period.covers(col(PolicyDecision.created_at)))
        .group_by(col(PolicyDecision.gate), col(PolicyDecision.outcome))
    )
    return [(str(gate), str(outcome), count) for gate, outcome, count in session.exec(query)]


def outcomes_by_month(*, session: Session, period: Period) -> list[tuple[int, str, int]]:
    """``(month index in month_starts(period), outcome, count)`` for the period.

    The month is a ``CASE`` over the month boundaries as bound UTC instants, so both
    dialects count the same way without date functions or time zone settings.
    """
    created = col(PolicyDecision.created_at)
    boundaries = [
        dt.datetime.combine(month, dt.time.min, tzinfo=dt.UTC) for month in month_starts(period)[1:]
    ]
    month = (
        sa.case(
            *[(created < boundary, index) for index, boundary in enumerate(boundaries)],
            else_=len(boundaries),
        )
        if boundaries
        else sa.literal(0)
    ).label("month")
    query = (
        select(month, PolicyDecision.outcome, sa.func.count())
        .where(period.covers(created))
        .group_by(month, col(PolicyDecision.outcome))
    )
    return [(int(index), str(outcome), count) for index, outcome, count in session.exec(query)]


def _violated_controls(session: Session) -> tuple[Any, Any]:
    """A table of ``policy_decision.violations``' elements and its control id column."""
    violations = col(PolicyDecision.violations)
    if session.get_bind().dialect.name == "postgresql":
        elements = sa.func.json_array_elements(violations).table_valued("value")
        return elements, elements.c.value.op("->>")("control")
    elements = sa.func.json_each(violations).table_valued("value")
    return elements, sa.func.json_extract(elements.c.value, "$.control")


def failing_controls(*, session: Session, period: Period) -> list[tuple[str, int]]:
    """``(control id, decisions naming it in a violation)`` in the period, most first."""
    elements, control = _violated_controls(session)
    decisions = sa.func.count(sa.distinct(col(PolicyDecision.id)))
    query = (
        select(control.label("control"), decisions.label("decisions"))
        .select_from(PolicyDecision)
        .join(elements, sa.true())
        .where(period.covers(col(PolicyDecision.created_at)))
        .group_by(control)
        .order_by(decisions.desc(), control)
    )
    return [(str(name), count) for name, count in session.exec(query) if name is not None]


def _decisions_with_subjects(*extra: Any) -> Any:
    """Decisions' identifying columns, outcome and violations, ``extra`` columns, and
    their subject's name columns (:data:`SUBJECT_COLUMNS`)."""
    return _with_subjects(
        sa.select(
            col(PolicyDecision.id),
            col(PolicyDecision.created_at),
            col(PolicyDecision.gate),
            col(PolicyDecision.subject_type),
            col(PolicyDecision.subject_id),
            col(PolicyDecision.outcome),
            col(PolicyDecision.violations),
            *extra,
            *SUBJECT_COLUMNS,
        ).select_from(PolicyDecision),
        col(PolicyDecision.subject_type),
        col(PolicyDecision.subject_id),
    )


def decisions_in_period(*, session: Session, period: Period) -> Sequence[Any]:
    """Every decision of the period with its subject's name columns, in time order.

    Only the columns the listing prints: not the stored result (every control's
    outcome), which the embedded decision evidence carries.
    """
    query = _decisions_with_subjects(
        col(PolicyDecision.input_sha256), col(PolicyDecision.bundle_sha256)
    )
    query = query.where(period.covers(col(PolicyDecision.created_at))).order_by(
        col(PolicyDecision.created_at), col(PolicyDecision.id)
    )
    return session.execute(query).all()


def latest_denials(*, session: Session, before: dt.datetime) -> Sequence[Any]:
    """The newest decision of each (gate, subject) made before ``before``, where it denies
    (by a policy or because the engine gave no answer), with its subject's names."""
    newest = (
        select(sa.func.max(PolicyDecision.id))
        .where(col(PolicyDecision.created_at) < before)
        .group_by(
            col(PolicyDecision.gate),
            col(PolicyDecision.subject_type),
            col(PolicyDecision.subject_id),
        )
    )
    query = _decisions_with_subjects(col(PolicyDecision.error))
    query = query.where(
        col(PolicyDecision.id).in_(newest), col(PolicyDecision.allow).is_(False)
    ).order_by(col(PolicyDecision.id))
    return session.execute(query).all()


def model_versions(*, session: Session, before: dt.datetime) -> Sequence[ModelVersion]:
    """Model versions registered before ``before``, by name."""
    return session.exec(
        select(ModelVersion)
        .where(col(ModelVersion.created_at) < before)
        .order_by(col(ModelVersion.name), col(ModelVersion.id))
    ).all()


def deployment_states(*, session: Session, before: dt.datetime) -> dict[int, list[str]]:
    """Each model version's deployment states (oldest deployment first)."""
    states: dict[int, list[str]] = defaultdict(list)
    query = (
        select(Deployment.model_version_id, Deployment.state)
        .join(ModelVersion, col(ModelVersion.id) == col(Deployment.model_version_id))
        .where(col(ModelVersion.created_at) < before)
        .order_by(col(Deployment.id))
    )
    for model_id, state in session.exec(query):
        states[model_id].append(str(state))
    return states


def last_promotions(*, session: Session, before: dt.datetime) -> dict[int, str]:
    """Each model version's newest production-promotion outcome before ``before``."""
    promoted = sa.and_(
        col(PolicyDecision.subject_type) == GateSubject.DEPLOYMENT,
        col(Deployment.id) == col(PolicyDecision.subject_id),
    )
    newest = (
        select(sa.func.max(PolicyDecision.id))
        .join(Deployment, promoted)
        .where(
            col(PolicyDecision.gate) == GateName.PRODUCTION_PROMOTION,
            col(PolicyDecision.created_at) < before,
        )
        .group_by(col(Deployment.model_version_id))
    )
    query = (
        select(Deployment.model_version_id, PolicyDecision.outcome)
        .join(Deployment, promoted)
        .where(col(PolicyDecision.id).in_(newest))
    )
    return {model_id: str(outcome) for model_id, outcome in session.exec(query)}


def _audit_finished() -> Any:
    return sa.func.coalesce(col(AuditRun.finished_at), col(AuditRun.created_at))


def latest_audits(*, session: Session, before: dt.datetime) -> Sequence[Any]:
    """``(id, model_version_id, kind, finished)`` of each model's newest succeeded audit of
    each kind that finished before ``before``."""
    newest = (
        select(sa.func.max(AuditRun.id))
        .where(col(AuditRun.status) == AuditState.SUCCEEDED, _audit_finished() < before)
        .group_by(col(AuditRun.model_version_id), col(AuditRun.kind))
    )
    return session.exec(
        select(
            AuditRun.id,
            AuditRun.model_version_id,
            AuditRun.kind,
            _audit_finished().label("finished"),
        )
        .where(col(AuditRun.id).in_(newest))
        .order_by(col(AuditRun.id))
    ).all()


def audit_decisions(
    *, session: Session, model_ids: set[int], before: dt.datetime
) -> Sequence[tuple[PolicyDecision, int]]:
    """Decisions about deployments of ``model_ids`` before ``before``, newest first, with
    the model each is about: where audits' gate verdicts are read from."""
    query = (
        select(PolicyDecision, Deployment.model_version_id)
        .join(
            Deployment,
            sa.and_(
                col(PolicyDecision.subject_type) == GateSubject.DEPLOYMENT,
                col(Deployment.id) == col(PolicyDecision.subject_id),
            ),
        )
        .where(
            col(Deployment.model_version_id).in_(sorted(model_ids)),
            col(PolicyDecision.created_at) < before,
        )
        .order_by(col(PolicyDecision.id).desc())
    )
    return session.exec(query).all()


def open_red_team_findings(*, session: Session, before: dt.datetime) -> Sequence[Any]:
    """Standing red-team evaluations with open findings, with their model's name."""
    return session.exec(
        select(Evaluation, ModelVersion.name, ModelVersion.version)
        .join(ModelVersion, col(ModelVersion.id) == col(Evaluation.model_version_id))
        .where(
            col(Evaluation.kind) == "red_team",
            col(Evaluation.open_findings) > 0,
            col(Evaluation.superseded_at).is_(None),
            col(Evaluation.created_at) < before,
        )
        .order_by(col(Evaluation.id))
    ).all()


def dataset_versions(*, session: Session, before: dt.datetime) -> Sequence[Any]:
    """Dataset versions registered before ``before`` with their dataset's name."""
    return session.exec(
        select(DatasetVersion, Dataset.name)
        .join(Dataset, col(Dataset.id) == col(DatasetVersion.dataset_id))
        .where(col(DatasetVersion.created_at) < before)
        .order_by(col(DatasetVersion.dataset_id), col(DatasetVersion.version))
    ).all()


def open_erasures(*, session: Session, before: dt.datetime) -> Sequence[Any]:
    """Erasure requests made before ``before`` and not resolved, with their dataset."""
    return session.exec(
        select(ErasureRequest, Dataset.name, DatasetVersion.version)
        .join(DatasetVersion, col(DatasetVersion.id) == col(ErasureRequest.dataset_version_id))
        .join(Dataset, col(Dataset.id) == col(DatasetVersion.dataset_id))
        .where(
            col(ErasureRequest.resolved_at).is_(None),
            col(ErasureRequest.requested_at) < before,
            col(DatasetVersion.created_at) < before,
        )
        .order_by(col(ErasureRequest.id))
    ).all()


def _expiring(period: Period, horizon: dt.timedelta) -> Any:
    return sa.and_(
        col(ApprovalRequest.status) == ApprovalStatus.PENDING,
        col(ApprovalRequest.expires_at) >= period.starts_at,
        col(ApprovalRequest.expires_at) < period.ends_before + horizon,
    )


def expiring_requests(*, session: Session, period: Period, horizon: dt.timedelta) -> Sequence[Any]:
    """Pending approval requests lapsing in the period or within ``horizon`` after it,
    soonest first, with their subject's names."""
    query = _with_subjects(
        sa.select(
            col(ApprovalRequest.id),
            col(ApprovalRequest.gate),
            col(ApprovalRequest.subject_type),
            col(ApprovalRequest.subject_id),
            col(ApprovalRequest.required_approvals),
            col(ApprovalRequest.expires_at),
            *SUBJECT_COLUMNS,
        ).select_from(ApprovalRequest),
        col(ApprovalRequest.subject_type),
        col(ApprovalRequest.subject_id),
    )
    query = query.where(_expiring(period, horizon)).order_by(
        col(ApprovalRequest.expires_at), col(ApprovalRequest.id)
    )
    return session.execute(query).all()


def votes_cast(*, session: Session, period: Period, horizon: dt.timedelta) -> dict[int, int]:
    """Votes cast so far on each request :func:`expiring_requests` returns."""
    query = (
        select(ApprovalVote.request_id, sa.func.count())
        .join(ApprovalRequest, col(ApprovalRequest.id) == col(ApprovalVote.request_id))
        .where(_expiring(period, horizon))
        .group_by(col(ApprovalVote.request_id))
    )
    return {request_id: count for request_id, count in session.exec(query)}
