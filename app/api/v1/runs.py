"""Fine-tune runs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from pydantic import BaseModel

from app.api.v1.common import (
    ListQuery,
    body,
    created,
    list_response,
    page_of,
    public,
    responses,
)
from app.api.v1.spec import spec
from app.approvals.cancellation import move_run
from app.auth.guard import allow, current_principal
from app.auth.roles import READERS, REGISTRARS
from app.db import unit_of_work
from app.gates.engine_binding import current_policy_engine
from app.launch import service as launch_service
from app.launch.binding import current_launcher
from app.models.runs import FineTuneRun, FineTuneRunPublic
from app.problems import problem_response
from app.registry import runs as service
from app.registry.records import get_record
from app.registry.schemas import RunCreate, RunUpdate, TransitionRequest
from app.registry.state_machines import RUN_MACHINE

bp = Blueprint("api_runs", __name__, url_prefix="/api/v1/runs")
TAG = "runs"


class RunListQuery(ListQuery):
    """Filters for runs."""

    state: str | None = None
    platform: str | None = None
    requester: str | None = None


class AttachDataset(BaseModel):
    """A dataset version to attach to a draft run."""

    dataset_version_id: int


class RunDetail(FineTuneRunPublic):
    """A run with the dataset versions it trains on and where it may move next."""

    dataset_version_ids: list[int]
    allowed_transitions: list[str]


class RunLaunched(RunDetail):
    """A launched run and the gate decision that allowed it."""

    decision_id: int | None


def _run_detail(session: Any, run: FineTuneRun) -> RunDetail:
    versions = service.run_dataset_versions(session=session, run_id=run.id or 0)
    return public(
        RunDetail,
        run,
        dataset_version_ids=[v.id for v in versions],
        allowed_transitions=list(RUN_MACHINE.allowed_from(run.state)),
    )


def _run_body(session: Any, run: FineTuneRun) -> dict[str, Any]:
    return body(_run_detail(session, run))


@bp.get("")
@allow(*READERS, scope="read")
@spec.validate(query=RunListQuery, resp=responses(page_of(FineTuneRunPublic)), tags=[TAG])
def list_runs(query: RunListQuery) -> Any:
    """List runs, filtered by state, platform or requester."""
    return list_response(FineTuneRun, FineTuneRunPublic, query)


@bp.post("")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=RunCreate, resp=responses(created=RunDetail), tags=[TAG])
def create_run(json: RunCreate) -> Any:
    """Create a draft run."""
    with unit_of_work() as session:
        run = service.create_run(session=session, data=json, actor=current_principal().username)
        return created(_run_body(session, run))


@bp.get("/<int:run_id>")
@allow(*READERS, scope="read")
@spec.validate(resp=responses(RunDetail), tags=[TAG])
def get_run(run_id: int) -> Any:
    """One run with its dataset versions and allowed transitions."""
    with unit_of_work() as session:
        return jsonify(
            _run_body(session, get_record(session=session, model=FineTuneRun, record_id=run_id))
        )


@bp.patch("/<int:run_id>")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=RunUpdate, resp=responses(RunDetail), tags=[TAG])
def update_run(run_id: int, json: RunUpdate) -> Any:
    """Edit a draft run."""
    with unit_of_work() as session:
        run = service.update_run(
            session=session, run_id=run_id, data=json, actor=current_principal().username
        )
        return jsonify(_run_body(session, run))


@bp.post("/<int:run_id>/datasets")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=AttachDataset, resp=responses(RunDetail), tags=[TAG])
def attach_dataset(run_id: int, json: AttachDataset) -> Any:
    """Attach a dataset version to a draft run."""
    with unit_of_work() as session:
        service.attach_dataset_version(
            session=session,
            run_id=run_id,
            version_id=json.dataset_version_id,
            actor=current_principal().username,
        )
        return jsonify(
            _run_body(session, get_record(session=session, model=FineTuneRun, record_id=run_id))
        )


@bp.post("/<int:run_id>/transitions")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=TransitionRequest, resp=responses(RunDetail), tags=[TAG])
def transition_run(run_id: int, json: TransitionRequest) -> Any:
    """Move a run along its state machine (gated edges go through their workflow)."""
    with unit_of_work() as session:
        run = move_run(
            session=session,
            run_id=run_id,
            to=json.to,
            actor=current_principal().username,
            reason=json.reason,
        )
        return jsonify(_run_body(session, run))


@bp.post("/<int:run_id>/launch")
@allow(*REGISTRARS, scope="gate")
@spec.validate(resp=responses(RunLaunched), tags=[TAG])
def launch_run(run_id: int) -> Any:
    """Launch an approved run: the gate is asked again; 409 says why a launch was refused."""
    with unit_of_work() as session:
        outcome = launch_service.launch_run(
            session=session,
            engine=current_policy_engine(),
            launcher=current_launcher(),
            run_id=run_id,
            actor=current_principal().username,
        )
        detail = _run_detail(session, outcome.run)
        decision_id = outcome.decision.id if outcome.decision else None
    if outcome.refusal is not None:
        return problem_response(
            409, "Launch refused", outcome.refusal, decision_id=decision_id, run=body(detail)
        )
    return jsonify(body(RunLaunched(**dict(detail), decision_id=decision_id)))


class CancelRequest(BaseModel):
    """Why the run is cancelled (ledgered with the transition)."""

    reason: str = ""


@bp.post("/<int:run_id>/cancel")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=CancelRequest, resp=responses(RunDetail), tags=[TAG])
def cancel_run(run_id: int, json: CancelRequest) -> Any:
    """Cancel a run; a running run's training is stopped first (its Job deleted)."""
    with unit_of_work() as session:
        run = launch_service.cancel_run(
            session=session,
            launcher=current_launcher(),
            run_id=run_id,
            actor=current_principal().username,
            reason=json.reason,
        )
        return jsonify(_run_body(session, run))
