"""Answers to a denial: what the people behind a denied run say back to the gate's reviewers.

A denial names what is missing; often only someone else can supply it (an attestation the
compliance officer owns, a dataset the data steward re-classifies). The run's requester,
its authors or an admin answer the denial in words ("BAA-2026-058 is signed, please
attest it"), and the officers read the answer on the decision and run pages. An answer
changes no evidence, so it lives in the ledger only, as an event about the decision,
with its author and time like every other event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.errors import ConflictError, ValidationError
from app.ledger import append_event
from app.ledger.free_text import refuse_direct_identifiers
from app.models.governance import PolicyDecision
from app.models.ledger import LedgerEvent
from app.models.runs import FineTuneRun
from app.models.vocabulary import GateSubject, LedgerSubject
from app.registry.records import get_record
from app.registry.runs import ensure_may_change

__all__ = ["ANSWER_ACTION", "MAX_ANSWER_CHARS", "DenialAnswer", "answer_denial", "answers_to"]

#: The ledger action of an answer.
ANSWER_ACTION = "decision.answered"
#: Longest answer kept (the ledger is not a document store).
MAX_ANSWER_CHARS = 2000


@dataclass(frozen=True)
class DenialAnswer:
    """One answer to a denial, as the ledger holds it."""

    decision_id: int
    actor: str
    at: datetime
    text: str


def answer_denial(*, session: Session, decision_id: int, actor: str, text: str) -> DenialAnswer:
    """Record ``actor``'s answer to a denied decision about a run they may change."""
    decision = get_record(session=session, model=PolicyDecision, record_id=decision_id)
    if decision.allow:
        raise ConflictError(f"decision {decision_id} allowed; only a denial is answered")
    if decision.subject_type != GateSubject.RUN:
        raise ConflictError(
            f"decision {decision_id} is about a {decision.subject_type}; "
            "answers are taken on a run's denials"
        )
    run = get_record(session=session, model=FineTuneRun, record_id=decision.subject_id)
    ensure_may_change(session=session, run=run, actor=actor)
    text = text.strip()
    if not text:
        raise ValidationError("an answer needs some text")
    if len(text) > MAX_ANSWER_CHARS:
        raise ValidationError(f"an answer is at most {MAX_ANSWER_CHARS} characters")
    refuse_direct_identifiers(field="answer", text=text)
    event = append_event(
        session=session,
        actor=actor,
        action=ANSWER_ACTION,
        subject_type=LedgerSubject.POLICY_DECISION,
        subject_id=decision_id,
        payload={"answer": text, "run_id": run.id},
    )
    return DenialAnswer(decision_id, actor, event.occurred_at, text)


def answers_to(*, session: Session, decision_ids: list[int]) -> dict[int, list[DenialAnswer]]:
    """The answers to these decisions, oldest first per decision."""
    if not decision_ids:
        return {}
    events = session.exec(
        select(LedgerEvent)
        .where(LedgerEvent.subject_type == LedgerSubject.POLICY_DECISION)
        .where(col(LedgerEvent.subject_id).in_([str(i) for i in decision_ids]))
        .where(LedgerEvent.action == ANSWER_ACTION)
        .order_by(col(LedgerEvent.seq))
    ).all()
    answers: dict[int, list[DenialAnswer]] = {}
    for event in events:
        decision_id = int(event.subject_id)
        answers.setdefault(decision_id, []).append(
            DenialAnswer(decision_id, event.actor, event.occurred_at, str(event.payload["answer"]))
        )
    return answers
