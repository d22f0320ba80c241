"""Moving a run by hand (cancel, back to draft) from a door, with its approval request.

Only the run's requester, its authors or an admin may do it. Cancelling a run that
waits for approval closes its pending request (status ``void``, ledgered, webhook), so
nobody votes on a subject that no longer exists; the request's own flow never moves the
run afterwards.
"""

from __future__ import annotations

from sqlmodel import Session

from app.approvals.service import void_for_cancelled_subject
from app.ledger.free_text import refuse_direct_identifiers
from app.models.runs import FineTuneRun, RunState
from app.models.vocabulary import GateSubject
from app.registry.records import get_record, transition_record
from app.registry.runs import ensure_may_change
from app.registry.state_machines import RUN_MACHINE

__all__ = ["move_run"]


def move_run(
    *, session: Session, run_id: int, to: str, actor: str, reason: str = ""
) -> FineTuneRun:
    """Take a run's ungated edge for a person; cancelling closes its pending request."""
    refuse_direct_identifiers(field="reason", text=reason)
    run = get_record(session=session, model=FineTuneRun, record_id=run_id)
    ensure_may_change(session=session, run=run, actor=actor)
    moved = transition_record(
        session=session, machine=RUN_MACHINE, record_id=run_id, to=to, actor=actor, reason=reason
    )
    if to == RunState.CANCELLED:
        void_for_cancelled_subject(
            session=session, subject_type=GateSubject.RUN, subject_id=run_id, actor=actor
        )
    return moved
