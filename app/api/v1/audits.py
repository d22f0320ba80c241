"""Audits for pipelines and reviewers: start one, read its figures, a decision's reasons,
manage audit schedules, and see what the scheduler ran.

``POST /audits`` runs the audit in the request and answers 201 with the finished run,
``succeeded`` or ``failed`` with its one-line error (a failed audit is a result, not an
error). Bad references or parameters are problem bodies (404, 422) and record nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.api.v1.common import (
    Answer,
    ListQuery,
    dump,
    list_page,
    list_route,
    page_of,
    public,
    route,
)
from app.api.v1.resources import Resource
from app.audits import schedules, service
from app.audits.parameters import AuditKind, AuditParameters
from app.auth.guard import current_principal
from app.auth.roles import GATE_CALLERS, READERS
from app.gates.engine_binding import current_policy_engine
from app.models.base import RowId
from app.models.evidence import AuditRun, AuditRunPublic, JobRun, JobRunPublic
from app.models.schedules import AuditSchedule, AuditSchedulePublic
from app.models.vocabulary import AuditState
from app.registry.records import get_record

bp = Blueprint("api_audits", __name__, url_prefix="/api/v1")
#: Who may start audits and manage their schedules: the roles that may ask a gate.
AUDIT_RUNNERS = GATE_CALLERS


class AuditCreate(BaseModel):
    """An audit to run now."""

    model_config = ConfigDict(extra="forbid")

    model_version_id: RowId
    dataset_version_id: RowId
    kind: AuditKind
    parameters: AuditParameters = Field(default_factory=AuditParameters)


class AuditListQuery(ListQuery):
    """Filters for audit runs."""

    model_version_id: RowId | None = None
    dataset_version_id: RowId | None = None
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

    model_version_id: RowId | None = None
    kind: AuditKind | None = None
    enabled: bool | None = None


class JobRunListQuery(ListQuery):
    """Filters for job runs (newest last, like every list)."""

    job_id: str | None = None
    outcome: Literal["running", "succeeded", "failed"] | None = None


def _audit_body(audit: AuditRun, options: AuditReadQuery) -> dict[str, Any]:
    results = dict(audit.results)
    if not options.charts:
        results.pop("charts", None)
    if not options.decisions:
        decisions = results.pop("decisions", None)
        results["decisions_explained"] = len(decisions) if decisions is not None else None
    return dump(public(AuditRunPublic, audit, results=results))


@route(bp, "POST", "/audits", AUDIT_RUNNERS, status=201, answer=AuditRunPublic)
def start_audit(session: Session, json: AuditCreate) -> Answer:
    """Run a fairness or explainability audit now; 201 with the finished run."""
    audit = service.run_audit(
        session=session,
        engine=current_policy_engine(),
        model_version_id=json.model_version_id,
        dataset_version_id=json.dataset_version_id,
        kind=json.kind,
        parameters=json.parameters,
        actor=current_principal().username,
    )
    return _audit_body(audit, AuditReadQuery())


@route(bp, "GET", "/audits", READERS, answer=page_of(AuditRunPublic))
def list_audits(session: Session, query: AuditListQuery) -> Answer:
    """Audit runs (figures in ``summary``; full results from the audit itself)."""
    # The list leaves each audit's (large) results out.
    return list_page(session, AuditRun, AuditRunPublic, query, item_extra={"results": None})


@route(bp, "GET", "/audits/<int:audit_id>", READERS, answer=AuditRunPublic)
def get_audit(session: Session, audit_id: int, query: AuditReadQuery) -> Answer:
    """One audit run with its figures (charts and per-decision reasons on request)."""
    audit = get_record(session=session, model=AuditRun, record_id=audit_id)
    return _audit_body(audit, query)


class DecisionReasons(BaseModel):
    """The principal reasons of one decision, from a succeeded explainability audit."""

    audit_id: int
    decision_id: str
    output: Any
    output_kind: str | None
    method: str | None
    reasons: list[dict[str, Any]]


@route(
    bp,
    "GET",
    "/audits/<int:audit_id>/reasons/<decision_id>",
    READERS,
    answer=DecisionReasons,
    refusals=(409,),
)
def get_reasons(session: Session, audit_id: int, decision_id: str) -> Answer:
    """The principal reasons of one decision (for an adverse action notice)."""
    return service.reasons_for(session=session, audit_id=audit_id, decision_id=decision_id)


audit_schedules = Resource(
    bp, AuditSchedule, "schedule_id", AuditSchedulePublic, AUDIT_RUNNERS, rule="/audit-schedules"
)
audit_schedules.listing(ScheduleListQuery, AuditSchedulePublic, "Audit schedules.")
audit_schedules.create(
    schedules.create_schedule,
    "Schedule a recurring audit (five-field cron, UTC); 409 if one exists for the target.",
)
audit_schedules.get("One audit schedule.")
audit_schedules.update(
    schedules.update_schedule, "Change a schedule's cron, parameters or enabled flag."
)


@route(bp, "DELETE", "/audit-schedules/<int:schedule_id>", AUDIT_RUNNERS, status=204)
def delete_schedule(session: Session, schedule_id: int) -> Answer:
    """Remove a schedule; its past audit runs stay."""
    schedules.delete_schedule(
        session=session, schedule_id=schedule_id, actor=current_principal().username
    )
    return Response(status=204)


list_route(
    bp,
    "/job-runs",
    JobRun,
    JobRunListQuery,
    model=JobRunPublic,
    name="list_job_runs",
    summary="What the scheduler ran: start, end, outcome, error and details of each run.",
)
