"""Policy decisions, approval requests and votes: the record of who allowed what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import PublicRow, TableRow, json_field, timestamp_field, vocabulary_field
from app.models.users import RoleName
from app.models.vocabulary import (
    ApprovalStatus,
    DecisionOutcome,
    GateName,
    GateSubject,
    VoteDecision,
)


class PolicyDecisionBase(SQLModel):
    """A stored gate decision: what the engine saw and answered."""

    gate: GateName = vocabulary_field(GateName, length=40, index=True)
    subject_type: GateSubject = vocabulary_field(GateSubject, length=20)
    subject_id: int
    input_sha256: str = Field(max_length=64)
    #: Digest of the evidence alone (the input without ``now`` and votes); approvals freeze it.
    evidence_sha256: str = Field(max_length=64)
    bundle_sha256: str = Field(max_length=64)
    engine: str = Field(max_length=20)
    allow: bool
    #: Allowed, denied by the policy, or indeterminate (the engine gave no answer; a deny too).
    outcome: DecisionOutcome = vocabulary_field(DecisionOutcome, length=20)
    result: dict = json_field()
    violations: list[dict] = json_field(default_factory=list)
    error: str | None = Field(default=None, max_length=2000)
    latency_ms: float = 0.0
    actor: str = Field(max_length=80)
    created_at: datetime = timestamp_field(index=True)


class PolicyDecision(TableRow, PolicyDecisionBase, table=True):
    """One answer of the policy engine to one gate question; stored allow or deny."""

    __table_args__ = (sa.Index("ix_policy_decision_subject", "subject_type", "subject_id"),)


class PolicyDecisionPublic(PublicRow, PolicyDecisionBase):
    """A stored decision as the API returns it."""


class PolicyDecisionInput(SQLModel, table=True):
    """The input document a decision was made on, kept so a report can replay it.

    A row of its own rather than a column of ``policy_decision``: listings of decisions
    never load the documents. The document holds classifications, counts and references
    only (see :mod:`app.policy.input_document`), never raw personal data; its canonical
    JSON hashes to the decision's ``input_sha256``.
    """

    __tablename__ = "policy_decision_input"

    decision_id: int = Field(foreign_key="policy_decision.id", primary_key=True)
    document: dict = json_field()


class ApprovalRequestBase(SQLModel):
    """An approval request: the sign-off a gate asked for, and its state."""

    gate: GateName = vocabulary_field(GateName, length=40)
    subject_type: GateSubject = vocabulary_field(GateSubject, length=20)
    subject_id: int
    decision_id: int = Field(foreign_key="policy_decision.id")
    #: [{"role": "compliance_officer", "count": 1}, ...] from the decision.
    required_approvals: list[dict] = json_field(default_factory=list)
    #: SHA-256 of the gate input that was approved; any change voids the approval.
    input_sha256: str = Field(max_length=64)
    status: ApprovalStatus = vocabulary_field(
        ApprovalStatus, length=20, default=ApprovalStatus.PENDING, index=True
    )
    requester: str = Field(max_length=80)
    #: People who may not approve (requester, run and model authors).
    excluded_approvers: list[str] = json_field(default_factory=list)
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
    closed_at: datetime | None = timestamp_field(nullable=True)
    close_reason: str | None = Field(default=None, max_length=2000)


#: What a request is frozen to when it opens (nothing changes them later): its
#: ``approval.requested`` event keeps them, so ``gatehouse ledger reconcile`` finds a row
#: edited afterwards (an approver taken off ``excluded_approvers``, an evidence digest made
#: to match new evidence, an expiry pushed back).
APPROVAL_REQUEST_FROZEN_FIELDS = (
    "gate",
    "subject_type",
    "subject_id",
    "decision_id",
    "required_approvals",
    "input_sha256",
    "requester",
    "excluded_approvers",
    "created_at",
    "expires_at",
)


class ApprovalRequest(TableRow, ApprovalRequestBase, table=True):
    """Human sign-off required by an allow decision, frozen to the evidence it saw."""

    __table_args__ = (sa.Index("ix_approval_subject", "subject_type", "subject_id", "status"),)

    def frozen(self) -> dict[str, Any]:
        """The fields the request is frozen to (:data:`APPROVAL_REQUEST_FROZEN_FIELDS`)."""
        return {name: getattr(self, name) for name in APPROVAL_REQUEST_FROZEN_FIELDS}


class ApprovalRequestPublic(PublicRow, ApprovalRequestBase):
    """An approval request as the API returns it."""


class ApprovalVoteBase(SQLModel):
    """One vote: who, for which role, approve or reject, and why."""

    request_id: int = Field(foreign_key="approval_request.id", index=True)
    voter: str = Field(max_length=80)
    #: The role the vote counts for.
    role: RoleName = vocabulary_field(RoleName, length=40)
    vote: VoteDecision = vocabulary_field(VoteDecision, length=10)
    comment: str = Field(default="", max_length=4000)
    created_at: datetime = timestamp_field()


class ApprovalVote(TableRow, ApprovalVoteBase, table=True):
    """One person's approve or reject on a request; one person counts once."""

    __table_args__ = (sa.UniqueConstraint("request_id", "voter", name="uq_vote_once"),)


class ApprovalVotePublic(PublicRow, ApprovalVoteBase):
    """A vote as the API returns it."""
