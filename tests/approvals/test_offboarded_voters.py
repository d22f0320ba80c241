"""A request closes on the votes of people who hold their roles when it does.

Found by trying the accounts pages as an admin offboarding an approver for cause: their
vote on a pending promotion still counted, so the next approver's vote completed it.
Deactivating the voter, or revoking the role a vote was cast for, now voids the pending
requests they voted on (ledgered with the reason); the requester asks again.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from app.auth.account_changes import change_roles, deactivate_user
from app.db import session_scope
from app.models.governance import ApprovalRequest
from app.models.ledger import LedgerEvent
from tests.approvals.conftest import Registry
from tests.approvals.test_api_and_portal import _promote

ADMIN = "ada-admin"


def _pending_with_one_vote(people: dict[str, Any], registry: Registry) -> int:
    """A promotion request the compliance officer olivia has approved, still pending."""
    request_id: int = _promote(people, registry)["approval_request"]["id"]
    voted = people["officer"].post(
        f"/api/v1/approvals/{request_id}/votes", json={"decision": "approve", "comment": "ok"}
    )
    assert voted.status_code == 200 and voted.json["status"] == "pending", voted.json
    return request_id


def _closing(engine: Any, request_id: int) -> tuple[str, str | None, list[str]]:
    """The request's status and close reason, and the actors of its ``approval.void`` events."""
    with session_scope(engine) as session:
        request = session.get(ApprovalRequest, request_id)
        assert request is not None
        voids = session.exec(
            select(LedgerEvent.actor).where(
                LedgerEvent.action == "approval.void", LedgerEvent.subject_id == str(request_id)
            )
        ).all()
        return request.status, request.close_reason, list(voids)


@pytest.mark.parametrize(
    "offboard",
    [
        lambda session: deactivate_user(
            session=session, username="olivia", reason="left the company", actor=ADMIN
        ),
        lambda session: (
            change_roles(
                session=session, username="olivia", grant=["auditor"], revoke=[], actor=ADMIN
            ),
            change_roles(
                session=session,
                username="olivia",
                grant=[],
                revoke=["compliance_officer"],
                actor=ADMIN,
            ),
        ),
    ],
    ids=["deactivated", "role_revoked"],
)
def test_an_offboarded_voters_vote_cannot_complete_a_request(
    engine: Any, registry: Registry, people: dict[str, Any], offboard: Any
) -> None:
    request_id = _pending_with_one_vote(people, registry)
    with session_scope(engine) as session:
        offboard(session)
    status, reason, voided_by = _closing(engine, request_id)
    assert status == "void" and voided_by == [ADMIN]
    assert reason is not None and reason.startswith("olivia voted on it and ")
    # The model-risk approver's vote now completes nothing: the request is closed.
    late = people["risk"].post(
        f"/api/v1/approvals/{request_id}/votes",
        json={"decision": "approve", "role": "model_risk"},
    )
    assert late.status_code == 409, late.json
    deployment = people["pipeline"].get(f"/api/v1/deployments/{registry.deployment_id}").json
    assert deployment["state"] != "production"


def test_revoking_a_role_the_vote_was_not_cast_for_leaves_the_request(
    engine: Any, registry: Registry, people: dict[str, Any]
) -> None:
    request_id = _pending_with_one_vote(people, registry)
    with session_scope(engine) as session:
        change_roles(session=session, username="olivia", grant=["auditor"], revoke=[], actor=ADMIN)
    with session_scope(engine) as session:
        change_roles(session=session, username="olivia", grant=[], revoke=["auditor"], actor=ADMIN)
    assert _closing(engine, request_id) == ("pending", None, [])
