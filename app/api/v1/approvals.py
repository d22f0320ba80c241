"""Approvals for release pipelines: request a gated transition, read its state, vote.

``POST /runs/{id}/submit`` and ``POST /deployments/{id}/promote`` ask the gate. The
answer is 201 with the opened approval request, or 200 with ``"outcome": "denied"`` and
the violations (the decision is stored either way, so a deny is an answer, not an
error). Errors are problem bodies: 409 for state conflicts (a closed request, a subject
not in the right state), 403 for separation of duties with the reason.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Field as SQLField

from app.api.v1.common import ListQuery, body, created, page_body, page_of, public, responses
from app.api.v1.spec import spec
from app.approvals import queries, service, webhooks
from app.approvals.errors import VoteRefusedError
from app.auth.guard import allow, current_principal
from app.auth.roles import ADMINS, APPROVERS, GATE_CALLERS, READERS
from app.db import unit_of_work
from app.gates.engine_binding import current_policy_engine
from app.models.base import STRICT_INPUT
from app.models.governance import (
    ApprovalRequest,
    ApprovalRequestPublic,
    ApprovalVotePublic,
    PolicyDecision,
)
from app.models.vocabulary import ApprovalStatus, GateName, GateSubject, VoteDecision
from app.models.webhooks import (
    WebhookDelivery,
    WebhookDeliveryPublic,
    WebhookSubscription,
    WebhookSubscriptionBase,
    WebhookSubscriptionCreated,
    WebhookSubscriptionPublic,
)
from app.registry.records import get_record, list_records

bp = Blueprint("api_approvals", __name__, url_prefix="/api/v1")
TAG = "approvals"


class ApprovalListQuery(ListQuery):
    """Filters for approval requests."""

    status: ApprovalStatus | None = None
    gate: GateName | None = None
    subject_type: GateSubject | None = None
    subject_id: int | None = None


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
    """What asking to submit or promote gave: a denial, or the opened request."""

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


def decision_summary(decision: PolicyDecision) -> DecisionSummary:
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


def _requested(session: Any, outcome: service.GateRequestOutcome) -> Any:
    decision = decision_summary(outcome.decision)
    if outcome.request is None:
        denied = GateRequestAnswer(
            outcome="denied",
            decision=decision,
            violations=outcome.decision.violations,
            approval_request=None,
        )
        return jsonify(body(denied))
    details = queries.approval_details(session=session, request_id=outcome.request.id or 0)
    opened = GateRequestAnswer(
        outcome="approval_requested"
        if outcome.request.status == ApprovalStatus.PENDING
        else outcome.request.status,
        decision=decision,
        violations=outcome.decision.violations,
        approval_request=approval_detail(details),
    )
    return created(body(opened))


def _expiry_days() -> int:
    return int(current_app.config["GATEHOUSE"].approval_expiry_days)


@bp.post("/runs/<int:run_id>/submit")
@allow(*GATE_CALLERS, scope="gate")
@spec.validate(resp=responses(GateRequestAnswer, created=GateRequestAnswer), tags=[TAG])
def submit_run(run_id: int) -> Any:
    """Submit a draft run: ask training_launch and, on allow, open its approval request."""
    with unit_of_work() as session:
        outcome = service.submit_run(
            session=session,
            engine=current_policy_engine(),
            run_id=run_id,
            actor=current_principal().username,
            expiry_days=_expiry_days(),
        )
        return _requested(session, outcome)


@bp.post("/deployments/<int:deployment_id>/promote")
@allow(*GATE_CALLERS, scope="gate")
@spec.validate(resp=responses(GateRequestAnswer, created=GateRequestAnswer), tags=[TAG])
def request_promotion(deployment_id: int) -> Any:
    """Ask to promote a staging deployment to production (production_promotion gate)."""
    with unit_of_work() as session:
        outcome = service.request_promotion(
            session=session,
            engine=current_policy_engine(),
            deployment_id=deployment_id,
            actor=current_principal().username,
            expiry_days=_expiry_days(),
        )
        return _requested(session, outcome)


@bp.get("/approvals")
@allow(*READERS, scope="read")
@spec.validate(query=ApprovalListQuery, resp=responses(page_of(ApprovalRequestPublic)), tags=[TAG])
def list_approvals(query: ApprovalListQuery) -> Any:
    """Approval requests, filtered by status, gate or subject."""
    with unit_of_work() as session:
        page = list_records(
            session=session,
            model=ApprovalRequest,
            filters=query.model_dump(exclude={"after", "limit"}),
            after=query.after,
            limit=query.limit,
        )
        return jsonify(page_body(page, ApprovalRequestPublic))


@bp.get("/approvals/pending")
@allow(*READERS, scope="read")
@spec.validate(resp=responses(ApprovalRequestList), tags=[TAG])
def pending_approvals() -> Any:
    """Open requests the caller may still vote on."""
    with unit_of_work() as session:
        items = queries.pending_for(session=session, username=current_principal().username)
        pending = ApprovalRequestList(items=[public(ApprovalRequestPublic, i) for i in items])
        return jsonify(body(pending))


@bp.get("/approvals/<int:request_id>")
@allow(*READERS, scope="read")
@spec.validate(resp=responses(ApprovalRequestDetail), tags=[TAG])
def get_approval(request_id: int) -> Any:
    """A request's state, votes and decisions (with violations)."""
    with unit_of_work() as session:
        details = queries.approval_details(session=session, request_id=request_id)
        return jsonify(body(approval_detail(details)))


