"""Portal pages for gate decisions: the log, each decision's controls, and the catalogue."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, render_template, request

from app.auth.guard import allow
from app.auth.roles import READERS, REGISTRARS
from app.charts import cached_stacked_chart_svg
from app.db import unit_of_work
from app.gates.answers import answers_to
from app.models.governance import ApprovalRequest, PolicyDecision
from app.models.vocabulary import DecisionOutcome, GateSubject
from app.policy.catalogue import review_overdue
from app.registry.connections import records_about, subject_links
from app.registry.records import get_record, list_records
from app.web.pages import after_cursor, catalogue_by_id, holds, policy_catalogue
from app.web.runs import AnswerForm

bp = Blueprint("web_decisions", __name__)


@bp.get("/decisions")
@allow(*READERS)
def decisions() -> Any:
    """Every stored decision, newest last, with outcomes per gate as a chart."""
    gate = request.args.get("gate") or None
    with unit_of_work() as session:
        page = list_records(
            session=session, model=PolicyDecision, filters={"gate": gate}, after=after_cursor()
        )
        names = subject_links(
            session=session, subjects=[(d.subject_type, d.subject_id) for d in page.items]
        )
    outcomes = Counter((d.gate, d.outcome) for d in page.items)
    gates = sorted({g for g, _ in outcomes})
    chart = (
        cached_stacked_chart_svg(
            "Decisions on this page by gate",
            tuple(gates),
            tuple((o, tuple(float(outcomes[(g, o)]) for g in gates)) for o in DecisionOutcome),
        )
        if gates
        else None
    )
    return render_template("web/decisions.html", page=page, chart=chart, gate=gate, names=names)


@bp.get("/decisions/<int:decision_id>")
@allow(*READERS)
def decision_detail(decision_id: int) -> Any:
    """One decision: every control's outcome, violations with citations, required approvals."""
    with unit_of_work() as session:
        decision = get_record(session=session, model=PolicyDecision, record_id=decision_id)
        subject = (decision.subject_type, decision.subject_id)
        links = subject_links(session=session, subjects=[subject])
        requests = records_about(
            session=session,
            model=ApprovalRequest,
            subject_type=decision.subject_type,
            subject_id=decision.subject_id,
        )
        answers = answers_to(session=session, decision_ids=[decision_id]).get(decision_id, [])
    catalogue = catalogue_by_id()
    return render_template(
        "web/decision_detail.html",
        decision=decision,
        catalogue=catalogue,
        subject=links.get(subject),
        approval_requests=[r for r in requests if r.decision_id == decision_id],
        answers=answers,
        answer_form=AnswerForm() if _may_answer(decision) else None,
    )


def _may_answer(decision: PolicyDecision) -> bool:
    """Whether the page offers the answer form (the service checks who may answer)."""
    return not decision.allow and decision.subject_type == GateSubject.RUN and holds(REGISTRARS)


@bp.get("/controls")
@allow(*READERS)
def controls() -> Any:
    """The control catalogue by regulation, with review dates and the framework crosswalk.

    ``?regulation=`` narrows to one regulation, ``?framework=`` to the controls that
    serve a framework (e.g. ``nist_ai_rmf``); everything shown is read from METADATA.
    """
    catalogue = policy_catalogue()
    regulation = request.args.get("regulation") or None
    framework = request.args.get("framework") or None
    shown = [
        control
        for control in catalogue
        if regulation in (None, control.regulation)
        and (framework is None or control.frameworks.get(framework))
    ]
    today = datetime.now(UTC).date()
    return render_template(
        "web/controls.html",
        controls=shown,
        regulations=sorted({control.regulation for control in catalogue}),
        frameworks=sorted({name for control in catalogue for name in control.frameworks}),
        regulation=regulation,
        framework=framework,
        overdue={control.id for control in shown if review_overdue(control, today=today)},
    )
