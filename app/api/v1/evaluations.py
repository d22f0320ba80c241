"""Evaluation evidence: imports per model version, red-team findings and their decisions,
and production monitoring of deployments (baseline, batches, incidents).

Imports take the tool's file as a multipart part named ``file`` (and ``baseline`` for
an lm-evaluation-harness baseline); a malformed file is a 422 problem whose ``errors``
list every located issue, and nothing is stored. Monitoring batches come from the
serving side (pipeline tokens); each answers with the drift figures and the policy's
verdict (review, suspension).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from flask import Blueprint, current_app
from pydantic import BaseModel, Field
from sqlmodel import Session, SQLModel
from werkzeug.datastructures import FileStorage

from app.api.v1.common import Answer, ListQuery, list_route, public, route
from app.api.v1.file_parts import FilePart, OptionalFilePart
from app.api.v1.resources import command
from app.auth.guard import current_principal
from app.auth.roles import APPROVERS, GATE_CALLERS, REGISTRARS
from app.errors import ValidationError
from app.evaluations import findings, monitoring
from app.evaluations.importing import FORMATS, ImportOptions, import_evidence
from app.evaluations.schemas import (
    EvaluationSupersede,
    FindingDecision,
    IncidentCreate,
    IncidentResolve,
    MonitoringBatchCreate,
)
from app.evaluations.superseding import supersede_evaluation
from app.gates.engine_binding import current_policy_engine
from app.models.base import RowId
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
from app.models.model_versions import EvaluationPublic
from app.models.monitoring import (
    Incident,
    IncidentPublic,
    MonitoringBaseline,
    MonitoringBaselinePublic,
    MonitoringBatch,
    MonitoringBatchBase,
    MonitoringBatchPublic,
)

bp = Blueprint("api_evaluations", __name__, url_prefix="/api/v1")

ImportFormat = Literal["lm_eval", "generic_json", "generic_csv", "garak", "promptfoo"]
assert set(FORMATS) == set(ImportFormat.__args__)  # type: ignore[attr-defined]


class ImportForm(BaseModel):
    """The results file (and an optional baseline file) and how to read them."""

    file: FilePart
    #: A baseline results file to compare against (the formats that have one).
    baseline: OptionalFilePart = None
    format: ImportFormat
    #: lm_eval only: ``task/metric=name`` pairs separated by commas.
    metric_names: str = ""
    #: Keep red-team samples the PII scanner flags (synthetic canaries, for instance).
    samples_marked_safe: bool = False


class ModelScopedQuery(ListQuery):
    """Filters for a model version's evidence."""

    model_version_id: RowId | None = None


class FindingQuery(ModelScopedQuery):
    """Filters for findings."""

    status: Literal["open", "mitigated", "accepted", "closed"] | None = None
    severity: Literal["critical", "high", "medium", "low"] | None = None
    category: str | None = Field(default=None, max_length=60)


class DeploymentScopedQuery(ListQuery):
    """Filters for monitoring records."""

    deployment_id: RowId | None = None


class MonitoringBatchVerdict(MonitoringBatchBase):
    """A received batch (its figures and drift, not the scores) and the policy's verdict."""

    id: int
    verdict: dict[str, Any]


class IncidentVerdict(IncidentPublic):
    """An opened incident and the policy's verdict on its deployment."""

    verdict: dict[str, Any]


Judged = TypeVar("Judged", MonitoringBatchVerdict, IncidentVerdict)


