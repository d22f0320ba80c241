"""Portal pages for the registry: dashboard, lists, details with lineage, the ledger."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from app.auth.guard import allow, current_principal
from app.auth.roles import DATA_STEWARDS, READERS
from app.charts import bar_chart_svg
from app.db import unit_of_work
from app.ledger import recent_events
from app.ledger.progress import verify_incrementally
from app.models.datasets import Dataset, DatasetVersion
from app.models.deployments import Deployment
from app.models.governance import PolicyDecision
from app.models.model_versions import ModelVersion
from app.models.runs import FineTuneRun
from app.registry import datasets as dataset_service
from app.registry import model_versions as model_service
from app.registry import runs as run_service
from app.registry.lineage import lineage
from app.registry.records import (
    MAX_PAGE_SIZE,
    count_by,
    count_records,
    get_record,
    list_records,
    newest_records,
)
from app.web.stewardship import ClassificationForm, ErasureForm

bp = Blueprint("web_registry", __name__)


def _after() -> int | None:
    value = request.args.get("after", "")
    return int(value) if value.isdigit() else None


@bp.get("/")
@allow(*READERS)
def dashboard() -> Any:
    """Counts, run and deployment states, and the newest decisions at a glance."""
    with unit_of_work() as session:
        counts = {
            "datasets": count_records(session=session, model=Dataset),
            "runs": count_records(session=session, model=FineTuneRun),
            "models": count_records(session=session, model=ModelVersion),
            "deployments": count_records(session=session, model=Deployment),
        }
        states = {
            "Runs by state": count_by(session=session, model=FineTuneRun, column="state"),
            "Deployments by state": count_by(session=session, model=Deployment, column="state"),
        }
        decisions = newest_records(session=session, model=PolicyDecision, limit=10)
        ledger, _head = verify_incrementally(session=session)
    charts = [
        bar_chart_svg(
            list(tally),
            [float(v) for v in tally.values()],
            title=title,
            value_format="{:.0f}",
            horizontal=True,
        )
        for title, tally in states.items()
        if tally
    ]
    return render_template(
        "web/dashboard.html",
        counts=counts,
        charts=charts,
        decisions=decisions,
        ledger=ledger,
        principal=current_principal(),
    )


@bp.get("/datasets")
@allow(*READERS)
def datasets() -> Any:
    """All datasets."""
    with unit_of_work() as session:
        page = list_records(session=session, model=Dataset, after=_after())
    return render_template("web/datasets.html", page=page)


@bp.get("/datasets/<int:dataset_id>")
@allow(*READERS)
def dataset_detail(dataset_id: int) -> Any:
    """A dataset and its versions with classification and validation summary."""
    with unit_of_work() as session:
        dataset = get_record(session=session, model=Dataset, record_id=dataset_id)
        versions = list_records(
            session=session,
            model=DatasetVersion,
            filters={"dataset_id": dataset_id},
            limit=MAX_PAGE_SIZE,
        ).items
        erasures = {
            v.id: dataset_service.open_erasure_requests(session=session, version_id=v.id or 0)
            for v in versions
        }
    can_steward = bool(current_principal().roles & set(DATA_STEWARDS))
    return render_template(
        "web/dataset_detail.html",
        dataset=dataset,
        versions=versions,
        erasures=erasures,
        can_steward=can_steward,
        classification_form=ClassificationForm(),
        erasure_form=ErasureForm(),
    )


@bp.get("/runs")
@allow(*READERS)
def runs() -> Any:
    """All fine-tune runs."""
    with unit_of_work() as session:
        page = list_records(
            session=session,
            model=FineTuneRun,
            filters={"state": request.args.get("state") or None},
            after=_after(),
        )
    return render_template("web/runs.html", page=page)


@bp.get("/runs/<int:run_id>")
@allow(*READERS)
def run_detail(run_id: int) -> Any:
    """A run, its datasets and its lineage."""
    with unit_of_work() as session:
        run = get_record(session=session, model=FineTuneRun, record_id=run_id)
        versions = run_service.run_dataset_versions(session=session, run_id=run_id)
        graph = lineage(session=session, subject_type="run", subject_id=run_id).to_dict()
    return render_template("web/run_detail.html", run=run, versions=versions, graph=graph)


@bp.get("/models")
@allow(*READERS)
def models() -> Any:
    """All model versions."""
    with unit_of_work() as session:
        page = list_records(session=session, model=ModelVersion, after=_after())
    return render_template("web/models.html", page=page)


@bp.get("/models/<int:model_id>")
@allow(*READERS)
def model_detail(model_id: int) -> Any:
    """A model version with its card, evaluations and lineage."""
    with unit_of_work() as session:
        model = get_record(session=session, model=ModelVersion, record_id=model_id)
        card = model_service.card_of(session=session, model_id=model_id)
        evaluations = model_service.evaluations_of(
            session=session, model_id=model_id, include_superseded=True
        )
        graph = lineage(
            session=session, subject_type="model_version", subject_id=model_id
        ).to_dict()
    return render_template(
        "web/model_detail.html",
        model=model,
        card=card,
        missing=model_service.missing_card_sections(card),
        evaluations=evaluations,
        graph=graph,
    )


@bp.get("/deployments")
@allow(*READERS)
def deployments() -> Any:
    """All deployments."""
    with unit_of_work() as session:
        page = list_records(session=session, model=Deployment, after=_after())
    return render_template("web/deployments.html", page=page)


@bp.get("/ledger")
@allow(*READERS)
def ledger() -> Any:
    """The ledger, newest first, with the last verification (resumed, not re-walked)."""
    with unit_of_work() as session:
        outcome, _head = verify_incrementally(session=session)
        events = recent_events(session=session, limit=100)
    return render_template("web/ledger.html", outcome=outcome, events=events)
