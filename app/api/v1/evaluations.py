"""Evaluation evidence: imports per model version, red-team findings and their decisions,
and production monitoring of deployments (baseline, batches, incidents).

Imports take the tool's file as a multipart part named ``file`` (and ``baseline`` for
an lm-evaluation-harness baseline); a malformed file is a 422 problem whose ``errors``
list every located issue, and nothing is stored. Monitoring batches come from the
serving side (pipeline tokens); each answers with the drift figures and the policy's
verdict (review, suspension).
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel, Field

from app.api.v1.common import ListQuery, body, created, list_response, public
from app.api.v1.spec import spec
from app.auth.guard import allow, current_principal
from app.auth.roles import APPROVERS, GATE_CALLERS, READERS, REGISTRARS
from app.db import unit_of_work
from app.errors import ValidationError
from app.evaluations import findings, monitoring
from app.evaluations.importing import FORMATS, ImportOptions, import_evidence
from app.evaluations.schemas import (
    BaselineCreate,
    FindingDecision,
    IncidentCreate,
    IncidentResolve,
    MonitoringBatchCreate,
)
from app.gates.engine_binding import current_policy_engine
from app.models.evaluation_evidence import (
    EvidenceImport,
    EvidenceImportPublic,
    MetricResult,
    MetricResultPublic,
    RedTeamCampaign,
    RedTeamCampaignPublic,
    RedTeamFinding,
    RedTeamFindingPublic,
)
from app.models.monitoring import (
    Incident,
    IncidentPublic,
    MonitoringBaselinePublic,
    MonitoringBatch,
    MonitoringBatchBase,
    MonitoringBatchPublic,
)

bp = Blueprint("api_evaluations", __name__, url_prefix="/api/v1")
TAG = "evaluations"

ImportFormat = Literal["lm_eval", "generic_json", "generic_csv", "garak", "promptfoo"]
assert set(FORMATS) == set(ImportFormat.__args__)  # type: ignore[attr-defined]


class MonitoringBatchVerdict(MonitoringBatchBase):
    """A received batch (its figures and drift, not the scores) and the policy's verdict."""

    id: int
    verdict: dict[str, Any]


class IncidentVerdict(IncidentPublic):
    """An opened incident and the policy's verdict on its deployment."""

    verdict: dict[str, Any]


class ImportForm(BaseModel):
    """Multipart fields beside the ``file`` (and optional ``baseline``) part."""

    format: ImportFormat
    #: lm_eval only: ``task/metric=name`` pairs separated by commas.
    metric_names: str = ""
    #: Keep red-team samples the PII scanner flags (synthetic canaries, for instance).
    samples_marked_safe: bool = False


class ModelScopedQuery(ListQuery):
    """Filters for a model version's evidence."""

    model_version_id: int | None = None


class FindingQuery(ModelScopedQuery):
    """Filters for findings."""

    status: Literal["open", "mitigated", "accepted", "closed"] | None = None
    severity: Literal["critical", "high", "medium", "low"] | None = None
    category: str | None = Field(default=None, max_length=60)


class DeploymentScopedQuery(ListQuery):
    """Filters for monitoring records."""

    deployment_id: int | None = None


