"""Ask a gate: build the input, let the policy engine decide, store and ledger the decision.

The engine never raises (it returns a deny that says why), so a decision is always
stored, and ledgered as ``gate.allowed``, ``gate.denied`` or ``gate.indeterminate`` (the
engine gave no answer: still a deny). Errors before the engine is asked, such as an unknown subject, are the caller's
mistake and raise; they allow nothing.

Gates are asked on every release, so the decision is written with one Core INSERT of its
row (the ledger event likewise): the same row the ORM would write, without its
unit-of-work cost.

Judging and recording are separate steps (:func:`judge_gate`, :func:`record_judgement`).
The API judges in a read-only unit of work and records in a short write transaction, so
an engine that is slow or hung (up to its deadline) holds no write lock and blocks no
other writer. Nothing needs checking again before the write: a stored decision says what
it was judged on (the input digest), and asking a gate changes nothing else. Workflows
that act on the answer (submit, promote, launch) keep both steps in their own transaction
(:func:`evaluate_gate`), so what they act on is what was judged.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.db import prepared_insert, table_of
from app.gates.input_builder import build_gate_input, gate_named
from app.ledger import append_event, sha256_hex
from app.models.base import EncodedJSON, encoded_members, encoded_object, utc_now
from app.models.deployments import Deployment
from app.models.governance import PolicyDecision, PolicyDecisionInput, PolicyDecisionPublic
from app.models.vocabulary import GATE_LEDGER_SUBJECTS, GATE_SUBJECTS, GateName
from app.policy.decision import ENGINE_FAILURE_CONTROL, Decision
from app.policy.engine import PolicyEngine

_decisions = table_of(PolicyDecision)
_INSERT_DECISION = prepared_insert(_decisions, omit={"id"}, returning=[_decisions.c.id])
_INSERT_INPUT = prepared_insert(table_of(PolicyDecisionInput))


@dataclass(frozen=True)
class Judgement:
    """A gate's decision about a subject and the input document it was made on, not yet
    stored."""

    gate: GateName
    subject_id: int
    document: dict[str, Any]
    decision: Decision


def judge_gate(
    *,
    session: Session,
    engine: PolicyEngine,
    gate: str,
    subject_id: int,
    run_id: int | None = None,
    now: datetime | None = None,
) -> Judgement:
    """Build the input for ``gate`` about a subject and let the engine decide; only reads,
    so a read-only session will do."""
    name = gate_named(gate)
    document = build_gate_input(
        session=session, gate=name, subject_id=subject_id, now=now or utc_now(), run_id=run_id
    ).document()
    return Judgement(
        gate=name,
        subject_id=subject_id,
        document=document,
        decision=engine.decide(name, document),
    )


def record_judgement(*, session: Session, judgement: Judgement, actor: str) -> PolicyDecisionPublic:
    """Store the decision (allow or deny) and the input it was made on, and ledger it in
    ``session``; the answer is the stored decision.

    The decision keeps the gate's subject kind (``run``, as the policy input says); the
    ledger event names the record itself (``finetune_run``), like every record event.
    Each JSON value is encoded once: the input's text gives its stored row and both its
    digests, and the result's members give the stored result and violations.
    """
    gate, decision, document = judgement.gate, judgement.decision, judgement.document
    encoded = encode_input(document)
    result = {**decision.result(), "evidence": judged_evidence(document)}
    result_members = encoded_members(result)
    row: dict[str, Any] = {
        "gate": gate,
        "subject_type": GATE_SUBJECTS[gate],
        "subject_id": judgement.subject_id,
        "input_sha256": encoded.input_sha256,
        "evidence_sha256": encoded.evidence_sha256,
        "bundle_sha256": decision.bundle_hash,
        "engine": decision.engine,
        "allow": decision.allow,
        "outcome": decision.outcome,
        "result": result,
        "violations": result["violations"],
        "error": decision.error,
        "latency_ms": round(decision.latency_ms, 3),
        "actor": actor,
        "created_at": utc_now(),
    }
    connection = session.connection()
    (inserted,) = _INSERT_DECISION.run(
        connection,
        {
            **row,
            "result": EncodedJSON(encoded_object(result_members)),
            "violations": EncodedJSON(result_members["violations"]),
        },
    )
    decision_id = inserted.id
    # Kept beside the decision so a report can embed it and an auditor replay it.
    _INSERT_INPUT.run(connection, {"decision_id": decision_id, "document": encoded.stored})
    append_event(
        session=session,
        actor=actor,
        action=f"gate.{row['outcome']}",
        subject_type=GATE_LEDGER_SUBJECTS[row["subject_type"]],
        subject_id=judgement.subject_id,
        payload={
            "decision_id": decision_id,
            "gate": gate,
            "allow": decision.allow,
            "outcome": row["outcome"],
            "controls_violated": sorted({v["control"] for v in decision.violations}),
            "input_sha256": encoded.input_sha256,
            "bundle_sha256": decision.bundle_hash,
            "engine": decision.engine,
        },
    )
    return PolicyDecisionPublic.model_validate({"id": decision_id, **row})


def evaluate_gate(
    *,
    session: Session,
    engine: PolicyEngine,
    gate: str,
    subject_id: int,
    actor: str,
    run_id: int | None = None,
    now: datetime | None = None,
) -> PolicyDecisionPublic:
    """Decide ``gate`` for a subject, store the decision (allow or deny) and ledger it, all
    in ``session`` (see :func:`record_judgement` for the returned record)."""
    judgement = judge_gate(
        session=session, engine=engine, gate=gate, subject_id=subject_id, run_id=run_id, now=now
    )
    return record_judgement(session=session, judgement=judgement, actor=actor)


@dataclass(frozen=True)
class ControlReadings:
    """What some controls said in a decision: each one's status (a control that reported
    nothing is absent), and the violation messages of them and of an engine failure."""

    decision: PolicyDecisionPublic
    statuses: dict[str, str]
    messages: list[str]


def promotion_controls(
    *,
    session: Session,
    engine: PolicyEngine,
    deployment: Deployment,
    actor: str,
    controls: Collection[str],
) -> ControlReadings:
    """Ask ``production_promotion`` about a deployment again and read what ``controls``
    said (the audit review and the monitoring review act on these, never re-judge)."""
    decision = evaluate_gate(
        session=session,
        engine=engine,
        gate="production_promotion",
        subject_id=deployment.id or 0,
        actor=actor,
    )
    return ControlReadings(
        decision=decision,
        statuses={
            outcome["control_id"]: outcome["status"]
            for outcome in decision.result.get("controls", [])
            if outcome["control_id"] in controls
        },
        messages=[
            violation["message"]
            for violation in decision.violations
            if violation["control"] in controls or violation["control"] == ENGINE_FAILURE_CONTROL
        ],
    )


def judged_evidence(document: dict[str, Any]) -> dict[str, list[str]]:
    """Which audits the decision saw, stored with it so a report can show the gate's verdict."""
    return {"audit_ids": [str(audit["id"]) for audit in document.get("audits", [])]}


