"""Launch approved runs and follow them to the end.

A launch asks the ``training_launch`` gate again (the votes of the approved request are
part of its input) and compares the evidence with what was approved. Only an allow on
unchanged evidence moves the run ``approved → launching``; a launcher failure then moves
it to ``failed`` (fail closed). A changed evidence voids the approval and sends the run
back (``approved → rejected``), to be submitted again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.approvals.service import void_request
from app.gates.service import current_evidence_sha256, evaluate_gate
from app.launch.errors import LauncherError, LaunchRefusedError
from app.launch.launcher import Launcher, LaunchSpec
from app.models.datasets import Dataset
from app.models.governance import ApprovalRequest, PolicyDecision
from app.models.runs import FineTuneRun, RunState
from app.policy.engine import PolicyEngine
from app.registry.records import get_record, update_record
from app.registry.runs import run_dataset_versions, transition_run
from app.registry.state_machines import LAUNCHER_WORKFLOW

__all__ = ["LaunchOutcome", "launch_run", "running_run_ids", "sync_run"]


@dataclass(frozen=True)
class LaunchOutcome:
    """What happened: the run, the decision asked, and why it did not launch (if so)."""

    run: FineTuneRun
    decision: PolicyDecision | None
    refusal: str | None = None


def _approved_request(session: Session, run_id: int) -> ApprovalRequest | None:
    return session.exec(
        select(ApprovalRequest)
        .where(ApprovalRequest.subject_type == "run", ApprovalRequest.subject_id == run_id)
        .where(ApprovalRequest.status == "approved")
        .order_by(col(ApprovalRequest.id).desc())
    ).first()


def _spec(session: Session, run: FineTuneRun, decision: PolicyDecision) -> LaunchSpec:
    hashes = {}
    for version in run_dataset_versions(session=session, run_id=run.id or 0):
        dataset = session.get(Dataset, version.dataset_id)
        hashes[f"{dataset.name if dataset else version.dataset_id}@{version.version}"] = (
            version.content_sha256
        )
    return LaunchSpec(
        run_id=run.id or 0,
        run_name=run.name,
        base_model=run.base_model,
        method=run.method,
        command=tuple(run.training_command),
        gpu_type=run.gpu_type,
        gpu_count=run.gpu_count,
        max_hours=run.max_hours,
        dataset_hashes=hashes,
        decision_id=decision.id or 0,
    )


def launch_run(
    *, session: Session, engine: PolicyEngine, launcher: Launcher, run_id: int, actor: str
) -> LaunchOutcome:
    """Launch an approved run if the gate allows it now on the evidence that was approved."""
    run = get_record(session=session, model=FineTuneRun, record_id=run_id)
    if run.state != RunState.APPROVED:
        raise LaunchRefusedError(
            f"run {run_id} is '{run.state}'; only an approved run can be launched"
        )
    request = _approved_request(session, run_id)
    if request is None:
        raise LaunchRefusedError(f"run {run_id} has no approved approval request")
    if (
        current_evidence_sha256(session=session, gate="training_launch", subject_id=run_id)
        != request.input_sha256
    ):
        reason = f"evidence changed since approval request {request.id} was approved; submit the run again"
        void_request(session=session, request=request, reason=reason, actor=actor)
        return LaunchOutcome(run=run, decision=None, refusal=reason)
    decision = evaluate_gate(
        session=session, engine=engine, gate="training_launch", subject_id=run_id, actor=actor
    )
    if not decision.allow:
        controls = ", ".join(sorted({v["control"] for v in decision.violations}))
        return LaunchOutcome(
            run=run,
            decision=decision,
            refusal=f"training_launch denied at launch ({controls}); decision {decision.id}",
        )
    transition_run(
        session=session,
        run_id=run_id,
        to=RunState.LAUNCHING,
        actor=actor,
        workflow=LAUNCHER_WORKFLOW,
    )
    try:
        reference = launcher.launch(_spec(session, run, decision))
    except LauncherError as error:
        transition_run(
            session=session, run_id=run_id, to=RunState.FAILED, actor=actor, reason=str(error)
        )
        return LaunchOutcome(run=run, decision=decision, refusal=str(error))
    update_record(
        session=session,
        record=run,
        changes={"launcher_kind": launcher.kind, "launcher_ref": reference},
        actor=actor,
        action="run.launched",
        note={"decision_id": decision.id},
    )
    transition_run(session=session, run_id=run_id, to=RunState.RUNNING, actor=actor)
    return LaunchOutcome(run=run, decision=decision)


def sync_run(
    *, session: Session, launcher: Launcher, run_id: int, actor: str = "launcher-sync"
) -> FineTuneRun:
    """Copy the launcher's view of a running run into the registry (succeeded / failed)."""
    run = get_record(session=session, model=FineTuneRun, record_id=run_id)
    if run.state != RunState.RUNNING or not run.launcher_ref:
        return run
    status = launcher.status(run.launcher_ref)
    if status.state in (RunState.SUCCEEDED, RunState.FAILED):
        return transition_run(
            session=session, run_id=run_id, to=status.state, actor=actor, reason=status.detail
        )
    return run


def running_run_ids(*, session: Session) -> list[int]:
    """Runs the status sync should look at."""
    rows = session.exec(select(FineTuneRun.id).where(FineTuneRun.state == RunState.RUNNING)).all()
    return [int(row) for row in rows if row is not None]
