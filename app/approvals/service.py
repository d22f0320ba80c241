"""Approval workflows: gated transitions, quorum, separation of duties, frozen evidence.

A run is submitted (``draft → submitted``) and a deployment's promotion requested
(``staging → promotion_requested``) only through :func:`request_approval` with the
subject's :class:`~app.approvals.flows.Flow`, which asks the gate first. The policy
decides; Python only reads its answer. A decision that is denied solely by the approvals control
(``COMMON-APPROVALS`` failing, every other control passing or not applying, and no
fail-closed finding) means "allowed, once the approvals are given": the first question is
always asked before anybody could vote, so it opens the approval request. Any other deny
leaves the subject where it was, with the stored decision saying why.

The request freezes the evidence digest of that decision. Every vote first compares it
with the evidence the gate would see now; a difference voids the request and sends the
subject back (a run to ``rejected``, from where its author returns it to ``draft`` and
submits again; a deployment to ``staging``). When the votes meet the required approvals
per role, the gate is asked again, and only its allow moves the subject on.

Concurrency: each step locks the row it changes (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite transactions are ``BEGIN IMMEDIATE``, see ``app.db``), so racing
voters or pipelines serialise and exactly one of them makes the transition.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.approvals.errors import (
    AlreadyVotedError,
    RequestClosedError,
    RoleNotHeldError,
    SeparationOfDutiesError,
    VoteValidationError,
)
from app.approvals.flows import FLOWS, Flow
from app.approvals.queries import eligible_roles, votes_of
from app.approvals.webhooks import enqueue_event
from app.auth.accounts import roles_of
from app.gates.service import current_evidence_sha256, evaluate_gate
from app.ledger import SCHEDULER_ACTOR, append_record_event
from app.ledger.free_text import refuse_direct_identifiers
from app.models.base import utc_now
from app.models.deployments import Deployment
from app.models.governance import (
    ApprovalRequest,
    ApprovalVote,
    PolicyDecisionBase,
    PolicyDecisionPublic,
)
from app.models.model_versions import ModelVersion
from app.models.runs import FineTuneRun
from app.models.users import RoleName, User
from app.models.vocabulary import ApprovalStatus, GateSubject, VoteDecision
from app.policy.engine import PolicyEngine
from app.registry.involvement import people_involved
from app.registry.records import get_record, ledger_payload, records_where, write_record

__all__ = [
    "APPROVALS_CONTROL",
    "DEFAULT_EXPIRY_DAYS",
    "GateRequestOutcome",
    "VoteOutcome",
    "blocked_only_by_approvals",
    "expire_requests",
    "quorum_met",
    "request_approval",
    "void_for_cancelled_subject",
    "void_for_lost_voter",
    "vote",
    "voting_role",
]

#: The control that counts approvals (policies/common/approvals).
APPROVALS_CONTROL = "COMMON-APPROVALS"
#: Days an approval request stays open unless the settings say otherwise.
DEFAULT_EXPIRY_DAYS = 14


@dataclass(frozen=True)
class GateRequestOutcome:
    """The decision a submission or promotion request got, and the request it opened."""

    #: The stored gate decision (allow or deny, with violations).
    decision: PolicyDecisionPublic
    #: The approval request opened, or None when the gate denied.
    request: ApprovalRequest | None


@dataclass(frozen=True)
class VoteOutcome:
    """What a vote did."""

    request: ApprovalRequest
    #: The recorded vote, or None when it was refused (see ``refusal``).
    vote: ApprovalVote | None
    #: The gate decision taken when quorum was met, if any.
    final_decision: PolicyDecisionPublic | None
    #: Why the vote was not counted (request expired, evidence changed), else None.
    refusal: str | None = None


def blocked_only_by_approvals(decision: PolicyDecisionBase) -> bool:
    """True when the policy allows, or denies only because approvals are still missing.

    Read from the policy's own per-control outcomes: the approvals control failed, no other
    control failed, and every violation is the approvals control's (so no fail-closed,
    input or engine finding).
    """
    if decision.allow:
        return True
    if decision.error is not None:
        return False
    controls = {c["control_id"]: c["status"] for c in decision.result.get("controls", [])}
    return (
        controls.get(APPROVALS_CONTROL) == "fail"
        and all(status != "fail" for cid, status in controls.items() if cid != APPROVALS_CONTROL)
        and all(v["control"] == APPROVALS_CONTROL for v in decision.violations)
    )


def quorum_met(required: list[dict[str, Any]], votes: list[ApprovalVote]) -> bool:
    """Whether the approve votes cover every required role's count, by distinct people.

    This only decides *when* to ask the gate again; the gate's answer decides the outcome.
    """
    approvals = [v for v in votes if v.vote == VoteDecision.APPROVE]
    per_role = Counter(v.role for v in approvals)
    needed = sum(int(r["count"]) for r in required)
    return all(per_role[r["role"]] >= int(r["count"]) for r in required) and (
        len({v.voter for v in approvals}) >= needed
    )


def _request_data(request: ApprovalRequest, **extra: Any) -> dict[str, Any]:
    """The webhook and ledger description of a request."""
    return {
        "request_id": request.id,
        "gate": request.gate,
        "subject_type": request.subject_type,
        "subject_id": request.subject_id,
        "status": request.status,
        "required_approvals": request.required_approvals,
        **extra,
    }


def _record(
    *, session: Session, request: ApprovalRequest, action: str, actor: str, **extra: Any
) -> None:
    """Write the request and ledger ``action`` about it, described as its webhooks describe it."""
    write_record(
        session=session,
        record=request,
        action=action,
        actor=actor,
        payload=_request_data(request, **extra),
    )


def _makers(session: Session, subject: FineTuneRun | Deployment) -> set[str]:
    """Who made the subject: a run's requester and authors; a deployment's model developers
    and the makers of the run that trained the model."""
    if isinstance(subject, FineTuneRun):
        return {subject.requester, *subject.authors}
    model = get_record(session=session, model=ModelVersion, record_id=subject.model_version_id)
    run = session.get(FineTuneRun, model.run_id) if model.run_id else None
    return {*model.developers, *(_makers(session, run) if run is not None else ())}


def request_approval(
    *,
    session: Session,
    engine: PolicyEngine,
    flow: Flow,
    subject_id: int,
    actor: str,
    expiry_days: int = DEFAULT_EXPIRY_DAYS,
    now: datetime | None = None,
) -> GateRequestOutcome:
    """Ask the flow's gate; on allow (or approvals-only deny) move the subject and open a request.

    With :data:`~app.approvals.flows.RUN_FLOW` this submits a draft run (``training_launch``
    decides); with :data:`~app.approvals.flows.PROMOTION_FLOW` it asks to promote a staging
    deployment (``production_promotion`` decides). The flow is data, so both are one entry
    point. The requester, the subject's makers and everybody involved with it may not approve.
    """
    now = now or utc_now()
    subject = get_record(session=session, model=flow.machine.model, record_id=subject_id, lock=True)
    # A subject that cannot move is refused before the gate is asked (no pointless decision).
    flow.machine.check(subject.state, flow.waiting, workflow=flow.request_workflow)
    excluded = {
        actor,
        *_makers(session, subject),
        *people_involved(session=session, subject_type=flow.subject_type, subject_id=subject_id),
    }
    decision = evaluate_gate(
        session=session, engine=engine, gate=flow.gate, subject_id=subject_id, actor=actor, now=now
    )
    if not blocked_only_by_approvals(decision):
        return GateRequestOutcome(decision=decision, request=None)
    flow.transition(
        session, subject_id, flow.waiting, actor, f"gate {flow.gate} decision {decision.id}"
    )
    request = ApprovalRequest(
        gate=flow.gate,
        subject_type=flow.subject_type,
        subject_id=subject_id,
        decision_id=decision.id or 0,
        required_approvals=list(decision.result.get("required_approvals", [])),
        input_sha256=decision.evidence_sha256,
        requester=actor,
        excluded_approvers=sorted(excluded),
        created_at=now,
        expires_at=now + timedelta(days=expiry_days),
    )
    _record(
        session=session,
        request=request,
        action="approval.requested",
        actor=actor,
        decision_id=decision.id,
        frozen=ledger_payload(request.frozen()),
    )
    enqueue_event(
        session=session, event="approval.requested", data=_request_data(request, requester=actor)
    )
    if not request.required_approvals:
        _ask_again(session=session, engine=engine, request=request, actor=actor, now=now)
    return GateRequestOutcome(decision=decision, request=request)


def _close(
    *,
    session: Session,
    request: ApprovalRequest,
    status: ApprovalStatus,
    reason: str,
    actor: str,
    now: datetime,
    move_subject: bool = True,
) -> None:
    """Close a pending request and move its subject on (approved) or back (otherwise).

    ``move_subject=False`` is for a subject that already left the flow (it was cancelled):
    the request closes and the subject stays where it is.
    """
    request.status = status
    request.closed_at = now
    request.close_reason = reason[:2000]
    if move_subject:
        flow = FLOWS[request.gate]
        target = flow.approved if status == ApprovalStatus.APPROVED else flow.returned
        flow.transition(
            session,
            request.subject_id,
            target,
            actor,
            f"approval request {request.id} {status}: {reason}",
        )
    _record(
        session=session,
        request=request,
        action=f"approval.{status}",
        actor=actor,
        reason=reason[:500],
    )
    # Subscribers hear of an expiry apart from the decisions people and gates make.
    event = "approval.expired" if status == ApprovalStatus.EXPIRED else "approval.decided"
    enqueue_event(session=session, event=event, data=_request_data(request, reason=reason))


def void_request(*, session: Session, request: ApprovalRequest, reason: str, actor: str) -> None:
    """Void an approval whose evidence changed; its subject goes back like on any void."""
    _close(
        session=session,
        request=request,
        status=ApprovalStatus.VOID,
        reason=reason,
        actor=actor,
        now=utc_now(),
    )


def void_for_cancelled_subject(
    *, session: Session, subject_type: GateSubject, subject_id: int, actor: str
) -> None:
    """Void the pending request of a subject that was just cancelled, so nobody votes on
    a subject that no longer exists; the subject stays where the cancel put it."""
    pending = records_where(
        session=session,
        model=ApprovalRequest,
        subject_type=subject_type,
        subject_id=subject_id,
        status=ApprovalStatus.PENDING,
    )
    for request in pending:
        _close(
            session=session,
            request=request,
            status=ApprovalStatus.VOID,
            reason=f"the {request.subject_type} was cancelled by {actor}",
            actor=actor,
            now=utc_now(),
            move_subject=False,
        )


def void_for_lost_voter(
    *, session: Session, voter: str, roles: Collection[str] | None, why: str, actor: str
) -> None:
    """Void every pending request that ``voter`` voted on (for one of ``roles``; for any
    role when None) because they can no longer cast that vote (``why``: deactivated, or the
    role revoked). A request closes on the votes of people who hold their roles when it
    does: the vote of an approver offboarded meanwhile, perhaps for cause, must not
    complete it. The requester asks again."""
    query = (
        select(ApprovalRequest)
        .join(ApprovalVote, col(ApprovalVote.request_id) == col(ApprovalRequest.id))
        .where(ApprovalRequest.status == ApprovalStatus.PENDING, ApprovalVote.voter == voter)
        .order_by(col(ApprovalRequest.id))
    )
    if roles is not None:
        query = query.where(col(ApprovalVote.role).in_(list(roles)))
    for request in session.exec(query).all():
        void_request(
            session=session,
            request=request,
            reason=f"{voter} voted on it and {why} (by {actor}): their vote no longer counts",
            actor=actor,
        )


def _expiry_reason(request: ApprovalRequest) -> str:
    return f"expired at {request.expires_at.isoformat()} before a decision"


def _stale(
    *, session: Session, request: ApprovalRequest, now: datetime
) -> tuple[ApprovalStatus, str] | None:
    """Why a pending request can no longer take votes (expired, or its evidence changed)."""
    if now >= request.expires_at:
        return ApprovalStatus.EXPIRED, _expiry_reason(request)
    current = current_evidence_sha256(
        session=session, gate=request.gate, subject_id=request.subject_id
    )
    if current != request.input_sha256:
        return ApprovalStatus.VOID, (
            "the evidence changed since the gate decided (evidence digest "
            f"{request.input_sha256[:12]} is now {current[:12]}); the gate must be asked again"
        )
    return None


def _ask_again(
    *, session: Session, engine: PolicyEngine, request: ApprovalRequest, actor: str, now: datetime
) -> PolicyDecisionPublic:
    """Quorum is met: the gate decides once more; only its allow approves."""
    decision = evaluate_gate(
        session=session,
        engine=engine,
        gate=request.gate,
        subject_id=request.subject_id,
        actor=actor,
        now=now,
    )
    if decision.allow:
        _close(
            session=session,
            request=request,
            status=ApprovalStatus.APPROVED,
            reason=f"required approvals given; gate {request.gate} allowed (decision {decision.id})",
            actor=actor,
            now=now,
        )
    else:
        _record(
            session=session,
            request=request,
            action="approval.gate_denied",
            actor=actor,
            decision_id=decision.id,
            outcome=decision.outcome,
            controls_violated=sorted({v["control"] for v in decision.violations}),
        )
    return decision


def _sod_reason(request: ApprovalRequest, voter: str) -> str:
    who = (
        "requested it" if voter == request.requester else "authored the run or developed the model"
    )
    return (
        f"{voter} may not vote on approval request {request.id}: they {who} "
        "(separation of duties: approvers must be independent of the subject)"
    )


def voting_role(*, request: ApprovalRequest, roles: frozenset[str], asked: str | None) -> str:
    """The role a vote counts for: the one asked for, else the only required role held."""
    if asked:
        return asked
    needed = sorted({r["role"] for r in request.required_approvals})
    candidates = eligible_roles(request, roles)
    if not candidates:
        raise RoleNotHeldError(
            f"approval request {request.id} needs votes from {', '.join(needed) or 'nobody'}; "
            f"you hold {', '.join(sorted(roles)) or 'no role'}"
        )
    if len(candidates) > 1:
        raise VoteValidationError(
            f"say which role this vote counts for: you hold {', '.join(candidates)}"
        )
    return candidates[0]


def vote(
    *,
    session: Session,
    engine: PolicyEngine,
    request_id: int,
    voter: str,
    role: str,
    decision: str,
    comment: str = "",
    now: datetime | None = None,
) -> VoteOutcome:
    """Record an approve or reject by ``voter`` for ``role``, and settle the request if it can.

    Refusals that change nothing raise (role not held, separation of duties, already voted,
    request closed, a reject without comment). An expired request or changed evidence
    closes the request and returns a ``refusal`` instead of raising, so that the closing
    commits; the door reports the refusal after the commit.
    """
    now = now or utc_now()
    request = get_record(session=session, model=ApprovalRequest, record_id=request_id, lock=True)
    try:
        ballot_decision = VoteDecision(decision)
    except ValueError:
        raise VoteValidationError(
            f"decision must be 'approve' or 'reject', not '{decision}'"
        ) from None
    if ballot_decision is VoteDecision.REJECT and not comment.strip():
        raise VoteValidationError("a reject needs a comment saying why")
    refuse_direct_identifiers(field="comment", text=comment)
    if request.status != ApprovalStatus.PENDING:
        raise RequestClosedError(
            f"approval request {request_id} is {request.status}"
            + (f": {request.close_reason}" if request.close_reason else "")
        )
    user = session.exec(select(User).where(User.username == voter)).first()
    if user is None or role not in roles_of(session=session, user=user):
        raise RoleNotHeldError(f"{voter} does not hold the role {role}")
    required_roles = sorted({r["role"] for r in request.required_approvals})
    if role not in required_roles:
        raise VoteValidationError(
            f"approval request {request_id} needs votes from {', '.join(required_roles) or 'nobody'}, not {role}"
        )
    if voter in request.excluded_approvers:
        raise SeparationOfDutiesError(_sod_reason(request, voter))
    involved = people_involved(
        session=session, subject_type=request.subject_type, subject_id=request.subject_id
    )
    if voter in involved:
        raise SeparationOfDutiesError(
            f"{voter} may not vote on approval request {request.id}: they changed the subject "
            f"or its evidence ({involved[voter]}; separation of duties: approvers must be "
            "independent of the subject)"
        )
    votes = votes_of(session=session, request_id=request_id)
    if any(v.voter == voter for v in votes):
        raise AlreadyVotedError(f"{voter} has already voted on approval request {request_id}")
    stale = _stale(session=session, request=request, now=now)
    if stale is not None:
        status, reason = stale
        _close(session=session, request=request, status=status, reason=reason, actor=voter, now=now)
        return VoteOutcome(request=request, vote=None, final_decision=None, refusal=reason)
    ballot = ApprovalVote(
        request_id=request_id,
        voter=voter,
        # roles_of holds only roles that exist, so the vocabulary takes it.
        role=RoleName(role),
        vote=ballot_decision,
        comment=comment,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(ballot)
    except IntegrityError:
        raise AlreadyVotedError(
            f"{voter} has already voted on approval request {request_id}"
        ) from None
    append_record_event(
        session=session,
        record=request,
        action=f"approval.vote_{decision}",
        actor=voter,
        payload={"vote_id": ballot.id, "role": role, "decision": decision},
    )
    if ballot_decision is VoteDecision.REJECT:
        _close(
            session=session,
            request=request,
            status=ApprovalStatus.REJECTED,
            reason=f"rejected by {voter} ({role}): {comment.strip()}",
            actor=voter,
            now=now,
        )
        return VoteOutcome(request=request, vote=ballot, final_decision=None)
    final = None
    if quorum_met(request.required_approvals, [*votes, ballot]):
        final = _ask_again(session=session, engine=engine, request=request, actor=voter, now=now)
    return VoteOutcome(request=request, vote=ballot, final_decision=final)


def expire_requests(*, session: Session, now: datetime | None = None) -> list[ApprovalRequest]:
    """Close every pending request past its expiry and send its subject back (scheduler job)."""
    now = now or utc_now()
    due = session.exec(
        select(ApprovalRequest)
        .where(ApprovalRequest.status == ApprovalStatus.PENDING)
        .where(col(ApprovalRequest.expires_at) <= now)
        .order_by(col(ApprovalRequest.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for request in due:
        _close(
            session=session,
            request=request,
            status=ApprovalStatus.EXPIRED,
            reason=_expiry_reason(request),
            actor=SCHEDULER_ACTOR,
            now=now,
        )
    return list(due)
