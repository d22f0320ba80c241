"""Launch approved runs, follow them to the end, and cancel them.

A launch asks the ``training_launch`` gate again (the votes of the approved request are
part of its input) and compares the evidence with what was approved. Only an allow on
unchanged evidence reaches the launcher; the run then moves ``approved → launching →
running``, or to ``failed`` when the launcher fails (fail closed). A changed evidence
voids the approval and sends the run back (``approved → rejected``), to be submitted
again. A Job name taken by a Job this launch did not create is refused and the run stays
approved, so it can launch once the stranger is gone.

The run's row is locked for the whole launch, so racing launches of one run serialise:
the first creates the training, the others find the run no longer approved.

Cancelling a running run is the launcher's edge (``running → cancelled``): the training
is stopped first (for Kubernetes, the Job deleted with foreground propagation), so no
door can mark a run cancelled while its Job goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.approvals.service import void_request
from app.attestations.current import current_attestations
from app.gates.service import current_evidence_sha256, evaluate_gate
from app.launch.errors import JobOwnershipError, LauncherError, LaunchRefusedError
from app.launch.launcher import Launcher, LaunchSpec
from app.ledger.free_text import refuse_direct_identifiers
from app.models.base import utc_now
from app.models.datasets import Dataset
from app.models.governance import ApprovalRequest, PolicyDecisionPublic
from app.models.runs import FineTuneRun
from app.models.vocabulary import ApprovalStatus, DecisionOutcome, GateName, RunState
from app.policy.engine import PolicyEngine
from app.registry.instance import instance_id
from app.registry.records import get_record, transition_record, update_record
from app.registry.runs import run_dataset_versions
from app.registry.state_machines import LAUNCHER_SYNC_WORKFLOW, LAUNCHER_WORKFLOW, RUN_MACHINE

__all__ = [
    "LaunchOutcome",
    "cancel_run",
    "launch_run",
    "running_run_ids",
    "sync_run",
    "sync_running_runs",
]


@dataclass(frozen=True)
class LaunchOutcome:
    """What happened: the run, the decision asked, and why it did not launch (if so)."""

    run: FineTuneRun
    decision: PolicyDecisionPublic | None
    refusal: str | None = None


def _approved_request(session: Session, run_id: int) -> ApprovalRequest | None:
    return session.exec(
        select(ApprovalRequest)
        .where(ApprovalRequest.subject_type == "run", ApprovalRequest.subject_id == run_id)
        .where(ApprovalRequest.status == ApprovalStatus.APPROVED)
        .order_by(col(ApprovalRequest.id).desc())
    ).first()


def _attested_hosting(session: Session, run: FineTuneRun) -> str:
    """Hosting as the compliance officer attested it (what the gate read); unknown is external."""
    attested = current_attestations(
        session=session, subject_type="finetune_run", subject_id=run.id or 0, now=utc_now()
    ).get("hosting")
    return str(attested.value) if attested is not None else "external"


def _spec(
    session: Session, run: FineTuneRun, decision: PolicyDecisionPublic, evidence_sha256: str
) -> LaunchSpec:
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
        platform=run.platform,
        hosting=_attested_hosting(session, run),
        method=run.method,
        command=tuple(run.training_command),
        gpu_type=run.gpu_type,
        gpu_count=run.gpu_count,
        max_hours=run.max_hours,
        dataset_hashes=hashes,
        decision_id=decision.id or 0,
        evidence_sha256=evidence_sha256,
        instance_id=instance_id(session=session),
    )


def _note(session: Session, run: FineTuneRun, detail: str, actor: str, action: str) -> None:
    """Record the launcher's word on the run (shown with it), ledgered as ``action``."""
    update_record(
        session=session,
        record=run,
        changes={"launcher_detail": detail[:1000]},
        actor=actor,
        action=action,
    )


def _move(
    session: Session,
    run_id: int,
    to: str,
    actor: str,
    reason: str = "",
    workflow: str | None = LAUNCHER_WORKFLOW,
) -> FineTuneRun:
    """Move the run; by default along the launcher's own edges, which no hand may take."""
    return transition_record(
        session=session,
        machine=RUN_MACHINE,
        record_id=run_id,
        to=to,
        actor=actor,
        reason=reason,
        workflow=workflow,
    )