def _metric_names(text: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        key, _, name = pair.partition("=")
        if not key.strip() or not name.strip():
            raise ValidationError(f"metric_names: '{pair}' is not task/metric=name")
        names[key.strip()] = name.strip()
    return names


def _judged(
    session: Session,
    record: Callable[..., tuple[SQLModel, dict[str, Any]]],
    answer: type[Judged],
    deployment_id: int,
    data: BaseModel,
) -> Judged:
    """What ``record`` stored about the deployment (a batch, an incident) as ``answer``, with
    the verdict the policy then gave on the deployment; the caller is the actor."""
    recorded, verdict = record(
        session=session,
        engine=current_policy_engine(),
        deployment_id=deployment_id,
        data=data,
        actor=current_principal().username,
    )
    return public(answer, recorded, verdict=verdict)


def _baseline_body(_session: Session, baseline: MonitoringBaseline) -> MonitoringBaselinePublic:
    """A baseline as answered: how many scores and which groups, not the scores."""
    return public(
        MonitoringBaselinePublic,
        baseline,
        scores=len(baseline.scores),
        groups=sorted(set(baseline.groups)),
    )


def _read_part(upload: FileStorage) -> bytes:
    limit = current_app.config["GATEHOUSE"].max_upload_bytes
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(f"{upload.name} is larger than {limit} bytes")
    return content


@route(
    bp,
    "POST",
    "/models/<int:model_id>/evidence",
    REGISTRARS,
    status=201,
    answer=EvidenceImportPublic,
)
def import_file(session: Session, model_id: int, form: ImportForm) -> Answer:
    """Import a tool's results file for a model version (all or nothing)."""
    content = _read_part(form.file)
    options = ImportOptions(
        metric_names=_metric_names(form.metric_names),
        baseline=_read_part(form.baseline) if form.baseline else None,
        samples_marked_safe=form.samples_marked_safe,
    )
    record = import_evidence(
        session=session,
        model_id=model_id,
        source_format=form.format,
        content=content,
        file_name=form.file.filename or "",
        actor=current_principal().username,
        options=options,
    )
    return public(EvidenceImportPublic, record)


list_route(
    bp,
    "/evidence-imports",
    EvidenceImport,
    ModelScopedQuery,
    model=EvidenceImportPublic,
    name="list_imports",
    summary="Imported files, oldest first.",
)
list_route(
    bp,
    "/metric-results",
    MetricResult,
    ModelScopedQuery,
    model=MetricResultPublic,
    name="list_metric_results",
    summary="Imported metric results with their task, dataset identity and baseline.",
)
list_route(
    bp,
    "/red-team-campaigns",
    RedTeamCampaign,
    ModelScopedQuery,
    model=RedTeamCampaignPublic,
    name="list_campaigns",
    summary="Red-team campaigns with their per-category tallies.",
)
list_route(
    bp,
    "/findings",
    RedTeamFinding,
    FindingQuery,
    model=RedTeamFindingPublic,
    name="list_findings",
    summary="Red-team findings.",
)
list_route(
    bp,
    "/monitoring-batches",
    MonitoringBatch,
    DeploymentScopedQuery,
    model=MonitoringBatchPublic,
    name="list_batches",
    summary="Monitoring batches with their drift figures.",
)
list_route(
    bp,
    "/incidents",
    Incident,
    DeploymentScopedQuery,
    model=IncidentPublic,
    name="list_incidents",
    summary="Incidents.",
)


command(
    bp,
    "POST",
    "/findings/<int:finding_id>/decisions",
    APPROVERS,
    findings.decide_finding,
    body=FindingDecision,
    answer=RedTeamFindingPublic,
    summary="Mitigate (with evidence), accept (with a justification) or close a finding.",
)


command(
    bp,
    "POST",
    "/evaluations/<int:evaluation_id>/supersede",
    APPROVERS,
    supersede_evaluation,
    body=EvaluationSupersede,
    answer=EvaluationPublic,
    name="supersede",
    summary="Withdraw a wrong evaluation from the gates, with a reason (the record stays).",
)


command(
    bp,
    "PUT",
    "/deployments/<int:deployment_id>/monitoring/baseline",
    GATE_CALLERS,
    monitoring.record_baseline,
    answer=MonitoringBaselinePublic,
    shown_as=_baseline_body,
    name="put_baseline",
    summary="Record the audit baseline of the deployment's scores (replaces an earlier one).",
)


@route(
    bp,
    "POST",
    "/deployments/<int:deployment_id>/monitoring/batches",
    REGISTRARS,
    status=201,
    answer=MonitoringBatchVerdict,
)
def post_batch(session: Session, deployment_id: int, json: MonitoringBatchCreate) -> Answer:
    """Receive a monitoring batch; answers with its drift and the policy's verdict."""
    return _judged(session, monitoring.receive_batch, MonitoringBatchVerdict, deployment_id, json)


@route(
    bp,
    "POST",
    "/deployments/<int:deployment_id>/incidents",
    GATE_CALLERS,
    status=201,
    answer=IncidentVerdict,
)
def post_incident(session: Session, deployment_id: int, json: IncidentCreate) -> Answer:
    """Open an incident on a deployment; answers with the policy's verdict."""
    return _judged(session, monitoring.open_incident, IncidentVerdict, deployment_id, json)


command(
    bp,
    "POST",
    "/incidents/<int:incident_id>/resolution",
    GATE_CALLERS,
    monitoring.resolve_incident,
    body=IncidentResolve,
    answer=IncidentPublic,
    summary="Record how an incident was resolved.",
)
