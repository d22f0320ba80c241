"""Moving a run by hand (cancel, back to draft) from a door, with its approval request.

Only the run's requester, its authors or an admin may do it. Cancelling a run that
waits for approval closes its pending request (status ``void``, ledgered, webhook), so
nobody votes on a subject that no longer exists; the request's own flow never moves the
run afterwards.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.approvals.service import close_request
from app.models.base import utc_now
from app.models.governance import ApprovalRequest
from app.models.runs import FineTuneRun, RunState
from app.models.vocabulary import ApprovalStatus, GateSubject
from app.registry.records import get_record, transition_record
from app.registry.runs import ensure_may_change
from app.registry.state_machines import RUN_MACHINE

__all__ = ["move_run"]


def move_run(
    *, session: Session, run_id: int, to: str, actor: str, reason: str = ""
) -> FineTuneRun:
    """Take a run's ungated edge for a person; cancelling closes its pending request."""
    run = get_record(session=session, model=FineTuneRun, record_id=run_id)
    ensure_may_change(session=session, run=run, actor=actor)
    moved = transition_record(
        session=session, machine=RUN_MACHINE, record_id=run_id, to=to, actor=actor, reason=reason
    )
    if to == RunState.CANCELLED:
        pending = session.exec(
            select(ApprovalRequest)
            .where(
                ApprovalRequest.subject_type == GateSubject.RUN,
                ApprovalRequest.subject_id == run_id,
                ApprovalRequest.status == ApprovalStatus.PENDING,
            )
            .order_by(col(ApprovalRequest.id))
        ).all()
        for request in pending:
            close_request(
                session=session,
                request=request,
                status=ApprovalStatus.VOID,
                reason=f"the {request.subject_type} was cancelled by {actor}",
                actor=actor,
                now=utc_now(),
                move_subject=False,
            )
    return moved
