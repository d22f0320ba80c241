"""Both doors' way of asking a flow's gate: as the signed-in caller, with the configured expiry.

The portal's submit button and the API's submit and promote routes open approval requests
the same way; only what they answer differs.
"""

from __future__ import annotations

from flask import current_app
from sqlmodel import Session

from app.approvals.flows import Flow
from app.approvals.service import GateRequestOutcome, request_approval
from app.auth.guard import current_principal
from app.gates.engine_binding import current_policy_engine

__all__ = ["request_approval_as_caller"]


def request_approval_as_caller(
    *, session: Session, flow: Flow, subject_id: int
) -> GateRequestOutcome:
    """:func:`~app.approvals.service.request_approval` for the request's principal, with the
    application's policy engine and ``approval_expiry_days``."""
    return request_approval(
        session=session,
        engine=current_policy_engine(),
        flow=flow,
        subject_id=subject_id,
        actor=current_principal().username,
        expiry_days=int(current_app.config["GATEHOUSE"].approval_expiry_days),
    )
