"""Building a gate's input takes a few indexed queries, however many datasets a run has, and
recording the decision a few statements more."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from app.db import read_only_scope, session_scope
from app.gates.engine_binding import current_policy_engine
from app.gates.input_builder import build_gate_input
from app.gates.service import judge_gate, record_judgement
from app.models.base import utc_now
from app.registry import runs
from app.registry.runs import RunCreate

#: The queries of each gate's input: the subject and its relations, the dataset versions
#: (one query with their names and open erasures, whatever their number), the attested facts
#: of every subject (one query), evidence, the votes with their request. A new query here
#: must be a deliberate choice; budgets only go down.
QUERY_BUDGET = {"training_launch": 4, "production_promotion": 10, "dataset_use": 2}
#: Recording a decision: the transaction's start (SQLite's BEGIN IMMEDIATE, PostgreSQL's
#: advisory lock on the chain), the decision, its input, the chain's head, the event.
RECORD_BUDGET = 5

_DATASET_KEYS = ("notes_raw", "notes_deid", "triage", "german_credit", "credit_explanations")


@contextmanager
def counted(bind: Engine) -> Iterator[list[str]]:
    """Every SQL statement ``bind`` runs inside the block (BEGIN included)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(bind, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", record)


def _run_over(session: Session, seeded: Any, keys: tuple[str, ...]) -> int:
    plan = RunCreate(
        name=f"queries-{len(keys)}",
        base_model="meta-llama/Llama-3.1-8B-Instruct",
        platform="meta",
        hosting="internal",
        training_region="DE",
        method="lora",
        dataset_version_ids=[seeded.ids[key] for key in keys],
    )
    return runs.create_run(session=session, data=plan, actor="eli").id or 0


def _queries(session: Session, gate: str, subject_id: int) -> tuple[int, dict[str, Any]]:
    session.expunge_all()  # nothing from the identity map: every row is read
    with counted(session.connection().engine) as statements:  # begun: reads only
        document = build_gate_input(
            session=session, gate=gate, subject_id=subject_id, now=utc_now()
        ).document()
    return len(statements), document


def test_a_run_gate_costs_the_same_queries_for_one_or_five_datasets(
    seeded: Any, engine: Any
) -> None:
    with session_scope(engine) as session:
        one = _run_over(session, seeded, _DATASET_KEYS[:1])
        five = _run_over(session, seeded, _DATASET_KEYS)
        session.flush()
        queries_one, document_one = _queries(session, "training_launch", one)
        queries_five, document_five = _queries(session, "training_launch", five)
    assert len(document_one["datasets"]) == 1 and len(document_five["datasets"]) == 5
    assert queries_one == queries_five <= QUERY_BUDGET["training_launch"]
    labels = {(dataset["name"], dataset["version"]) for dataset in document_five["datasets"]}
    assert len(labels) == 5  # each version with its own dataset's name


def test_each_gate_stays_within_its_query_budget(seeded: Any, engine: Any) -> None:
    subjects = {
        "training_launch": seeded.ids["credit-llama-lora"],
        "production_promotion": seeded.ids["credit_deployment"],
        "dataset_use": seeded.ids["german_credit"],
    }
    with session_scope(engine) as session:
        for gate, subject_id in subjects.items():
            queries, document = _queries(session, gate, subject_id)
            assert document["subject"]["id"] == str(subject_id)
            assert queries <= QUERY_BUDGET[gate], (gate, queries)


def test_a_gate_call_judges_and_records_within_its_statement_budget(
    app: Any, seeded: Any, engine: Any
) -> None:
    """Every statement of a gate call as the API makes it: judged in a read-only unit of
    work (its BEGIN counts on SQLite), then recorded and ledgered in a write transaction."""
    subject = seeded.ids["credit_deployment"]
    with app.app_context():
        policy = current_policy_engine()
        with counted(engine) as judging, read_only_scope(engine) as reader:
            judgement = judge_gate(
                session=reader, engine=policy, gate="production_promotion", subject_id=subject
            )
        with counted(engine) as recording, session_scope(engine) as writer:
            record_judgement(session=writer, judgement=judgement, actor="release-bot")
    assert judgement.document["subject"]["id"] == str(subject)
    assert len(judging) <= QUERY_BUDGET["production_promotion"] + 1, judging
    assert len(recording) <= RECORD_BUDGET, recording
