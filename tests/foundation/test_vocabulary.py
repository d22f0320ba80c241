"""The vocabularies in ``app.models.vocabulary`` are the one source of their values.

The policy, the API, the CLI and the columns take their values from the enums (not a
copy of them), stored values stay the plain strings they always were, and a fine-tune
run's ledger events are found under both the spelling written now (``finetune_run``)
and the one older gate events carry (``run``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel, col, select

from app.api.v1.approvals import ApprovalListQuery, VoteRequest
from app.api.v1.attestations import AttestationCreate
from app.api.v1.audits import AuditListQuery
from app.api.v1.gates import DecisionQuery
from app.attestations.facts import SUBJECT_TYPES
from app.cli import cli
from app.db import session_scope
from app.gates.input_builder import build_gate_input
from app.ledger import canonical_json, event_bytes, sha256_hex, verify_chain
from app.models.base import utc_now
from app.models.governance import ApprovalRequest
from app.models.ledger import LedgerEvent
from app.models.vocabulary import (
    GATE_SUBJECTS,
    ApprovalStatus,
    AttestedSubject,
    AuditKind,
    GateName,
    GateSubject,
    LedgerSubject,
    VoteDecision,
    ledger_subject_spellings,
    normalise_ledger_subject,
)
from app.policy.decision import GATES
from app.policy.input_document import GateInput, example_inputs
from tests.foundation.helpers import make_lineage

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def _choices(path: list[str], parameter: str) -> list[str]:
    """The choices the CLI offers for ``parameter`` of the command at ``path``."""
    command: Any = cli
    context = click.Context(cli)
    for name in path:
        command = command.get_command(context, name)
    (found,) = [p for p in command.params if p.name == parameter]
    assert isinstance(found.type, click.Choice)
    return list(found.type.choices)


def _literal_values(model: type, field: str) -> set[str]:
    """The values a pydantic field's JSON schema allows (through its enum)."""
    schema = model.model_json_schema()  # type: ignore[attr-defined]
    prop = schema["properties"][field]
    options = prop.get("anyOf", [prop])
    for option in options:
        if "$ref" in option:
            return set(schema["$defs"][option["$ref"].rsplit("/", 1)[1]]["enum"])
    raise AssertionError(f"{model.__name__}.{field} declares no enum: {prop}")


def test_the_policy_the_api_and_the_cli_offer_exactly_the_gate_enum() -> None:
    gates = [gate.value for gate in GateName]
    assert list(GATES) == gates
    assert set(GATE_SUBJECTS) == set(GateName)
    assert _choices(["gate", "check"], "gate_name") == gates
    assert _literal_values(GateInput, "gate") == set(gates)
    assert _literal_values(DecisionQuery, "gate") == set(gates)
    assert _literal_values(ApprovalListQuery, "gate") == set(gates)
    assert _literal_values(DecisionQuery, "subject_type") == {kind.value for kind in GateSubject}
    # The Rego side: one gate package per member, and none the enum lacks.
    packages = {
        line.split()[1]
        for path in (POLICIES / "gates").glob("*.rego")
        if not path.name.endswith("_test.rego")
        for line in path.read_text().splitlines()
        if line.startswith("package ")
    }
    assert packages == {f"gates.{gate}" for gate in gates}


def test_the_other_doors_take_their_choices_from_the_enums() -> None:
    assert _choices(["audit", "schedule"], "kind") == [kind.value for kind in AuditKind]
    assert _choices(["attest", "list"], "subject_type") == [s.value for s in AttestedSubject]
    assert list(SUBJECT_TYPES) == list(AttestedSubject)
    assert _literal_values(ApprovalListQuery, "status") == {s.value for s in ApprovalStatus}
    assert _literal_values(VoteRequest, "decision") == {d.value for d in VoteDecision}
    assert _literal_values(AuditListQuery, "kind") == {k.value for k in AuditKind}
    assert _literal_values(AttestationCreate, "subject_type") == {s.value for s in AttestedSubject}


def test_every_table_is_a_ledger_subject() -> None:
    """Record events take the table name: a new table must be a new member first."""
    tables = set(SQLModel.metadata.tables) - {"apscheduler_jobs"}
    assert tables <= {subject.value for subject in LedgerSubject}


def test_the_policy_input_is_the_same_json_as_the_bare_strings_gave() -> None:
    """A StrEnum member serialises as its string: the input hash does not move."""
    document = example_inputs()["credit_promotion_ready"].document()
    assert document["gate"] == "production_promotion"
    assert type(document["gate"]) is str
    assert type(document["approvals"][0]["decision"]) is str
    text = json.dumps(document, sort_keys=True)
    assert '"gate": "production_promotion"' in text
    assert '"kind": "deployment"' in text
    assert '"decision": "approve"' in text
    assert canonical_json(document) == canonical_json(json.loads(text))


