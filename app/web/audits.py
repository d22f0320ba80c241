"""Portal pages for audits: the list, one audit with its charts and figures, and job runs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from app.audits import service
from app.audits.listing import audit_listing, recent_job_runs
from app.auth.guard import allow
from app.auth.roles import READERS
from app.db import unit_of_work
from app.errors import GatehouseError
from app.models.evidence import AuditRun
from app.models.model_versions import ModelVersion
from app.registry.records import get_record
from app.web.pages import after_cursor

bp = Blueprint("web_audits", __name__)
# Job runs shown on the jobs page.
_RECENT_JOB_RUNS = 100


@bp.get("/audits")
@allow(*READERS)
def audits() -> Any:
    """Every audit run with its headline figures; filter by kind or model version."""
    kind = request.args.get("kind") or None
    model_id = request.args.get("model_version_id", "")
    with unit_of_work() as session:
        listing = audit_listing(
            session=session,
            kind=kind,
            model_version_id=int(model_id) if model_id.isdigit() else None,
            after=after_cursor(),
        )
    return render_template("web/audits.html", **vars(listing), kind=kind)


@bp.get("/audits/<int:audit_id>")
@allow(*READERS)
def audit_detail(audit_id: int) -> Any:
    """One audit: summary, charts, per-group tables or importance, and a decision's reasons."""
    decision_id = request.args.get("decision", "").strip()
    reasons, reasons_error = None, None
    with unit_of_work() as session:
        audit = get_record(session=session, model=AuditRun, record_id=audit_id)
        model = session.get(ModelVersion, audit.model_version_id)
        if decision_id:
            try:
                reasons = service.reasons_for(
                    session=session, audit_id=audit_id, decision_id=decision_id
                )
            except GatehouseError as error:
                reasons_error = str(error)
    return render_template(
        "web/audits_detail.html",
        audit=audit,
        model=model,
        decision_id=decision_id,
        reasons=reasons,
        reasons_error=reasons_error,
    )


@bp.get("/jobs")
@allow(*READERS)
def job_runs() -> Any:
    """What the scheduler ran, newest first: start, end, outcome and error."""
    job_id = request.args.get("job") or None
    with unit_of_work() as session:
        runs = recent_job_runs(session=session, job_id=job_id, limit=_RECENT_JOB_RUNS)
    return render_template("web/audits_jobs.html", runs=runs, job_id=job_id)
