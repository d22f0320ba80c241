"""Imported evidence as the promotion gate sees it.

Benchmarks: the newest result of each metric, with its baseline, measurement time and
source. Red-team: one entry per campaign and attack category, with the tallies and the
findings of that category still open. Memorisation: every test. Monitoring: the drift
of the latest batch and the open incidents. Facts nobody recorded stay null.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models.evaluation_evidence import (
    FindingStatus,
    MemorisationTest,
    MetricResult,
    RedTeamCampaign,
    RedTeamFinding,
)
from app.models.monitoring import Incident, IncidentStatus, MonitoringBaseline, MonitoringBatch
from app.policy.input_document import (
    DriftInput,
    EvaluationInput,
    IncidentInput,
    MonitoringInput,
)
from app.policy.input_document import RedTeamFinding as FindingInput
from app.registry.records import records_where

__all__ = ["imported_evaluation_inputs", "latest_metric_results", "monitoring_input"]


def latest_metric_results(*, session: Session, model_id: int) -> list[MetricResult]:
    """The newest imported result of each metric of the model, by metric name."""
    latest: dict[str, MetricResult] = {}
    results = session.exec(
        select(MetricResult)
        .where(MetricResult.model_version_id == model_id)
        .order_by(col(MetricResult.measured_at), col(MetricResult.id))
    ).all()
    for result in results:
        latest[result.metric] = result
    return [latest[name] for name in sorted(latest)]


def _source(result: MetricResult) -> str:
    identity = result.dataset_revision or (result.dataset_sha256 or "")[:12]
    return f"import {result.import_id}: {result.task} on {result.dataset_name}@{identity}"


def imported_evaluation_inputs(*, session: Session, model_id: int) -> list[EvaluationInput]:
    """Benchmark, red-team and memorisation entries from the model's imports."""
    inputs = [
        EvaluationInput(
            id=f"metric-{result.id}",
            kind="benchmark",
            metric=result.metric,
            value=result.value,
            threshold=result.threshold,
            baseline=result.baseline,
            measured_at=result.measured_at,
            source=_source(result),
        )
        for result in latest_metric_results(session=session, model_id=model_id)
    ]
    campaigns = records_where(session=session, model=RedTeamCampaign, model_version_id=model_id)
    open_findings = records_where(
        session=session,
        model=RedTeamFinding,
        model_version_id=model_id,
        status=FindingStatus.OPEN.value,
    )
    for campaign in campaigns:
        for tally in campaign.categories:
            inputs.append(
                EvaluationInput(
                    id=f"campaign-{campaign.id}:{tally['category']}",
                    kind="red_team",
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
    tests = records_where(session=session, model=MemorisationTest, model_version_id=model_id)
    inputs += [
        EvaluationInput(
            id=f"memorisation-{test.id}",
            kind="memorisation",
            method=test.method,  # type: ignore[arg-type]
            records_tested=test.records_tested,
            records_elicited=test.records_elicited,
            measured_at=test.measured_at,
        )
        for test in tests
    ]
    return inputs


def monitoring_input(*, session: Session, deployment_id: int) -> MonitoringInput | None:
    """The deployment's monitoring facts, or null when nothing was ever monitored."""
    baseline = session.exec(
        select(MonitoringBaseline).where(MonitoringBaseline.deployment_id == deployment_id)
    ).first()
    latest = session.exec(
        select(MonitoringBatch)
        .where(MonitoringBatch.deployment_id == deployment_id)
        .order_by(col(MonitoringBatch.id).desc())
    ).first()
    incidents = records_where(
        session=session,
        model=Incident,
        deployment_id=deployment_id,
        status=IncidentStatus.OPEN.value,
    )
    if baseline is None and latest is None and not incidents:
        return None
    return MonitoringInput(
        baseline_recorded=baseline is not None,
        latest_batch_at=latest.received_at if latest else None,
        drift=[DriftInput(**figures) for figures in (latest.drift if latest else [])],
        open_incidents=[
            IncidentInput(id=f"incident-{incident.id}", severity=incident.severity)
            for incident in incidents
        ],
    )
