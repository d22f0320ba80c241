"""Portal pages for the registry: dashboard, lists, details with lineage, the ledger."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlmodel import SQLModel

from app.approvals.queries import pending_for
from app.auth.guard import allow, current_principal
from app.auth.roles import DATA_STEWARDS, GATE_CALLERS, READERS
from app.charts import count_chart_svg
from app.db import unit_of_work
from app.gates.answers import answers_to
from app.ledger import recent_events
from app.ledger.progress import verify_incrementally
from app.models.datasets import Dataset
from app.models.deployments import Deployment
from app.models.model_versions import ModelVersion
from app.models.runs import FineTuneRun
from app.models.users import RoleName
from app.registry import details
from app.registry.connections import model_names, subject_links
from app.registry.records import list_records
from app.web.pages import after_cursor, catalogue_by_id, holds
from app.web.runs import ActionForm
from app.web.stewardship import ClassificationForm, ErasureForm

bp = Blueprint("web_registry", __name__)

#: Approval requests the dashboard lists as waiting for the viewer (the rest: /approvals).
AWAITING_SHOWN = 10


def _list_page(model: type[SQLModel], template: str, **filters: Any) -> Any:
    """One page of ``model`` (from ``?after=``) rendered with ``template``."""
    with unit_of_work() as session:
        page = list_records(session=session, model=model, filters=filters, after=after_cursor())
    return render_template(template, page=page)


@bp.get("/")
@allow(*READERS)
def dashboard() -> Any:
    """Counts, run and deployment states, and the newest decisions at a glance."""
    principal = current_principal()
    with unit_of_work() as session:
        overview = details.overview(session=session)
        awaiting = pending_for(
            session=session, username=principal.username, limit=AWAITING_SHOWN + 1
        )
        names = subject_links(
            session=session,
            subjects=[(d.subject_type, d.subject_id) for d in overview.decisions]
            + [(r.subject_type, r.subject_id) for r in awaiting],
        )
    charts = [
        count_chart_svg(title, tuple(tally.items()))
        for title, tally in overview.states.items()
        if tally
    ]
    return render_template(
        "web/dashboard.html",
        counts=overview.counts,
        charts=charts,
        decisions=overview.decisions,
        ledger=overview.ledger,
        awaiting=awaiting[:AWAITING_SHOWN],
        more_awaiting=len(awaiting) > AWAITING_SHOWN,
        names=names,
        principal=principal,
    )


@bp.get("/datasets")
@allow(*READERS)
def datasets() -> Any:
    """All datasets."""
    return _list_page(Dataset, "web/datasets.html")


@bp.get("/datasets/<int:dataset_id>")
@allow(*READERS)
def dataset_detail(dataset_id: int) -> Any:
    """A dataset and its versions with classification and validation summary."""
    with unit_of_work() as session:
        found = details.dataset_details(session=session, dataset_id=dataset_id)
    return render_template(
        "web/dataset_detail.html",
        **vars(found),
        can_steward=holds(DATA_STEWARDS),
        classification_form=ClassificationForm(),
        erasure_form=ErasureForm(),
    )


@bp.get("/runs")
@allow(*READERS)
def runs() -> Any:
    """All fine-tune runs."""
    return _list_page(FineTuneRun, "web/runs.html", state=request.args.get("state") or None)


@bp.get("/runs/<int:run_id>")
@allow(*READERS)
def run_detail(run_id: int) -> Any:
    """A run, its datasets and its lineage."""
    principal = current_principal()
    with unit_of_work() as session:
        found = details.run_details(session=session, run_id=run_id)
        answers = answers_to(session=session, decision_ids=[d.id or 0 for d in found.decisions])
    run = found.run
    own = principal.username in (run.requester, *run.authors) or RoleName.ADMIN in principal.roles
    return render_template(
        "web/run_detail.html",
        **vars(found),
        answers=answers,
        catalogue=catalogue_by_id(),
        action=ActionForm(),
        may_submit=own and holds(GATE_CALLERS),
    )


@bp.get("/models")
@allow(*READERS)
def models() -> Any:
    """All model versions."""
    return _list_page(ModelVersion, "web/models.html")


@bp.get("/models/<int:model_id>")
@allow(*READERS)
def model_detail(model_id: int) -> Any:
    """A model version with its card, evaluations and lineage."""
    with unit_of_work() as session:
        found = details.model_details(session=session, model_id=model_id)
    return render_template("web/model_detail.html", **vars(found))


@bp.get("/deployments")
@allow(*READERS)
def deployments() -> Any:
    """All deployments, each with its model's name."""
    with unit_of_work() as session:
        page = list_records(session=session, model=Deployment, after=after_cursor())
        names = model_names(session=session, model_ids={d.model_version_id for d in page.items})
    return render_template("web/deployments.html", page=page, names=names)


@bp.get("/ledger")
@allow(*READERS)
def ledger() -> Any:
    """The ledger, newest first, with the last verification (resumed, not re-walked)."""
    with unit_of_work() as session:
        outcome, _head = verify_incrementally(session=session)
        events = recent_events(session=session, limit=100)
    return render_template("web/ledger.html", outcome=outcome, events=events)
