"""The imported evidence as report sections: metrics against the base model, red-team
tallies and findings, memorisation tests, monitoring trends and incidents.

Plain values and SVG charts only; the promotion evidence pack renders them. Finding
samples stay out of reports (they are evidence for reviewers in the portal).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.charts import bar_chart_svg, grouped_bar_chart_svg
from app.evaluations.findings import findings_of
from app.evaluations.gate_evidence import latest_metric_results
from app.evaluations.monitoring import batches_of, incidents_of
from app.models.evaluation_evidence import EvidenceImport, MemorisationTest, RedTeamCampaign
from app.models.monitoring import MonitoringBatch

__all__ = ["drift_chart_svg", "imported_evidence"]


def drift_chart_svg(
    batches: Sequence[MonitoringBatch],
    *,
    title: str,
    threshold: float | None = None,
    threshold_label: str | None = None,
) -> str | None:
    """The score drift (PSI of the first group) of each batch that measured one, as bars;
    None when no batch did. The report and the portal draw the same figure."""
    drifted = [batch for batch in batches if batch.drift]
    if not drifted:
        return None
    return bar_chart_svg(
        [f"#{batch.id}" for batch in drifted],
        [batch.drift[0]["psi"] for batch in drifted],
        title=title,
        threshold=threshold,
        threshold_label=threshold_label,
        value_format="{:.3f}",
    )


def _metric_rows(session: Session, model_id: int) -> list[dict[str, Any]]:
    tools = {
        record.id: f"{record.tool} {record.tool_version or ''}".strip()
        for record in session.exec(
            select(EvidenceImport).where(EvidenceImport.model_version_id == model_id)
        )
    }
    return [
        {
            "metric": result.metric,
            "value": result.value,
            "stderr": result.stderr,
            "baseline": result.baseline,
            "delta": None if result.baseline is None else result.value - result.baseline,
            "task": result.task,
            "dataset": f"{result.dataset_name} @ {result.dataset_revision or (result.dataset_sha256 or '')[:12]}",
            "tool": tools.get(result.import_id, ""),
            "measured_at": result.measured_at,
        }
        for result in latest_metric_results(session=session, model_id=model_id)
    ]


def imported_evidence(
    *, session: Session, model_id: int, deployment_id: int | None
) -> dict[str, Any]:
    """Every section's rows and charts for one model (and its deployment's monitoring)."""
    metrics = _metric_rows(session, model_id)
    campaigns = session.exec(
        select(RedTeamCampaign)
        .where(RedTeamCampaign.model_version_id == model_id)
        .order_by(col(RedTeamCampaign.id))
    ).all()
    tallies = [
        {"campaign": campaign.name, **tally}
        for campaign in campaigns
        for tally in campaign.categories
    ]
    charts: list[str] = []
    paired = [row for row in metrics if row["baseline"] is not None and 0 <= row["value"] <= 1]
    if paired:
        charts.append(
            grouped_bar_chart_svg(
                [row["metric"] for row in paired],
                {
                    "model": [row["value"] for row in paired],
                    "base model": [row["baseline"] for row in paired],
                },
                title="Metrics against the base model",
                value_format="{:.3f}",
            )
        )
    rated = [row for row in tallies if row["probes_run"]]
    if rated:
        charts.append(
            bar_chart_svg(
                [f"{row['category']}" for row in rated],
                [row["failures"] / row["probes_run"] for row in rated],
                title="Red-team failure rate per category",
                value_format="{:.3f}",
            )
        )
    batches = batches_of(session=session, deployment_id=deployment_id) if deployment_id else []
    drift = drift_chart_svg(batches, title="Score drift (PSI against the audit baseline) per batch")
    if drift is not None:
        charts.append(drift)
    return {
        "metrics": metrics,
        "red_team": tallies,
        "findings": [
            {
                "id": finding.id,
                "category": finding.category,
                "severity": finding.severity,
                "title": finding.title,
                "status": finding.status,
                "decided_by": finding.decided_by,
                "note": finding.evidence or finding.justification or "",
            }
            for finding in findings_of(session=session, model_id=model_id)
        ],
        "memorisation": [
            {
                "method": test.method,
                "tested": test.records_tested,
                "elicited": test.records_elicited,
            }
            for test in session.exec(
                select(MemorisationTest).where(MemorisationTest.model_version_id == model_id)
            )
        ],
        "batches": [
            {
                "id": batch.id,
                "period_end": batch.period_end,
                "volume": batch.volume,
                "error_rate": batch.error_rate,
                "latency_p99_ms": batch.latency_p99_ms,
                "psi": batch.drift[0]["psi"] if batch.drift else None,
                "ks_p_value": batch.drift[0]["ks_p_value"] if batch.drift else None,
            }
            for batch in batches
        ],
        "incidents": [
            {
                "id": incident.id,
                "severity": incident.severity,
                "title": incident.title,
                "status": incident.status,
                "resolution": incident.resolution or "",
            }
            for incident in (
                incidents_of(session=session, deployment_id=deployment_id) if deployment_id else []
            )
        ],
        "charts": charts,
    }