def launch_run(
    *, session: Session, engine: PolicyEngine, launcher: Launcher, run_id: int, actor: str
) -> LaunchOutcome:
    """Launch an approved run if the gate allows it now on the evidence that was approved."""
    run = get_record(session=session, model=FineTuneRun, record_id=run_id, lock=True)
    if run.state != RunState.APPROVED:
        raise LaunchRefusedError(
            f"run {run_id} is '{run.state}'; only an approved run can be launched"
        )
    request = _approved_request(session, run_id)
    if request is None:
        raise LaunchRefusedError(f"run {run_id} has no approved approval request")
    if (
        current_evidence_sha256(session=session, gate=GateName.TRAINING_LAUNCH, subject_id=run_id)
        != request.input_sha256
    ):
        reason = f"evidence changed since approval request {request.id} was approved; submit the run again"
        void_request(session=session, request=request, reason=reason, actor=actor)
        return LaunchOutcome(run=run, decision=None, refusal=reason)
    decision = evaluate_gate(
        session=session,
        engine=engine,
        gate=GateName.TRAINING_LAUNCH,
        subject_id=run_id,
        actor=actor,
    )
    if decision.outcome is DecisionOutcome.INDETERMINATE:
        return LaunchOutcome(
            run=run,
            decision=decision,
            refusal=f"training_launch could not be decided at launch ({decision.error}); "
            f"decision {decision.id}; nothing was launched, ask again when the policy engine answers",
        )
    if not decision.allow:
        controls = ", ".join(sorted({v["control"] for v in decision.violations}))
        return LaunchOutcome(
            run=run,
            decision=decision,
            refusal=f"training_launch denied at launch ({controls}); decision {decision.id}",
        )
    try:
        reference = launcher.launch(_spec(session, run, decision, request.input_sha256))
    except JobOwnershipError as error:
        _note(session, run, str(error), actor, "run.launch_refused")
        return LaunchOutcome(run=run, decision=decision, refusal=str(error))
    except LauncherError as error:
        _move(session, run_id, RunState.LAUNCHING, actor)
        _note(session, run, str(error), actor, "run.launch_failed")
        _move(session, run_id, RunState.FAILED, actor, reason=str(error))
        return LaunchOutcome(run=run, decision=decision, refusal=str(error))
    _move(session, run_id, RunState.LAUNCHING, actor)
    update_record(
        session=session,
        record=run,
        changes={
            "launcher_kind": launcher.kind,
            "launcher_ref": reference,
            "launcher_detail": f"launched as {reference}",
        },
        actor=actor,
        action="run.launched",
        note={"decision_id": decision.id},
    )
    _move(session, run_id, RunState.RUNNING, actor)
    return LaunchOutcome(run=run, decision=decision)


def _sync(session: Session, launcher: Launcher, run_id: int, actor: str) -> str | None:
    """Sync one run; the launcher's error (also written on the run) or None."""
    run = get_record(session=session, model=FineTuneRun, record_id=run_id, lock=True)
    if run.state != RunState.RUNNING or not run.launcher_ref:
        return None
    try:
        status = launcher.status(run.launcher_ref)
    except LauncherError as error:
        _note(session, run, f"status sync failed: {error}", actor, "run.sync_failed")
        return str(error)
    if status.detail and status.detail != run.launcher_detail:
        _note(session, run, status.detail, actor, "run.launcher_reported")
    if status.state in (RunState.SUCCEEDED, RunState.FAILED):
        _move(session, run_id, status.state, actor, status.detail, LAUNCHER_SYNC_WORKFLOW)
    return None


def sync_run(
    *, session: Session, launcher: Launcher, run_id: int, actor: str = "launcher-sync"
) -> FineTuneRun:
    """Copy the launcher's view of a running run into the registry.

    Progress and errors (a permission missing, the cluster unreachable) are written on
    the run's ``launcher_detail``; only the launcher's succeeded or failed moves its state.
    """
    _sync(session, launcher, run_id, actor)
    return get_record(session=session, model=FineTuneRun, record_id=run_id)


def sync_running_runs(
    *, session: Session, launcher: Launcher, actor: str = "launcher-sync"
) -> dict[str, Any]:
    """Sync every running run; their states, and the error of each run that could not sync."""
    states: dict[str, str] = {}
    errors: dict[str, str] = {}
    for run_id in running_run_ids(session=session):
        error = _sync(session, launcher, run_id, actor)
        if error is not None:
            errors[str(run_id)] = error
        states[str(run_id)] = get_record(session=session, model=FineTuneRun, record_id=run_id).state
    return {"runs": states, "errors": errors}


def cancel_run(
    *, session: Session, launcher: Launcher, run_id: int, actor: str, reason: str = ""
) -> FineTuneRun:
    """Cancel a run; a running one only after its launcher has stopped the training."""
    refuse_direct_identifiers(field="reason", text=reason)
    run = get_record(session=session, model=FineTuneRun, record_id=run_id, lock=True)
    if run.state != RunState.RUNNING:
        return _move(session, run_id, RunState.CANCELLED, actor, reason, workflow=None)
    if run.launcher_kind != launcher.kind or not run.launcher_ref:
        raise LauncherError(
            f"run {run_id} was launched by the '{run.launcher_kind}' launcher; this Gatehouse "
            f"uses '{launcher.kind}' and cannot stop it"
        )
    detail = launcher.cancel(run.launcher_ref)
    update_record(session=session, record=run, changes={"launcher_detail": detail}, actor=actor)
    return _move(session, run_id, RunState.CANCELLED, actor, reason or detail)


def running_run_ids(*, session: Session) -> list[int]:
    """Runs the status sync should look at."""
    rows = session.exec(select(FineTuneRun.id).where(FineTuneRun.state == RunState.RUNNING)).all()
    return [int(row) for row in rows if row is not None]