def test_a_vocabulary_column_stores_the_plain_string_and_refuses_others(
    client: Any, make_actor: Any, engine: sa.Engine
) -> None:
    engineer = make_actor("ml_engineer")
    ids = make_lineage(engineer)
    with session_scope(engine) as session:
        document = build_gate_input(
            session=session, gate="training_launch", subject_id=ids["run"], now=utc_now()
        )
        assert document.run is not None
        assert document.run.platform == "meta"
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT platform FROM finetune_run WHERE id = :id"), {"id": ids["run"]}
        ).scalar_one()
    assert stored == "meta" and type(stored) is str
    with (
        pytest.raises(sa.exc.StatementError, match="is not a valid GateName"),
        session_scope(engine) as session,
    ):
        session.add(
            ApprovalRequest(
                gate="no_such_gate",  # type: ignore[arg-type]
                subject_type=GateSubject.RUN,
                subject_id=ids["run"],
                decision_id=1,
                input_sha256="0" * 64,
                requester=engineer.username,
            )
        )


def test_an_unknown_ledger_subject_is_refused_and_the_legacy_spelling_is_a_run() -> None:
    assert normalise_ledger_subject("run") is LedgerSubject.FINETUNE_RUN
    assert normalise_ledger_subject("finetune_run") is LedgerSubject.FINETUNE_RUN
    assert ledger_subject_spellings(LedgerSubject.FINETUNE_RUN) == ("finetune_run", "run")
    assert ledger_subject_spellings(LedgerSubject.DEPLOYMENT) == ("deployment",)
    with pytest.raises(ValueError):
        normalise_ledger_subject("runs")


def _append_legacy_gate_event(engine: sa.Engine, run_id: int) -> int:
    """An event as gates wrote it before the vocabulary: subject ``run``, chained properly."""
    with session_scope(engine) as session:
        tail = session.exec(
            select(LedgerEvent).order_by(col(LedgerEvent.seq).desc()).limit(1)
        ).one()
        payload = {"gate": "training_launch", "allow": False}
        event = LedgerEvent(
            seq=tail.seq + 1,
            occurred_at=utc_now(),
            actor="legacy-gate",
            action="gate.denied",
            subject_type="run",
            subject_id=str(run_id),
            payload=payload,
            payload_sha256=sha256_hex(canonical_json(payload)),
            prev_hash=tail.hash,
            hash="",
        )
        event.hash = sha256_hex(
            event_bytes(
                event.seq,
                event.occurred_at.isoformat(),
                event.actor,
                event.action,
                event.subject_type,
                event.subject_id,
                event.payload_sha256,
                event.prev_hash,
            )
        )
        session.add(event)
        return event.seq


def test_a_runs_gate_events_are_written_once_spelled_and_found_under_both_spellings(
    client: Any, make_actor: Any, engine: sa.Engine
) -> None:
    engineer = make_actor("ml_engineer")
    ids = make_lineage(engineer)
    legacy_seq = _append_legacy_gate_event(engine, ids["run"])
    asked = engineer.post("/api/v1/gates/training_launch", json={"subject_id": ids["run"]})
    assert asked.status_code == 200, asked.get_json()
    with session_scope(engine) as session:
        gate_events = session.exec(
            select(LedgerEvent)
            .where(col(LedgerEvent.action).startswith("gate."))
            .order_by(col(LedgerEvent.seq))
        ).all()
        assert [(e.seq == legacy_seq, e.subject_type) for e in gate_events] == [
            (True, "run"),
            (False, "finetune_run"),
        ]
        assert verify_chain(session=session).intact
    expected = {legacy_seq, gate_events[1].seq}
    for spelling in ("finetune_run", "run"):
        listed = engineer.get(
            "/api/v1/ledger/events",
            query_string={"subject_type": spelling, "subject_id": str(ids["run"]), "limit": 200},
        )
        assert listed.status_code == 200
        seqs = {e["seq"] for e in listed.get_json()["items"] if e["action"].startswith("gate.")}
        assert seqs == expected, spelling
        # Record events of the run (created, dataset attached) are found the same way.
        assert any(e["action"] == "finetune_run.created" for e in listed.get_json()["items"]), (
            spelling
        )
    refused = engineer.get("/api/v1/ledger/events", query_string={"subject_type": "runs"})
    assert refused.status_code == 422
    assert refused.content_type == "application/problem+json"
