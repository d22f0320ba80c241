"""Approvals for release pipelines: request a gated transition, read its state, vote.

``POST /runs/{id}/submit`` and ``POST /deployments/{id}/promote`` ask the gate. The
answer is 201 with the opened approval request, or 200 with ``"outcome": "denied"`` and
the violations (the decision is stored either way, so a deny is an answer, not an
error), or 200 with ``"outcome": "indeterminate"`` when the policy engine gave no answer
(failed, hung, unreachable): nothing moved, and asking again later may decide. Errors are problem bodies: 409 for state conflicts (a closed request, a subject
not in the right state), 403 for separation of duties with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Field as SQLField
from sqlmodel import Session

from app.api.v1.common import (
    Answer,
    ListQuery,
    View,
    answered,
    list_page,
    list_route,
    page_of,
    public,
    route,
)
from app.api.v1.errors import SecretNotReplayedError
from app.api.v1.idempotency import AnswerShownOnce
from app.api.v1.resources import command
from app.approvals import queries, service, webhooks
from app.approvals.errors import VoteRefusedError
from app.approvals.flows import PROMOTION_FLOW, RUN_FLOW, Flow
from app.auth.guard import current_principal
from app.auth.roles import ADMINS, APPROVERS, GATE_CALLERS, READERS
from app.gate_requests import request_approval_as_caller
from app.gates.engine_binding import current_policy_engine
from app.models.base import STRICT_INPUT, RowId
from app.models.governance import (
    ApprovalRequest,
    ApprovalRequestPublic,
    ApprovalVotePublic,
    PolicyDecision,
    PolicyDecisionPublic,
)
from app.models.vocabulary import (
    ApprovalStatus,
    DecisionOutcome,
    GateName,
    GateSubject,
    VoteDecision,
)
from app.models.webhooks import (
    WebhookDelivery,
    WebhookDeliveryPublic,
    WebhookSubscription,
    WebhookSubscriptionBase,
    WebhookSubscriptionCreated,
    WebhookSubscriptionPublic,
)
from app.problems import problem_for
from app.registry.records import get_record, list_records

bp = Blueprint("api_approvals", __name__, url_prefix="/api/v1")


class ApprovalListQuery(ListQuery):
    """Filters for approval requests."""

    status: ApprovalStatus | None = None
    gate: GateName | None = None
    subject_type: GateSubject | None = None
    subject_id: RowId | None = None


class VoteRequest(BaseModel):
    """An approve or reject; a reject needs a comment."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: VoteDecision
    comment: str = Field(default="", max_length=4000)
    #: The role the vote counts for; may be left out when the voter holds only one required role.
    role: str | None = Field(default=None, max_length=40)


class SubscriptionCreate(WebhookSubscriptionBase):
    """A webhook endpoint and the approval events it wants."""

    model_config = STRICT_INPUT

    url: str = SQLField(min_length=1, max_length=1000)
    events: list[str] = SQLField(default_factory=lambda: list(webhooks.APPROVAL_EVENTS))


class DecisionSummary(BaseModel):
    """A decision as the pipeline needs it: outcome, violations, per-control outcomes."""

    id: int
    gate: GateName
    allow: bool
    outcome: DecisionOutcome
    violations: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    controls: list[dict[str, Any]]
    required_approvals: list[dict[str, Any]]
    evidence_sha256: str
    engine: str
    error: str | None
    #: ``isoformat()`` of the decision time (``+00:00``), as pipelines have parsed it.
    created_at: str


class ApprovalRequestDetail(ApprovalRequestPublic):
    """A request with its votes, its decisions and the subject's state."""

    subject_state: str
    votes: list[ApprovalVotePublic]
    decisions: list[DecisionSummary]
    latest_decision: DecisionSummary


class GateRequestAnswer(BaseModel):
    """What asking to submit or promote gave: a denial (200), or the opened request (201)."""

    outcome: str
    decision: DecisionSummary
    violations: list[dict[str, Any]]
    approval_request: ApprovalRequestDetail | None


class ApprovalRequestList(BaseModel):
    """Approval requests (not paged)."""

    items: list[ApprovalRequestPublic]


class WebhookSubscriptionList(BaseModel):
    """Subscriptions, never their secrets."""

    items: list[WebhookSubscriptionPublic]


def decision_summary(decision: PolicyDecision | PolicyDecisionPublic) -> DecisionSummary:
    """A decision as the pipeline needs it (the stored result's parts, not the input)."""
    return public(
        DecisionSummary,
        decision,
        warnings=decision.result.get("warnings", []),
        controls=decision.result.get("controls", []),
        required_approvals=decision.result.get("required_approvals", []),
        created_at=decision.created_at.isoformat(),
    )


def approval_detail(details: queries.ApprovalDetails) -> ApprovalRequestDetail:
    """A request with its votes, its decisions and the subject's state."""
    return public(
        ApprovalRequestDetail,
        details.request,
        subject_state=details.subject_state,
        votes=[public(ApprovalVotePublic, v) for v in details.votes],
        decisions=[decision_summary(d) for d in details.decisions],
        latest_decision=decision_summary(details.decisions[-1]),
    )


def _requested(session: Session, outcome: service.GateRequestOutcome) -> Answer:
    """200 with the violations when the gate denied or could not decide, 201 with the
    opened request."""
    decision = decision_summary(outcome.decision)
    if outcome.request is None:
        return GateRequestAnswer(
            outcome=outcome.decision.outcome,
            decision=decision,
            violations=outcome.decision.violations,
            approval_request=None,
        )
    details = queries.approval_details(session=session, request_id=outcome.request.id or 0)
    opened = GateRequestAnswer(
        outcome="approval_requested"
        if outcome.request.status == ApprovalStatus.PENDING
        else outcome.request.status,
        decision=decision,
        violations=outcome.decision.violations,
        approval_request=approval_detail(details),
    )
    return answered(opened, 201)


