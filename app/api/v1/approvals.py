"""Approvals for release pipelines: request a gated transition, read its state, vote.

``POST /runs/{id}/submit`` and ``POST /deployments/{id}/promote`` ask the gate. The
answer is 201 with the opened approval request, or 200 with ``"outcome": "denied"`` and
the violations (the decision is stored either way, so a deny is an answer, not an
error). Errors are problem bodies: 409 for state conflicts (a closed request, a subject
not in the right state), 403 for separation of duties with the reason.
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.api.v1.common import Answer, ListQuery, list_page, list_route, route, to_public
from app.approvals import queries, service, webhooks
from app.approvals.errors import VoteRefusedError
from app.auth.guard import current_principal
from app.auth.roles import ADMINS, APPROVERS, GATE_CALLERS, READERS
from app.gates.engine_binding import current_policy_engine
from app.models.governance import ApprovalRequest, PolicyDecision
from app.models.webhooks import WebhookDelivery, WebhookSubscription
from app.problems import problem_for
from app.registry.records import get_record, list_records

bp = Blueprint("api_approvals", __name__, url_prefix="/api/v1")


class ApprovalListQuery(ListQuery):
    """Filters for approval requests."""

    status: Literal["pending", "approved", "rejected", "expired", "void"] | None = None
    gate: Literal["training_launch", "production_promotion"] | None = None
    subject_type: Literal["run", "deployment"] | None = None
    subject_id: int | None = None


class VoteRequest(BaseModel):
    """An approve or reject; a reject needs a comment."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Literal["approve", "reject"]
    comment: str = Field(default="", max_length=4000)
    #: The role the vote counts for; may be left out when the voter holds only one required role.
    role: str | None = Field(default=None, max_length=40)


class SubscriptionCreate(BaseModel):
    """A webhook endpoint and the approval events it wants."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(min_length=1, max_length=1000)
    events: list[str] = Field(default_factory=lambda: list(webhooks.APPROVAL_EVENTS))
    description: str = Field(default="", max_length=500)


def decision_body(decision: PolicyDecision) -> dict[str, Any]:
    """A decision as the pipeline needs it: outcome, violations, per-control outcomes."""
    return {
        "id": decision.id,
        "gate": decision.gate,
        "allow": decision.allow,
        "violations": decision.violations,
        "warnings": decision.result.get("warnings", []),
        "controls": decision.result.get("controls", []),
        "required_approvals": decision.result.get("required_approvals", []),
        "evidence_sha256": decision.evidence_sha256,
        "engine": decision.engine,
        "error": decision.error,
        "created_at": decision.created_at.isoformat(),
    }


def approval_body(details: queries.ApprovalDetails) -> dict[str, Any]:
    """A request with its votes, its decisions and the subject's state."""
    return to_public(
        details.request,
        subject_state=details.subject_state,
        votes=[to_public(v) for v in details.votes],
        decisions=[decision_body(d) for d in details.decisions],
        latest_decision=decision_body(details.decisions[-1]),
    )


def _requested(session: Session, outcome: service.GateRequestOutcome) -> Answer:
    """200 with the violations when the gate denied, 201 with the opened request."""
    if outcome.request is None:
        return {
            "outcome": "denied",
            "decision": decision_body(outcome.decision),
            "violations": outcome.decision.violations,
            "approval_request": None,
        }
    details = queries.approval_details(session=session, request_id=outcome.request.id or 0)
    response = jsonify(
        {
            "outcome": "approval_requested"
            if outcome.request.status == "pending"
            else outcome.request.status,
            "decision": decision_body(outcome.decision),
            "violations": outcome.decision.violations,
            "approval_request": approval_body(details),
        }
    )
    response.status_code = 201
    return response


def _expiry_days() -> int:
    return int(current_app.config["GATEHOUSE"].approval_expiry_days)


@route(bp, "POST", "/runs/<int:run_id>/submit", GATE_CALLERS, scope="gate")
def submit_run(session: Session, run_id: int) -> Answer:
    """Submit a draft run: ask training_launch and, on allow, open its approval request."""
    outcome = service.submit_run(
        session=session,
        engine=current_policy_engine(),
        run_id=run_id,
        actor=current_principal().username,
        expiry_days=_expiry_days(),
    )
    return _requested(session, outcome)


@route(bp, "POST", "/deployments/<int:deployment_id>/promote", GATE_CALLERS, scope="gate")
def request_promotion(session: Session, deployment_id: int) -> Answer:
    """Ask to promote a staging deployment to production (production_promotion gate)."""
    outcome = service.request_promotion(
        session=session,
        engine=current_policy_engine(),
        deployment_id=deployment_id,
        actor=current_principal().username,
        expiry_days=_expiry_days(),
    )
    return _requested(session, outcome)


list_route(
    bp,
    "/approvals",
    ApprovalRequest,
    ApprovalListQuery,
    name="list_approvals",
    summary="Approval requests, filtered by status, gate or subject.",
)


@route(bp, "GET", "/approvals/pending", READERS, scope="read")
def pending_approvals(session: Session) -> Answer:
    """Open requests the caller may still vote on."""
    items = queries.pending_for(session=session, username=current_principal().username)
    return {"items": [to_public(item) for item in items]}


@route(bp, "GET", "/approvals/<int:request_id>", READERS, scope="read")
def get_approval(session: Session, request_id: int) -> Answer:
    """A request's state, votes and decisions (with violations)."""
    return approval_body(queries.approval_details(session=session, request_id=request_id))


@route(bp, "POST", "/approvals/<int:request_id>/votes", APPROVERS, scope="approve")
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
    return approval_body(queries.approval_details(session=session, request_id=request_id))


def _subscription_body(subscription: WebhookSubscription) -> dict[str, Any]:
    return subscription.model_dump(mode="json", exclude={"secret"})


@route(bp, "POST", "/webhooks", ADMINS, scope="write", status=201)
def create_webhook(session: Session, json: SubscriptionCreate) -> Answer:
    """Subscribe an endpoint; the signing secret is in this response only."""
    subscription, secret = webhooks.create_subscription(
        session=session,
        url=json.url,
        events=json.events,
        description=json.description,
        actor=current_principal().username,
    )
    return {**_subscription_body(subscription), "secret": secret}


@route(bp, "GET", "/webhooks", ADMINS, scope="read")
def list_webhooks(session: Session) -> Answer:
    """Subscriptions (never their secrets)."""
    page = list_records(session=session, model=WebhookSubscription, limit=200)
    return {"items": [_subscription_body(s) for s in page.items]}


@route(bp, "DELETE", "/webhooks/<int:subscription_id>", ADMINS, scope="write")
def deactivate_webhook(session: Session, subscription_id: int) -> Answer:
    """Stop sending to a subscription; its delivery log stays."""
    subscription = webhooks.deactivate_subscription(
        session=session, subscription_id=subscription_id, actor=current_principal().username
    )
    return _subscription_body(subscription)


@route(bp, "GET", "/webhooks/<int:subscription_id>/deliveries", ADMINS, scope="read")
def list_deliveries(session: Session, subscription_id: int, query: ListQuery) -> Answer:
    """The delivery log of one subscription: status, attempts, response code, last error."""
    get_record(session=session, model=WebhookSubscription, record_id=subscription_id)
    return list_page(session, WebhookDelivery, query, subscription_id=subscription_id)
