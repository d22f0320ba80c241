"""Gate decisions: ask a gate, read stored decisions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict

from app.api.v1.common import ListQuery, body, list_response, page_of, public, responses
from app.api.v1.spec import spec
from app.auth.guard import allow, current_principal
from app.auth.roles import GATE_CALLERS, READERS
from app.db import unit_of_work
from app.gates.engine_binding import current_policy_engine
from app.gates.service import evaluate_gate
from app.models.governance import PolicyDecision, PolicyDecisionPublic
from app.models.vocabulary import GateName, GateSubject
from app.registry.records import get_record

bp = Blueprint("api_gates", __name__, url_prefix="/api/v1")
TAG = "gates"


class GateRequest(BaseModel):
    """The subject to decide about: a run, a deployment or a dataset version (by gate)."""

    model_config = ConfigDict(extra="forbid")

    subject_id: int
    #: For ``dataset_use``: the run the dataset version would be attached to.
    run_id: int | None = None


class DecisionQuery(ListQuery):
    """Filters for stored decisions."""

    gate: GateName | None = None
    subject_type: GateSubject | None = None
    subject_id: int | None = None
    allow: bool | None = None
    engine: str | None = None


@bp.post(f"/gates/<any({', '.join(GateName)}):gate>")
@allow(*GATE_CALLERS, scope="gate")
@spec.validate(json=GateRequest, resp=responses(PolicyDecisionPublic), tags=[TAG])
def ask_gate(gate: str, json: GateRequest) -> Any:
    """Ask a gate now; the decision is stored and ledgered, allow or deny."""
    with unit_of_work() as session:
        decision = evaluate_gate(
            session=session,
            engine=current_policy_engine(),
            gate=gate,
            subject_id=json.subject_id,
            run_id=json.run_id,
            actor=current_principal().username,
        )
        return jsonify(body(public(PolicyDecisionPublic, decision)))


@bp.get("/decisions")
@allow(*READERS, scope="read")
@spec.validate(query=DecisionQuery, resp=responses(page_of(PolicyDecisionPublic)), tags=[TAG])
def list_decisions(query: DecisionQuery) -> Any:
    """Stored decisions, filtered by gate, subject, outcome or engine."""
    return list_response(PolicyDecision, PolicyDecisionPublic, query)


@bp.get("/decisions/<int:decision_id>")
@allow(*READERS, scope="read")
@spec.validate(resp=responses(PolicyDecisionPublic), tags=[TAG])
def get_decision(decision_id: int) -> Any:
    """One stored decision with every control's outcome."""
    with unit_of_work() as session:
        decision = get_record(session=session, model=PolicyDecision, record_id=decision_id)
        return jsonify(body(public(PolicyDecisionPublic, decision)))
