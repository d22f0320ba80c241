"""Imported evidence as the promotion gate sees it.

Benchmarks: the newest result of each metric, with its baseline, measurement time and
source. Red-team: one entry per campaign and attack category, with the tallies and the
findings of that category still open. Memorisation: every test. Monitoring: the drift
of the latest batch and the open incidents. Facts nobody recorded stay null.

Every promotion gate call reads these, so the gate's reads are Core statements built
once (see ``app.gates.input_rows``), of only the columns the document needs, rather than
ORM entities: the monitoring batch's scores, for one, never leave the database here.
The monitoring markers (a baseline? the latest batch's time and drift) are correlated
subqueries the deployment's own row carries, and a campaign comes with its open
findings (an outer join), so none of them costs a statement of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Label, and_, bindparam, exists
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.db import PreparedRow, PreparedStatement, read_rows, table_of
from app.models.evaluation_evidence import (
    EvidenceImport,
    MemorisationTest,
    MetricResult,
    RedTeamCampaign,
    RedTeamFinding,
)
from app.models.monitoring import Incident, MonitoringBaseline, MonitoringBatch
from app.models.vocabulary import EvaluationKind, FindingStatus, IncidentStatus
from app.policy.input_document import (
    DriftInput,
    EvaluationInput,
    IncidentInput,
    MonitoringInput,
)
from app.policy.input_document import RedTeamFinding as FindingInput

__all__ = [
    "imported_evaluation_inputs",
    "latest_metric_results",
    "monitoring_input",
    "monitoring_markers",
]

_import = table_of(EvidenceImport)
_metric = table_of(MetricResult)
_campaign = table_of(RedTeamCampaign)
_finding = table_of(RedTeamFinding)
_memorisation = table_of(MemorisationTest)
_baseline = table_of(MonitoringBaseline)
_batch = table_of(MonitoringBatch)
_incident = table_of(Incident)

# The gate's reads, built once (every gate call runs them): only the columns it needs.
_METRIC_RESULTS = PreparedStatement(
    core_select(
        _metric.c.id,
        _metric.c.import_id,
        _metric.c.metric,
        _metric.c.value,
        _metric.c.threshold,
        _metric.c.baseline,
        _metric.c.measured_at,
        _metric.c.task,
        _metric.c.dataset_name,
        _metric.c.dataset_revision,
        _metric.c.dataset_sha256,
        _import.c.created_by.label("recorded_by"),
    )
    .join(_import, _import.c.id == _metric.c.import_id)
    .where(_metric.c.model_version_id == bindparam("model_id"))
    .order_by(_metric.c.measured_at, _metric.c.id)
)
#: Each campaign once per open finding of the model in it (once, with nulls, if none).
_CAMPAIGNS = PreparedStatement(
    core_select(
        _campaign.c.id,
        _campaign.c.categories,
        _campaign.c.started_at,
        _campaign.c.created_at,
        _campaign.c.created_by,
        _finding.c.id.label("finding_id"),
        _finding.c.category.label("finding_category"),
        _finding.c.severity.label("finding_severity"),
    )
    .outerjoin(
        _finding,
        and_(
            _finding.c.campaign_id == _campaign.c.id,
            _finding.c.model_version_id == bindparam("model_id"),
            _finding.c.status == FindingStatus.OPEN.value,
        ),
    )
    .where(_campaign.c.model_version_id == bindparam("model_id"))
    .order_by(_campaign.c.id, _finding.c.id)
)
_MEMORISATION_TESTS = PreparedStatement(
    core_select(
        _memorisation.c.id,
        _memorisation.c.method,
        _memorisation.c.records_tested,
        _memorisation.c.records_elicited,
        _memorisation.c.measured_at,
        _import.c.created_by.label("recorded_by"),
    )
    .join(_import, _import.c.id == _memorisation.c.import_id)
    .where(_memorisation.c.model_version_id == bindparam("model_id"))
    .order_by(_memorisation.c.id)
)
_OPEN_INCIDENTS = PreparedStatement(
    core_select(_incident.c.id, _incident.c.severity)
    .where(
        _incident.c.deployment_id == bindparam("deployment_id"),
        _incident.c.status == IncidentStatus.OPEN.value,
    )
    .order_by(_incident.c.id)
)


def monitoring_markers(deployment_id: ColumnElement[int]) -> tuple[Label[Any], ...]:
    """Columns for a select of deployments: whether a baseline was recorded, and the
    time and drift of the latest batch (null when none), correlated to ``deployment_id``."""
    latest = core_select(_batch).where(_batch.c.deployment_id == deployment_id)
    latest = latest.order_by(_batch.c.id.desc()).limit(1)
    return (
        exists().where(_baseline.c.deployment_id == deployment_id).label("baseline_recorded"),
        latest.with_only_columns(_batch.c.received_at).scalar_subquery().label("latest_batch_at"),
        latest.with_only_columns(_batch.c.drift).scalar_subquery().label("latest_drift"),
    )


class _Measured(Protocol):
    metric: str


_Result = TypeVar("_Result", bound=_Measured)


def _newest_per_metric(results: Iterable[_Result]) -> list[_Result]:
    """Of results in measurement order, the last of each metric, by metric name."""
    latest: dict[str, _Result] = {}
    for result in results:
        latest[result.metric] = result
    return [latest[name] for name in sorted(latest)]


def latest_metric_results(*, session: Session, model_id: int) -> list[MetricResult]:
    """The newest imported result of each metric of the model, by metric name."""
    return _newest_per_metric(
        session.exec(
            select(MetricResult)
            .where(MetricResult.model_version_id == model_id)
            .order_by(col(MetricResult.measured_at), col(MetricResult.id))
        ).all()
    )


def _source(result: Any) -> str:
    identity = result.dataset_revision or (result.dataset_sha256 or "")[:12]
    return f"import {result.import_id}: {result.task} on {result.dataset_name}@{identity}"


def imported_evaluation_inputs(*, session: Session, model_id: int) -> list[EvaluationInput]:
    """Benchmark, red-team and memorisation entries from the model's imports."""
    inputs = [
        EvaluationInput(
            id=f"metric-{result.id}",
            kind=EvaluationKind.BENCHMARK,
            metric=result.metric,
            value=result.value,
            threshold=result.threshold,
            baseline=result.baseline,
            measured_at=result.measured_at,
            source=_source(result),
            recorded_by=result.recorded_by,
        )
        for result in _newest_per_metric(read_rows(session, _METRIC_RESULTS, model_id=model_id))
    ]
    campaigns: dict[int, tuple[PreparedRow, list[PreparedRow]]] = {}
    for row in read_rows(session, _CAMPAIGNS, model_id=model_id):
        _, open_findings = campaigns.setdefault(row.id, (row, []))
        if row.finding_id is not None:
            open_findings.append(row)
    for campaign, open_findings in campaigns.values():
        for tally in campaign.categories:
            inputs.append(
                EvaluationInput(
                    id=f"campaign-{campaign.id}:{tally['category']}",
                    kind=EvaluationKind.RED_TEAM,
                    attack_category=tally["category"],
                    prompts_tried=tally["probes_run"],
                    failures=tally["failures"],
                    measured_at=campaign.started_at or campaign.created_at,
                    recorded_by=campaign.created_by,
                    open_findings=[
                        FindingInput(
                            id=f"finding-{finding.finding_id}",
                            severity=finding.finding_severity,
                            category=finding.finding_category,
                        )
                        for finding in open_findings
                        if finding.finding_category == tally["category"]
                    ],
                )
            )
    tests = read_rows(session, _MEMORISATION_TESTS, model_id=model_id)
    inputs += [
        EvaluationInput(
            id=f"memorisation-{test.id}",
            kind=EvaluationKind.MEMORISATION,
            method=test.method,
            records_tested=test.records_tested,
            records_elicited=test.records_elicited,
            measured_at=test.measured_at,
            recorded_by=test.recorded_by,
        )
        for test in tests
    ]
    return inputs


def monitoring_input(
    *, session: Session, deployment_id: int, markers: Any
) -> MonitoringInput | None:
    """The deployment's monitoring facts, or null when nothing was ever monitored.

    ``markers`` are the deployment row's :func:`monitoring_markers`; the open incidents
    are read here.
    """
    incidents = read_rows(session, _OPEN_INCIDENTS, deployment_id=deployment_id)
    monitored = markers.latest_batch_at is not None
    if not markers.baseline_recorded and not monitored and not incidents:
        return None
    return MonitoringInput(
        baseline_recorded=bool(markers.baseline_recorded),
        latest_batch_at=markers.latest_batch_at,
        drift=[DriftInput(**figures) for figures in (markers.latest_drift if monitored else [])],
        open_incidents=[
            IncidentInput(id=f"incident-{incident.id}", severity=incident.severity)
            for incident in incidents
        ],
    )
