"""Portal pages for gate decisions: the log, and each decision's controls with citations."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Blueprint, current_app, render_template, request

from app.auth.guard import allow
from app.auth.roles import READERS
from app.charts import stacked_bar_chart_svg
from app.db import unit_of_work
from app.models.governance import PolicyDecision
from app.policy.catalogue import load_catalogue
from app.registry.records import get_record, list_records
from app.web.pages import after_cursor

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
    outcomes = Counter((d.gate, "allow" if d.allow else "deny") for d in page.items)
    gates = sorted({g for g, _ in outcomes})
    chart = (
        stacked_bar_chart_svg(
            gates,
            {o: [float(outcomes[(g, o)]) for g in gates] for o in ("allow", "deny")},
            title="Decisions on this page by gate",
            horizontal=True,
        )
        if gates
        else None
    )
    return render_template("web/decisions.html", page=page, chart=chart, gate=gate)


@bp.get("/decisions/<int:decision_id>")
@allow(*READERS)
def decision_detail(decision_id: int) -> Any:
    """One decision: every control's outcome, violations with citations, required approvals."""
    with unit_of_work() as session:
        decision = get_record(session=session, model=PolicyDecision, record_id=decision_id)
    settings = current_app.config["GATEHOUSE"]
    catalogue = {control.id: control for control in load_catalogue(policy_dir=settings.policy_dir)}
    return render_template("web/decision_detail.html", decision=decision, catalogue=catalogue)
