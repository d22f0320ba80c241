"""Portal pages for evaluation evidence: a model's metrics, red-team campaigns and
findings (with the decision form), and a deployment's monitoring trends and incidents."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.auth.guard import allow, current_principal
from app.auth.roles import APPROVERS, GATE_CALLERS, READERS
from app.charts import bar_chart_svg, grouped_bar_chart_svg
from app.db import unit_of_work
from app.errors import GatehouseError
from app.evaluations import findings, monitoring
from app.evaluations.gate_evidence import latest_metric_results
from app.evaluations.report_sections import drift_chart_svg
from app.evaluations.schemas import IncidentCreate
from app.gates.engine_binding import current_policy_engine
from app.models.deployments import Deployment
from app.models.evaluation_evidence import (
    EvidenceImport,
    MemorisationTest,
    MetricResult,
    RedTeamCampaign,
    RedTeamFinding,
)
from app.models.model_versions import ModelVersion
from app.models.vocabulary import FindingSeverity
from app.registry.records import get_record, records_where
from app.web.pages import flash_form_errors

bp = Blueprint("web_evidence", __name__)


class FindingForm(FlaskForm):
    """Mitigate (evidence), accept (justification) or close a finding."""

    action = SelectField(
        "Decision",
        choices=[
            ("mitigate", "Mitigated (evidence)"),
            ("accept", "Accept the risk (justification)"),
            ("close", "Close"),
        ],
        validators=[DataRequired()],
    )
    text = TextAreaField("Evidence or justification", validators=[Length(max=4000)])


class IncidentForm(FlaskForm):
    """Open an incident on the deployment."""

    severity = SelectField(
        "Severity",
        choices=[(s.value, s.value) for s in FindingSeverity],
        validators=[DataRequired()],
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    description = TextAreaField("Description", validators=[Length(max=4000)])


def _metric_chart(results: list[MetricResult]) -> str | None:
    """Model against base model for the ratio metrics (values between 0 and 1)."""
    paired = [
        r for r in results if r.baseline is not None and 0 <= r.value <= 1 and 0 <= r.baseline <= 1
    ]
    if not paired:
        return None
    return grouped_bar_chart_svg(
        [r.metric for r in paired],
        {
            "model": [r.value for r in paired],
            "base model": [float(r.baseline or 0) for r in paired],
        },
        title="Metrics against the base model",
        value_format="{:.3f}",
    )


def _campaign_chart(campaign: RedTeamCampaign) -> str | None:
    rows = [c for c in campaign.categories if c["probes_run"]]
    if not rows:
        return None
    return bar_chart_svg(
        [c["category"] for c in rows],
        [c["failures"] / c["probes_run"] for c in rows],
        title=f"Failure rate per category: {campaign.name}",
        value_format="{:.3f}",
    )


@bp.get("/models/<int:model_id>/evidence")
@allow(*READERS)
def model_evidence(model_id: int) -> Any:
    """A model's imported metrics, red-team campaigns, findings and memorisation tests."""
    with unit_of_work() as session:
        model = get_record(session=session, model=ModelVersion, record_id=model_id)
        results = latest_metric_results(session=session, model_id=model_id)
        imports = {
            record.id: record
            for record in records_where(
                session=session, model=EvidenceImport, model_version_id=model_id
            )
        }
        campaigns = records_where(session=session, model=RedTeamCampaign, model_version_id=model_id)
        model_findings = findings.findings_of(session=session, model_id=model_id)
        tests = records_where(session=session, model=MemorisationTest, model_version_id=model_id)
    charts = [
        chart
        for chart in [_metric_chart(results), *(_campaign_chart(c) for c in campaigns)]
        if chart
    ]
    return render_template(
        "web/model_evidence.html",
        model=model,
        results=results,
        imports=imports,
        campaigns=campaigns,
        findings=model_findings,
        tests=tests,
        charts=charts,
        form=FindingForm(),
    )


