"""Fine-tune runs."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel
from sqlmodel import Session

from app.api.v1.common import Answer, ListQuery, dump, public, route
from app.api.v1.resources import Resource
from app.approvals.cancellation import move_run
from app.auth.guard import current_principal
from app.auth.roles import REGISTRARS
from app.gates.engine_binding import current_policy_engine
from app.launch import service as launch_service
from app.launch.binding import current_launcher
from app.launch.errors import LaunchRefusedError
from app.models.base import RowId
from app.models.runs import FineTuneRun, FineTuneRunPublic
from app.models.vocabulary import Platform, RunState
from app.problems import problem_for
from app.registry import runs as service
from app.registry.records import get_record
from app.registry.schemas import TransitionRequest
from app.registry.state_machines import RUN_MACHINE

bp = Blueprint("api_runs", __name__, url_prefix="/api/v1/runs")


class RunListQuery(ListQuery):
    """Filters for runs."""

    state: RunState | None = None
    platform: Platform | None = None
    requester: str | None = None


class AttachDataset(BaseModel):
    """A dataset version to attach to a draft run."""

    dataset_version_id: RowId


class CancelRequest(BaseModel):
    """Why the run is cancelled (ledgered with the transition)."""

    reason: str = ""


class RunDetail(FineTuneRunPublic):
    """A run with the dataset versions it trains on and where it may move next."""

    dataset_version_ids: list[int]
    allowed_transitions: list[str]


class RunLaunched(RunDetail):
    """A launched run and the gate decision that allowed it."""

    decision_id: int | None


def _run_body(session: Session, run: FineTuneRun | int) -> RunDetail:
    """A run (or the run with this id) with its dataset versions and allowed transitions."""
    if isinstance(run, int):
        run = get_record(session=session, model=FineTuneRun, record_id=run)
    versions = service.run_dataset_versions(session=session, run_id=run.id or 0)
    return public(
        RunDetail,
        run,
        dataset_version_ids=[v.id for v in versions],
        allowed_transitions=list(RUN_MACHINE.allowed_from(run.state)),
    )


runs = Resource(bp, FineTuneRun, "run_id", RunDetail, REGISTRARS, body=_run_body)
runs.listing(
    RunListQuery, FineTuneRunPublic, "List runs, filtered by state, platform or requester."
)
runs.create(service.create_run, "Create a draft run.")
runs.get("One run with its dataset versions and allowed transitions.")
runs.update(service.update_run, "Edit a draft run.")


@route(bp, "POST", "/<int:run_id>/datasets", REGISTRARS, answer=RunDetail)
def attach_dataset(session: Session, run_id: int, json: AttachDataset) -> Answer:
    """Attach a dataset version to a draft run."""
    service.attach_dataset_version(
        session=session,
        run_id=run_id,
        version_id=json.dataset_version_id,
        actor=current_principal().username,
    )
    return _run_body(session, run_id)


runs.command(
    "POST",
    "transitions",
    move_run,
    "Move a run along its state machine (gated edges go through their workflow).",
    name="transition_run",
    body=TransitionRequest,
)


@route(
    bp,
    "POST",
    "/<int:run_id>/launch",
    REGISTRARS,
    scope="gate",
    answer=RunLaunched,
    refusals=(502,),
)
def launch_run(session: Session, run_id: int) -> Answer:
    """Launch an approved run: the gate is asked again; 409 says why a launch was refused."""
    outcome = launch_service.launch_run(
        session=session,
        engine=current_policy_engine(),
        launcher=current_launcher(),
        run_id=run_id,
        actor=current_principal().username,
    )
    body = _run_body(session, outcome.run)
    decision_id = outcome.decision.id if outcome.decision else None
    if outcome.refusal is not None:
        # The decision's outcome tells a pipeline a policy deny from an engine that gave no answer.
        decided = {"outcome": outcome.decision.outcome} if outcome.decision else {}
        return problem_for(
            LaunchRefusedError(outcome.refusal), decision_id=decision_id, run=dump(body), **decided
        )
    return RunLaunched(**dict(body), decision_id=decision_id)


runs.command(
    "POST",
    "cancel",
    launch_service.cancel_run,
    "Cancel a run; a running run's training is stopped first (its Job deleted).",
    name="cancel_run",
    body=CancelRequest,
    app_keywords={"launcher": current_launcher},
    refusals=(502,),
)
