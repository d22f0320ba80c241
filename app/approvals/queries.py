"""Read-only questions about approvals, for the doors: what waits for whom, and one request's file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from sqlmodel import Session, col, select

from app.approvals.flows import FLOWS
from app.auth.accounts import roles_of
from app.models.base import utc_now
from app.models.governance import ApprovalRequest, ApprovalVote, PolicyDecision
from app.models.users import User
from app.models.vocabulary import ApprovalStatus
from app.registry.records import get_record, records_where

__all__ = [
    "ApprovalDetails",
    "Inbox",
    "approval_details",
    "eligible_roles",
    "inbox",
    "pending_for",
    "votes_of",
]

#: Closed requests the inbox lists, newest first.
RECENT_CLOSED = 20
#: Open requests per page of the inbox.
OPEN_PAGE = 50
#: Rows read at a time when looking for the requests waiting for someone.
_BATCH = 100


@dataclass(frozen=True)
class ApprovalDetails:
    """Everything a reviewer sees about one request: votes and every decision since."""

    request: ApprovalRequest
    votes: list[ApprovalVote]
    #: Decisions on the subject by the request's gate, from the opening one on.
    decisions: list[PolicyDecision]
    #: The subject's current state (run or deployment).
    subject_state: str


def votes_of(*, session: Session, request_id: int) -> list[ApprovalVote]:
    """Votes on a request in the order they were cast."""
    return records_where(session=session, model=ApprovalVote, request_id=request_id)


def pending_for(
    *, session: Session, username: str, now: datetime | None = None, limit: int | None = None
) -> list[ApprovalRequest]:
    """Open requests ``username`` may still vote on: a required role held, independent, no
    vote yet; oldest first, the first ``limit`` of them when given (the dashboard's few)."""
    now = now or utc_now()
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        return []
    roles = roles_of(session=session, user=user)
    voted = set(
        session.exec(select(ApprovalVote.request_id).where(ApprovalVote.voter == username)).all()
    )
    # Read in batches, so a short list (the dashboard's) stops early on a long queue.
    pending = session.exec(
        select(ApprovalRequest)
        .where(ApprovalRequest.status == ApprovalStatus.PENDING)
        .where(col(ApprovalRequest.expires_at) > now)
        .order_by(col(ApprovalRequest.id))
        .execution_options(yield_per=_BATCH)
    )
    waiting = (
        request
        for request in pending
        if request.id not in voted
        and username not in request.excluded_approvers
        and roles & {r["role"] for r in request.required_approvals}
    )
    try:
        return list(islice(waiting, limit))
    finally:
        pending.close()


def approval_details(*, session: Session, request_id: int) -> ApprovalDetails:
    """A request with its votes, the decisions taken on it and the subject's state."""
    request = get_record(session=session, model=ApprovalRequest, record_id=request_id)
    query = (
        select(PolicyDecision)
        .where(PolicyDecision.gate == request.gate)
        .where(PolicyDecision.subject_type == request.subject_type)
        .where(PolicyDecision.subject_id == request.subject_id)
        .where(col(PolicyDecision.id) >= request.decision_id)
        .order_by(col(PolicyDecision.id))
    )
    later = session.exec(
        select(ApprovalRequest.decision_id)
        .where(ApprovalRequest.subject_type == request.subject_type)
        .where(ApprovalRequest.subject_id == request.subject_id)
        .where(col(ApprovalRequest.id) > request_id)
        .order_by(col(ApprovalRequest.id))
    ).first()
    if later is not None:
        query = query.where(col(PolicyDecision.id) < later)
    decisions = list(session.exec(query).all())
    flow = FLOWS[request.gate]
    subject = get_record(session=session, model=flow.machine.model, record_id=request.subject_id)
    return ApprovalDetails(
        request=request,
        votes=votes_of(session=session, request_id=request_id),
        decisions=decisions,
        subject_state=str(subject.state),
    )


def eligible_roles(request: ApprovalRequest, roles: frozenset[str]) -> list[str]:
    """The required roles of ``request`` among ``roles``, sorted: what a vote may count for.

    The one rule for "as what may this person vote": the portal offers these roles (on an
    open request), and the approvals service refuses a vote for any other.
    """
    return sorted(roles & {required["role"] for required in request.required_approvals})


@dataclass(frozen=True)
class Inbox:
    """The approvals page: a page of open requests, newest first, and the most recently
    closed."""

    open_requests: list[ApprovalRequest]
    #: Cursor of the next (older) page of open requests, None on the last page.
    older_than: int | None
    recent: list[ApprovalRequest]


def inbox(*, session: Session, before: int | None = None) -> Inbox:
    """:data:`OPEN_PAGE` open requests older than the ``before`` id (the newest when None)
    and the :data:`RECENT_CLOSED` most recently closed ones."""
    query = select(ApprovalRequest).where(ApprovalRequest.status == ApprovalStatus.PENDING)
    if before is not None:
        query = query.where(col(ApprovalRequest.id) < before)
    open_requests = list(
        session.exec(query.order_by(col(ApprovalRequest.id).desc()).limit(OPEN_PAGE + 1)).all()
    )
    shown = open_requests[:OPEN_PAGE]
    older_than = shown[-1].id if len(open_requests) > OPEN_PAGE else None
    recent = session.exec(
        select(ApprovalRequest)
        .where(ApprovalRequest.status != ApprovalStatus.PENDING)
        .order_by(col(ApprovalRequest.id).desc())
        .limit(RECENT_CLOSED)
    ).all()
    return Inbox(shown, older_than, list(recent))
