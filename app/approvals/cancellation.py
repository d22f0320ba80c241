"""Moving a run by hand (cancel, back to draft) from a door, with its approval request.

Only the run's requester, its authors or an admin may do it. Cancelling a run that
waits for approval closes its pending request (status ``void``, ledgered, webhook), so
nobody votes on a subject that no longer exists; the request's own flow never moves the
run afterwards.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.approvals.webhooks import enqueue_event
from app.ledger import append_record_event
from app.models.base import utc_now
from app.models.governance import ApprovalRequest
from app.models.runs import FineTuneRun, RunState
from app.models.vocabulary import ApprovalStatus, GateSubject
from app.registry.records import get_record
from app.registry.runs import ensure_may_change, transition_run

__all__ = ["move_run"]


def _close_for_cancelled(session: Session, request: ApprovalRequest, actor: str) -> None:
    reason = f"the {request.subject_type} was cancelled by {actor}"
    request.status = ApprovalStatus.VOID
    request.closed_at = utc_now()
    request.close_reason = reason
    session.add(request)
    session.flush()
    data = {
        "request_id": request.id,
        "gate": request.gate,
        "subject_type": request.subject_type,
        "subject_id": request.subject_id,
        "status": request.status,
        "required_approvals": request.required_approvals,
        "reason": reason,
    }
    append_record_event(
        session=session, record=request, action="approval.void", actor=actor, payload=data
    )
    enqueue_event(session=session, event="approval.decided", data=data)


def move_run(
    *, session: Session, run_id: int, to: str, actor: str, reason: str = ""
) -> FineTuneRun:
    """Take a run's ungated edge for a person; cancelling closes its pending request."""
    run = get_record(session=session, model=FineTuneRun, record_id=run_id)
    ensure_may_change(session=session, run=run, actor=actor)
    moved = transition_run(session=session, run_id=run_id, to=to, actor=actor, reason=reason)
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
            _close_for_cancelled(session, request, actor)
    return moved