def _ask_gate(session: Session, flow: Flow, subject_id: int) -> Answer:
    """Ask ``flow``'s gate (submit or promote) for its subject as the caller, with the
    configured expiry, and answer as :func:`_requested` does."""
    outcome = request_approval_as_caller(session=session, flow=flow, subject_id=subject_id)
    return _requested(session, outcome)


def _gate_request_route(rule: str) -> Callable[[View], View]:
    """``POST rule`` asking a gate to open an approval request: 200 with the denial, or 201
    with the opened request (both a :class:`GateRequestAnswer`)."""
    return route(
        bp,
        "POST",
        rule,
        GATE_CALLERS,
        scope="gate",
        answer=GateRequestAnswer,
        other_answers={201: GateRequestAnswer},
    )


@_gate_request_route("/runs/<int:run_id>/submit")
def submit_run(session: Session, run_id: int) -> Answer:
    """Submit a draft run: ask training_launch and, on allow, open its approval request."""
    return _ask_gate(session, RUN_FLOW, run_id)


@_gate_request_route("/deployments/<int:deployment_id>/promote")
def request_promotion(session: Session, deployment_id: int) -> Answer:
    """Ask to promote a staging deployment to production (production_promotion gate)."""
    return _ask_gate(session, PROMOTION_FLOW, deployment_id)


list_route(
    bp,
    "/approvals",
    ApprovalRequest,
    ApprovalListQuery,
    model=ApprovalRequestPublic,
    name="list_approvals",
    summary="Approval requests, filtered by status, gate or subject.",
)


@route(bp, "GET", "/approvals/pending", READERS, answer=ApprovalRequestList)
def pending_approvals(session: Session) -> Answer:
    """Open requests the caller may still vote on."""
    items = queries.pending_for(session=session, username=current_principal().username)
    return ApprovalRequestList(items=[public(ApprovalRequestPublic, i) for i in items])


@route(bp, "GET", "/approvals/<int:request_id>", READERS, answer=ApprovalRequestDetail)
def get_approval(session: Session, request_id: int) -> Answer:
    """A request's state, votes and decisions (with violations)."""
    return approval_detail(queries.approval_details(session=session, request_id=request_id))


@route(
    bp,
    "POST",
    "/approvals/<int:request_id>/votes",
    APPROVERS,
    scope="approve",
    answer=ApprovalRequestDetail,
)
def vote(session: Session, request_id: int, json: VoteRequest) -> Answer:
    """Approve or reject; quorum asks the gate once more, any reject closes the request."""
    principal = current_principal()
    request = get_record(session=session, model=ApprovalRequest, record_id=request_id)
    outcome = service.vote(
        session=session,
        engine=current_policy_engine(),
        request_id=request_id,
        voter=principal.username,
        role=service.voting_role(request=request, roles=principal.roles, asked=json.role),
        decision=json.decision,
        comment=json.comment,
    )
    if outcome.refusal is not None:
        # Answered, not raised: the expiry or voiding the refusal reports is committed.
        return problem_for(VoteRefusedError(outcome.refusal))
    return approval_detail(queries.approval_details(session=session, request_id=request_id))


@route(
    bp,
    "POST",
    "/webhooks",
    ADMINS,
    status=201,
    answer=WebhookSubscriptionCreated,
    refusals=(SecretNotReplayedError.status,),
)
def create_webhook(session: Session, json: SubscriptionCreate) -> Answer:
    """Subscribe an endpoint; the signing secret is in this response only (a retry with
    the same ``Idempotency-Key`` is a 410 problem naming the subscription, never the secret)."""
    subscription, secret = webhooks.create_subscription(
        session=session,
        url=json.url,
        events=json.events,
        description=json.description,
        actor=current_principal().username,
    )
    # The one answer that carries the secret: the receiver needs it to verify. It is never
    # stored for a replay; the key keeps this refusal instead.
    lost = SecretNotReplayedError(
        f"the first request with this Idempotency-Key created webhook subscription "
        f"{subscription.id}; its signing secret was shown once, in that answer, and is not "
        "kept for replays. If that answer was lost, deactivate the subscription (DELETE "
        f"/api/v1/webhooks/{subscription.id}) and subscribe again with a new key: the new "
        "subscription has a new secret"
    )
    created = public(WebhookSubscriptionCreated, subscription, secret=secret)
    return AnswerShownOnce(
        answered(created, 201), replay=problem_for(lost, subscription_id=subscription.id)
    )


@route(bp, "GET", "/webhooks", ADMINS, answer=WebhookSubscriptionList)
def list_webhooks(session: Session) -> Answer:
    """Subscriptions (never their secrets)."""
    page = list_records(session=session, model=WebhookSubscription, limit=200)
    return WebhookSubscriptionList(items=[public(WebhookSubscriptionPublic, s) for s in page.items])


command(
    bp,
    "DELETE",
    "/webhooks/<int:subscription_id>",
    ADMINS,
    webhooks.deactivate_subscription,
    answer=WebhookSubscriptionPublic,
    name="deactivate_webhook",
    summary="Stop sending to a subscription; its delivery log stays.",
)


@route(
    bp,
    "GET",
    "/webhooks/<int:subscription_id>/deliveries",
    ADMINS,
    answer=page_of(WebhookDeliveryPublic),
)
def list_deliveries(session: Session, subscription_id: int, query: ListQuery) -> Answer:
    """The delivery log of one subscription: status, attempts, response code, last error."""
    get_record(session=session, model=WebhookSubscription, record_id=subscription_id)
    return list_page(
        session, WebhookDelivery, WebhookDeliveryPublic, query, subscription_id=subscription_id
    )