def _metric_names(text: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        key, _, name = pair.partition("=")
        if not key.strip() or not name.strip():
            raise ValidationError(f"metric_names: '{pair}' is not task/metric=name")
        names[key.strip()] = name.strip()
    return names


def _read_part(name: str) -> bytes | None:
    upload = request.files.get(name)
    if upload is None:
        return None
    limit = current_app.config["GATEHOUSE"].max_upload_bytes
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(f"{name} is larger than {limit} bytes")
    return content


@bp.post("/models/<int:model_id>/evidence")
@allow(*REGISTRARS, scope="write")
@spec.validate(form=ImportForm, tags=[TAG])
def import_file(model_id: int, form: ImportForm) -> Any:
    """Import a tool's results file for a model version (all or nothing)."""
    content = _read_part("file")
    upload = request.files.get("file")
    if content is None or upload is None or not upload.filename:
        raise ValidationError("send the results file as a multipart part named 'file'")
    options = ImportOptions(
        metric_names=_metric_names(form.metric_names),
        baseline=_read_part("baseline"),
        samples_marked_safe=form.samples_marked_safe,
    )
    with unit_of_work() as session:
        record = import_evidence(
            session=session,
            model_id=model_id,
            source_format=form.format,
            content=content,
            file_name=upload.filename,
            actor=current_principal().username,
            options=options,
        )
        return created(body(public(EvidenceImportPublic, record)))


@bp.get("/evidence-imports")
@allow(*READERS, scope="read")
@spec.validate(query=ModelScopedQuery, tags=[TAG])
def list_imports(query: ModelScopedQuery) -> Any:
    """Imported files, oldest first."""
    return list_response(EvidenceImport, EvidenceImportPublic, query)


@bp.get("/metric-results")
@allow(*READERS, scope="read")
@spec.validate(query=ModelScopedQuery, tags=[TAG])
def list_metric_results(query: ModelScopedQuery) -> Any:
    """Imported metric results with their task, dataset identity and baseline."""
    return list_response(MetricResult, MetricResultPublic, query)


@bp.get("/red-team-campaigns")
@allow(*READERS, scope="read")
@spec.validate(query=ModelScopedQuery, tags=[TAG])
def list_campaigns(query: ModelScopedQuery) -> Any:
    """Red-team campaigns with their per-category tallies."""
    return list_response(RedTeamCampaign, RedTeamCampaignPublic, query)


@bp.get("/findings")
@allow(*READERS, scope="read")
@spec.validate(query=FindingQuery, tags=[TAG])
def list_findings(query: FindingQuery) -> Any:
    """Red-team findings."""
    return list_response(RedTeamFinding, RedTeamFindingPublic, query)


@bp.post("/findings/<int:finding_id>/decisions")
@allow(*APPROVERS, scope="write")
@spec.validate(json=FindingDecision, tags=[TAG])
def decide_finding(finding_id: int, json: FindingDecision) -> Any:
    """Mitigate (with evidence), accept (with a justification) or close a finding."""
    actor = current_principal().username
    with unit_of_work() as session:
        if json.action == "mitigate":
            finding = findings.mitigate_finding(
                session=session, finding_id=finding_id, evidence=json.text, actor=actor
            )
        elif json.action == "accept":
            finding = findings.accept_finding(
                session=session, finding_id=finding_id, justification=json.text, actor=actor
            )
        else:
            finding = findings.close_finding(session=session, finding_id=finding_id, actor=actor)
        return jsonify(body(public(RedTeamFindingPublic, finding)))


@bp.put("/deployments/<int:deployment_id>/monitoring/baseline")
@allow(*GATE_CALLERS, scope="write")
@spec.validate(json=BaselineCreate, tags=[TAG])
def put_baseline(deployment_id: int, json: BaselineCreate) -> Any:
    """Record the audit baseline of the deployment's scores (replaces an earlier one)."""
    with unit_of_work() as session:
        baseline = monitoring.record_baseline(
            session=session,
            deployment_id=deployment_id,
            data=json,
            actor=current_principal().username,
        )
        return jsonify(
            body(
                public(
                    MonitoringBaselinePublic,
                    baseline,
                    scores=len(baseline.scores),
                    groups=sorted(set(baseline.groups)),
                )
            )
        )


@bp.post("/deployments/<int:deployment_id>/monitoring/batches")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=MonitoringBatchCreate, tags=[TAG])
def post_batch(deployment_id: int, json: MonitoringBatchCreate) -> Any:
    """Receive a monitoring batch; answers with its drift and the policy's verdict."""
    with unit_of_work() as session:
        batch, verdict = monitoring.receive_batch(
            session=session,
            engine=current_policy_engine(),
            deployment_id=deployment_id,
            data=json,
            actor=current_principal().username,
        )
        return created(body(public(MonitoringBatchVerdict, batch, verdict=verdict)))


@bp.get("/monitoring-batches")
@allow(*READERS, scope="read")
@spec.validate(query=DeploymentScopedQuery, tags=[TAG])
def list_batches(query: DeploymentScopedQuery) -> Any:
    """Monitoring batches with their drift figures."""
    return list_response(MonitoringBatch, MonitoringBatchPublic, query)


@bp.post("/deployments/<int:deployment_id>/incidents")
@allow(*GATE_CALLERS, scope="write")
@spec.validate(json=IncidentCreate, tags=[TAG])
def post_incident(deployment_id: int, json: IncidentCreate) -> Any:
    """Open an incident on a deployment; answers with the policy's verdict."""
    with unit_of_work() as session:
        incident, verdict = monitoring.open_incident(
            session=session,
            engine=current_policy_engine(),
            deployment_id=deployment_id,
            data=json,
            actor=current_principal().username,
        )
        return created(body(public(IncidentVerdict, incident, verdict=verdict)))


@bp.get("/incidents")
@allow(*READERS, scope="read")
@spec.validate(query=DeploymentScopedQuery, tags=[TAG])
def list_incidents(query: DeploymentScopedQuery) -> Any:
    """Incidents."""
    return list_response(Incident, IncidentPublic, query)


@bp.post("/incidents/<int:incident_id>/resolution")
@allow(*GATE_CALLERS, scope="write")
@spec.validate(json=IncidentResolve, tags=[TAG])
def resolve_incident(incident_id: int, json: IncidentResolve) -> Any:
    """Record how an incident was resolved."""
    with unit_of_work() as session:
        incident = monitoring.resolve_incident(
            session=session,
            incident_id=incident_id,
            resolution=json.resolution,
            actor=current_principal().username,
        )
        return jsonify(body(public(IncidentPublic, incident)))
