"""Gate decisions: ask a gate, read stored decisions."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from app.api.v1.common import Answer, ListQuery, route
from app.api.v1.resources import Resource
from app.auth.guard import current_principal
from app.auth.roles import GATE_CALLERS
from app.db import read_only_unit_of_work
from app.gates.engine_binding import current_policy_engine
from app.gates.service import judge_gate, record_judgement
from app.models.base import RowId
from app.models.governance import PolicyDecision, PolicyDecisionPublic
from app.models.vocabulary import DecisionOutcome, GateName, GateSubject

bp = Blueprint("api_gates", __name__, url_prefix="/api/v1")


class GateRequest(BaseModel):
    """The subject to decide about: a run, a deployment or a dataset version (by gate)."""

    model_config = ConfigDict(extra="forbid")

    subject_id: RowId
    #: For ``dataset_use``: the run the dataset version would be attached to.
    run_id: RowId | None = None


class DecisionQuery(ListQuery):
    """Filters for stored decisions."""

    gate: GateName | None = None
    subject_type: GateSubject | None = None
    subject_id: RowId | None = None
    allow: bool | None = None
    outcome: DecisionOutcome | None = None
    engine: str | None = None


@route(
    bp,
    "POST",
    f"/gates/<any({', '.join(GateName)}):gate>",
    GATE_CALLERS,
    scope="gate",
    answer=PolicyDecisionPublic,
)
def ask_gate(session: Session, gate: str, json: GateRequest) -> Answer:
    """Ask a gate now; the decision is stored and ledgered: its ``outcome`` is allowed,
    denied, or indeterminate (the policy engine gave no answer; a deny too)."""
    # Judged in a read-only unit of work: the engine's time holds no write lock.
    with read_only_unit_of_work() as reader:
        judgement = judge_gate(
            session=reader,
            engine=current_policy_engine(),
            gate=gate,
            subject_id=json.subject_id,
            run_id=json.run_id,
        )
    # The stored decision, already its answer model.
    return record_judgement(
        session=session, judgement=judgement, actor=current_principal().username
    )


decisions = Resource(bp, PolicyDecision, "decision_id", PolicyDecisionPublic, rule="/decisions")
decisions.listing(
    DecisionQuery,
    PolicyDecisionPublic,
    "Stored decisions, filtered by gate, subject, outcome or engine.",
)
decisions.get("One stored decision with every control's outcome.")
