"""Audits for pipelines and reviewers: start one, read its figures, a decision's reasons,
manage audit schedules, and see what the scheduler ran.

``POST /audits`` runs the audit in the request and answers 201 with the finished run,
``succeeded`` or ``failed`` with its one-line error (a failed audit is a result, not an
error). Bad references or parameters are problem bodies (404, 422) and record nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, ConfigDict, Field

from app.api.v1.common import ListQuery, body, created, list_response, page_of, public, responses
from app.api.v1.spec import spec
from app.audits import schedules, service
from app.audits.parameters import AuditKind, AuditParameters
from app.auth.guard import allow, current_principal
from app.auth.roles import GATE_CALLERS, READERS
from app.db import unit_of_work
from app.gates.engine_binding import current_policy_engine
from app.models.evidence import AuditRun, AuditRunPublic, JobRun, JobRunPublic
from app.models.schedules import AuditSchedule, AuditSchedulePublic
from app.models.vocabulary import AuditState
from app.registry.records import get_record, list_records

bp = Blueprint("api_audits", __name__, url_prefix="/api/v1")
TAG = "audits"
#: Who may start audits and manage their schedules: the roles that may ask a gate.
AUDIT_RUNNERS = GATE_CALLERS


class AuditCreate(BaseModel):
    """An audit to run now."""

    model_config = ConfigDict(extra="forbid")

    model_version_id: int = Field(ge=1)
    dataset_version_id: int = Field(ge=1)
    kind: AuditKind
    parameters: AuditParameters = Field(default_factory=AuditParameters)


class AuditListQuery(ListQuery):
    """Filters for audit runs."""

    model_version_id: int | None = None
    dataset_version_id: int | None = None
    kind: AuditKind | None = None
    status: AuditState | None = None


class AuditReadQuery(BaseModel):
    """What to include with an audit's figures."""

    model_config = ConfigDict(extra="forbid")

    #: Include the SVG charts (large).
    charts: bool = False
    #: Include every decision's reasons (large; one decision: the reasons endpoint).
    decisions: bool = False


class ScheduleListQuery(ListQuery):
    """Filters for audit schedules."""

    model_version_id: int | None = None
    kind: AuditKind | None = None
    enabled: bool | None = None


class JobRunListQuery(ListQuery):
    """Filters for job runs (newest last, like every list)."""

    job_id: str | None = None
    outcome: Literal["running", "succeeded", "failed"] | None = None


def _listing(audit: AuditRun) -> dict[str, Any]:
    """An audit without its (large) results: the list view."""
    return body(public(AuditRunPublic, audit, results=None))


def _audit_body(audit: AuditRun, options: AuditReadQuery) -> dict[str, Any]:
    results = dict(audit.results)
    if not options.charts:
        results.pop("charts", None)
    if not options.decisions:
        decisions = results.pop("decisions", None)
        results["decisions_explained"] = len(decisions) if decisions is not None else None
    return body(public(AuditRunPublic, audit, results=results))


@bp.post("/audits")
@allow(*AUDIT_RUNNERS, scope="write")
@spec.validate(json=AuditCreate, resp=responses(created=AuditRunPublic), tags=[TAG])
def start_audit(json: AuditCreate) -> Any:
    """Run a fairness or explainability audit now; 201 with the finished run."""
    with unit_of_work() as session:
        audit = service.run_audit(
            session=session,
            engine=current_policy_engine(),
            model_version_id=json.model_version_id,
            dataset_version_id=json.dataset_version_id,
            kind=json.kind,
            parameters=json.parameters,
            actor=current_principal().username,
        )
        return created(_audit_body(audit, AuditReadQuery()))


@bp.get("/audits")
@allow(*READERS, scope="read")
@spec.validate(query=AuditListQuery, resp=responses(page_of(AuditRunPublic)), tags=[TAG])
def list_audits(query: AuditListQuery) -> Any:
    """Audit runs (figures in ``summary``; full results from the audit itself)."""
    with unit_of_work() as session:
        page = list_records(
            session=session,
            model=AuditRun,
            filters=query.model_dump(exclude={"after", "limit"}),
            after=query.after,
            limit=query.limit,
        )
        return jsonify(
            {"items": [_listing(audit) for audit in page.items], "next_after": page.next_after}
        )