@bp.get("/findings")
@allow(*READERS)
def open_findings() -> Any:
    """Every open finding, most severe first."""
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    with unit_of_work() as session:
        rows = session.exec(select(RedTeamFinding).where(RedTeamFinding.status == "open")).all()
        names = {m.id: f"{m.name} {m.version}" for m in session.exec(select(ModelVersion))}
    rows = sorted(rows, key=lambda f: (order.get(f.severity, -1), f.id or 0))
    return render_template("web/findings.html", findings=rows, names=names)


@bp.post("/findings/<int:finding_id>/decide")
@allow(*APPROVERS)
def decide(finding_id: int) -> Any:
    """Record a decision on a finding; refusals (authors, wrong state) are shown."""
    form = FindingForm()
    with unit_of_work() as session:
        model_id = get_record(
            session=session, model=RedTeamFinding, record_id=finding_id
        ).model_version_id
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("web_evidence.model_evidence", model_id=model_id))
    try:
        with unit_of_work() as session:
            findings.decide_finding(
                session=session,
                finding_id=finding_id,
                action=form.action.data or "",
                actor=current_principal().username,
                text=form.text.data or "",
            )
    except GatehouseError as error:
        flash(str(error), "error")
    else:
        flash(f"finding {finding_id}: {form.action.data} recorded", "ok")
    return redirect(url_for("web_evidence.model_evidence", model_id=model_id))


def _trend_charts(batches: list[Any], *, psi_bound: float | None) -> list[str]:
    if not batches:
        return []
    labels = [f"#{b.id}" for b in batches]
    charts = [
        bar_chart_svg(
            labels,
            [b.error_rate for b in batches],
            title="Error rate per batch",
            value_format="{:.3f}",
        ),
        bar_chart_svg(
            labels,
            [b.latency_p99_ms for b in batches],
            title="p99 latency (ms) per batch",
            value_format="{:.0f}",
        ),
    ]
    drift = drift_chart_svg(
        batches,
        title="Population stability index of the scores per batch",
        threshold=psi_bound,
        threshold_label="review bound (policy data)",
    )
    return charts if drift is None else [drift, *charts]


@bp.get("/deployments/<int:deployment_id>/monitoring")
@allow(*READERS)
def deployment_monitoring(deployment_id: int) -> Any:
    """Monitoring trends (volume, errors, latency, drift) and incidents of a deployment."""
    with unit_of_work() as session:
        deployment = get_record(session=session, model=Deployment, record_id=deployment_id)
        batches = monitoring.batches_of(session=session, deployment_id=deployment_id)
        incidents = monitoring.incidents_of(session=session, deployment_id=deployment_id)
    return render_template(
        "web/deployment_monitoring.html",
        deployment=deployment,
        batches=batches,
        incidents=incidents,
        charts=_trend_charts(
            batches, psi_bound=monitoring.review_psi_bound(current_policy_engine())
        ),
        form=IncidentForm(),
    )


@bp.post("/deployments/<int:deployment_id>/incidents")
@allow(*GATE_CALLERS)
def report_incident(deployment_id: int) -> Any:
    """Open an incident; the policy's verdict (review, suspension) is shown."""
    form = IncidentForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("web_evidence.deployment_monitoring", deployment_id=deployment_id))
    try:
        with unit_of_work() as session:
            incident, verdict = monitoring.open_incident(
                session=session,
                engine=current_policy_engine(),
                deployment_id=deployment_id,
                data=IncidentCreate(
                    severity=form.severity.data,
                    title=form.title.data or "",
                    description=form.description.data or "",
                ),
                actor=current_principal().username,
            )
    except GatehouseError as error:
        flash(str(error), "error")
    else:
        flash(
            f"incident {incident.id} opened; deployment {verdict['state']}"
            f"{', marked for review' if verdict['needs_review'] else ''}",
            "ok",
        )
    return redirect(url_for("web_evidence.deployment_monitoring", deployment_id=deployment_id))
