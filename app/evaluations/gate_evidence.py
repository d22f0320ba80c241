"""Imported evidence as the promotion gate sees it.

Benchmarks: the newest result of each metric, with its baseline, measurement time and
source. Red-team: one entry per campaign and attack category, with the tallies and the
findings of that category still open. Memorisation: every test. Monitoring: the drift
of the latest batch and the open incidents. Facts nobody recorded stay null.

Every promotion gate call reads these, so the gate's reads are Core statements built
once (see ``app.gates.input_rows``), of only the columns the document needs, rather than
ORM entities: the monitoring batch's scores, for one, never leave the database here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.db import read_rows, table_of
from app.models.evaluation_evidence import (
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

__all__ = ["imported_evaluation_inputs", "latest_metric_results", "monitoring_input"]

_metric = table_of(MetricResult)
_campaign = table_of(RedTeamCampaign)
_finding = table_of(RedTeamFinding)
_memorisation = table_of(MemorisationTest)
_baseline = table_of(MonitoringBaseline)
_batch = table_of(MonitoringBatch)
_incident = table_of(Incident)

# The gate's reads, built once (every gate call runs them): only the columns it needs.
_METRIC_RESULTS = (
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
    )
    .where(_metric.c.model_version_id == bindparam("model_id"))
    .order_by(_metric.c.measured_at, _metric.c.id)
)
_CAMPAIGNS = (
    core_select(
        _campaign.c.id, _campaign.c.categories, _campaign.c.started_at, _campaign.c.created_at
    )
    .where(_campaign.c.model_version_id == bindparam("model_id"))
    .order_by(_campaign.c.id)
)
_OPEN_FINDINGS = (
    core_select(_finding.c.id, _finding.c.campaign_id, _finding.c.category, _finding.c.severity)
    .where(
        _finding.c.model_version_id == bindparam("model_id"),
        _finding.c.status == FindingStatus.OPEN.value,
    )
    .order_by(_finding.c.id)
)
_MEMORISATION_TESTS = (
    core_select(
        _memorisation.c.id,
        _memorisation.c.method,
        _memorisation.c.records_tested,
        _memorisation.c.records_elicited,
        _memorisation.c.measured_at,
    )
    .where(_memorisation.c.model_version_id == bindparam("model_id"))
    .order_by(_memorisation.c.id)
)
_BASELINE = (
    core_select(_baseline.c.id)
    .where(_baseline.c.deployment_id == bindparam("deployment_id"))
    .limit(1)
)
_LATEST_BATCH = (
    core_select(_batch.c.received_at, _batch.c.drift)
    .where(_batch.c.deployment_id == bindparam("deployment_id"))
    .order_by(_batch.c.id.desc())
    .limit(1)
)
_OPEN_INCIDENTS = (
    core_select(_incident.c.id, _incident.c.severity)
    .where(
        _incident.c.deployment_id == bindparam("deployment_id"),
        _incident.c.status == IncidentStatus.OPEN.value,
    )
    .order_by(_incident.c.id)
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
        )
        for result in _newest_per_metric(read_rows(session, _METRIC_RESULTS, model_id=model_id))
    ]
    campaigns = read_rows(session, _CAMPAIGNS, model_id=model_id)
    open_findings = read_rows(session, _OPEN_FINDINGS, model_id=model_id)
    for campaign in campaigns:
        for tally in campaign.categories:
            inputs.append(
                EvaluationInput(
                    id=f"campaign-{campaign.id}:{tally['category']}",
                    kind=EvaluationKind.RED_TEAM,
                    attack_category=tally["category"],
                    prompts_tried=tally["probes_run"],
                    failures=tally["failures"],
                    measured_at=campaign.started_at or campaign.created_at,
                    open_findings=[
                        FindingInput(
                            id=f"finding-{finding.id}",
                            severity=finding.severity,
                            category=finding.category,
                        )
                        for finding in open_findings
                        if finding.campaign_id == campaign.id
                        and finding.category == tally["category"]
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
        )
        for test in tests
    ]
    return inputs


def monitoring_input(*, session: Session, deployment_id: int) -> MonitoringInput | None:
    """The deployment's monitoring facts, or null when nothing was ever monitored."""
    baseline = read_rows(session, _BASELINE, deployment_id=deployment_id)
    batches = read_rows(session, _LATEST_BATCH, deployment_id=deployment_id)
    latest = batches[0] if batches else None
    incidents = read_rows(session, _OPEN_INCIDENTS, deployment_id=deployment_id)
    if not baseline and latest is None and not incidents:
        return None
    return MonitoringInput(
        baseline_recorded=bool(baseline),
        latest_batch_at=latest.received_at if latest else None,
        drift=[DriftInput(**figures) for figures in (latest.drift if latest else [])],
        open_incidents=[
            IncidentInput(id=f"incident-{incident.id}", severity=incident.severity)
            for incident in incidents
        ],
    )