@bp.get("/audits/<int:audit_id>")
@allow(*READERS, scope="read")
@spec.validate(query=AuditReadQuery, resp=responses(AuditRunPublic), tags=[TAG])
def get_audit(audit_id: int, query: AuditReadQuery) -> Any:
    """One audit run with its figures (charts and per-decision reasons on request)."""
    with unit_of_work() as session:
        audit = get_record(session=session, model=AuditRun, record_id=audit_id)
        return jsonify(_audit_body(audit, query))


@bp.get("/audits/<int:audit_id>/reasons/<decision_id>")
@allow(*READERS, scope="read")
@spec.validate(tags=[TAG])
def get_reasons(audit_id: int, decision_id: str) -> Any:
    """The principal reasons of one decision (for an adverse action notice)."""
    with unit_of_work() as session:
        return jsonify(
            service.reasons_for(session=session, audit_id=audit_id, decision_id=decision_id)
        )


@bp.get("/audit-schedules")
@allow(*READERS, scope="read")
@spec.validate(query=ScheduleListQuery, resp=responses(page_of(AuditSchedulePublic)), tags=[TAG])
def list_schedules(query: ScheduleListQuery) -> Any:
    """Audit schedules."""
    return list_response(AuditSchedule, AuditSchedulePublic, query)


@bp.post("/audit-schedules")
@allow(*AUDIT_RUNNERS, scope="write")
@spec.validate(
    json=schedules.AuditScheduleCreate, resp=responses(created=AuditSchedulePublic), tags=[TAG]
)
def create_schedule(json: schedules.AuditScheduleCreate) -> Any:
    """Schedule a recurring audit (five-field cron, UTC); 409 if one exists for the target."""
    with unit_of_work() as session:
        schedule = schedules.create_schedule(
            session=session, data=json, actor=current_principal().username
        )
        return created(body(public(AuditSchedulePublic, schedule)))


@bp.get("/audit-schedules/<int:schedule_id>")
@allow(*READERS, scope="read")
@spec.validate(resp=responses(AuditSchedulePublic), tags=[TAG])
def get_schedule(schedule_id: int) -> Any:
    """One audit schedule."""
    with unit_of_work() as session:
        schedule = get_record(session=session, model=AuditSchedule, record_id=schedule_id)
        return jsonify(body(public(AuditSchedulePublic, schedule)))


@bp.patch("/audit-schedules/<int:schedule_id>")
@allow(*AUDIT_RUNNERS, scope="write")
@spec.validate(json=schedules.AuditScheduleUpdate, resp=responses(AuditSchedulePublic), tags=[TAG])
def update_schedule(schedule_id: int, json: schedules.AuditScheduleUpdate) -> Any:
    """Change a schedule's cron, parameters or enabled flag."""
    with unit_of_work() as session:
        schedule = schedules.update_schedule(
            session=session, schedule_id=schedule_id, data=json, actor=current_principal().username
        )
        return jsonify(body(public(AuditSchedulePublic, schedule)))


@bp.delete("/audit-schedules/<int:schedule_id>")
@allow(*AUDIT_RUNNERS, scope="write")
@spec.validate(tags=[TAG])
def delete_schedule(schedule_id: int) -> Any:
    """Remove a schedule; its past audit runs stay."""
    with unit_of_work() as session:
        schedules.delete_schedule(
            session=session, schedule_id=schedule_id, actor=current_principal().username
        )
    return Response(status=204)


@bp.get("/job-runs")
@allow(*READERS, scope="read")
@spec.validate(query=JobRunListQuery, resp=responses(page_of(JobRunPublic)), tags=[TAG])
def list_job_runs(query: JobRunListQuery) -> Any:
    """What the scheduler ran: start, end, outcome, error and details of each run."""
    return list_response(JobRun, JobRunPublic, query)