#: Members of an input document that are not evidence: the clock and the votes.
_NOT_EVIDENCE = frozenset({"now", "approvals"})


@dataclass(frozen=True)
class EncodedInput:
    """An input document encoded once: the text stored for it and its two digests."""

    stored: EncodedJSON
    #: Digest of the whole document (``input_sha256``).
    input_sha256: str
    #: Digest of the document without the clock and the votes (``evidence_sha256``).
    evidence_sha256: str


def encode_input(document: dict[str, Any]) -> EncodedInput:
    """The canonical JSON of ``document`` and of its evidence, from one encoding of it."""
    members = encoded_members(document)
    text = encoded_object(members)
    evidence = encoded_object(members, without=_NOT_EVIDENCE)
    return EncodedInput(EncodedJSON(text), sha256_hex(text.encode()), sha256_hex(evidence.encode()))


def evidence_sha256(document: dict[str, Any]) -> str:
    """Digest of what a decision was about: the input without the clock and the votes."""
    return encode_input(document).evidence_sha256


def current_evidence_sha256(*, session: Session, gate: str, subject_id: int) -> str:
    """The evidence digest a gate would see now (an approval compares it to its own)."""
    document = build_gate_input(
        session=session, gate=gate, subject_id=subject_id, now=utc_now()
    ).document()
    return evidence_sha256(document)