@bp.post("/approvals/<int:request_id>/votes")
@allow(*APPROVERS, scope="approve")
@spec.validate(json=VoteRequest, resp=responses(ApprovalRequestDetail), tags=[TAG])
def vote(request_id: int, json: VoteRequest) -> Any:
    """Approve or reject; quorum asks the gate once more, any reject closes the request."""
    principal = current_principal()
    with unit_of_work() as session:
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
        detail = approval_detail(queries.approval_details(session=session, request_id=request_id))
    # Raised after the commit: the expiry or voiding the refusal reports is kept.
    if outcome.refusal is not None:
        raise VoteRefusedError(outcome.refusal)
    return jsonify(body(detail))


@bp.post("/webhooks")
@allow(*ADMINS, scope="write")
@spec.validate(
    json=SubscriptionCreate, resp=responses(created=WebhookSubscriptionCreated), tags=[TAG]
)
def create_webhook(json: SubscriptionCreate) -> Any:
    """Subscribe an endpoint; the signing secret is in this response only."""
    with unit_of_work() as session:
        subscription, secret = webhooks.create_subscription(
            session=session,
            url=json.url,
            events=json.events,
            description=json.description,
            actor=current_principal().username,
        )
        # The one response that carries the secret: the receiver needs it to verify.
        return created(body(public(WebhookSubscriptionCreated, subscription, secret=secret)))


@bp.get("/webhooks")
@allow(*ADMINS, scope="read")
@spec.validate(resp=responses(WebhookSubscriptionList), tags=[TAG])
def list_webhooks() -> Any:
    """Subscriptions (never their secrets)."""
    with unit_of_work() as session:
        page = list_records(session=session, model=WebhookSubscription, limit=200)
        items = [public(WebhookSubscriptionPublic, s) for s in page.items]
        return jsonify(body(WebhookSubscriptionList(items=items)))


@bp.delete("/webhooks/<int:subscription_id>")
@allow(*ADMINS, scope="write")
@spec.validate(resp=responses(WebhookSubscriptionPublic), tags=[TAG])
def deactivate_webhook(subscription_id: int) -> Any:
    """Stop sending to a subscription; its delivery log stays."""
    with unit_of_work() as session:
        subscription = webhooks.deactivate_subscription(
            session=session, subscription_id=subscription_id, actor=current_principal().username
        )
        return jsonify(body(public(WebhookSubscriptionPublic, subscription)))


@bp.get("/webhooks/<int:subscription_id>/deliveries")
@allow(*ADMINS, scope="read")
@spec.validate(query=ListQuery, resp=responses(page_of(WebhookDeliveryPublic)), tags=[TAG])
def list_deliveries(subscription_id: int, query: ListQuery) -> Any:
    """The delivery log of one subscription: status, attempts, response code, last error."""
    with unit_of_work() as session:
        get_record(session=session, model=WebhookSubscription, record_id=subscription_id)
        page = list_records(
            session=session,
            model=WebhookDelivery,
            filters={"subscription_id": subscription_id},
            after=query.after,
            limit=query.limit,
        )
        return jsonify(page_body(page, WebhookDeliveryPublic))
