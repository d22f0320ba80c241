"""Building a gate's input takes a few indexed queries, however many datasets a run has."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from app.db import session_scope
from app.gates.input_builder import build_gate_input
from app.models.base import utc_now
from app.registry import runs
from app.registry.runs import RunCreate

#: The queries of each gate's input: the subject and its relations, the dataset versions
#: (one query with their names and open erasures, whatever their number), the attested facts
#: of every subject (one query), evidence, the votes with their request. A new query here
#: must be a deliberate choice; budgets only go down.
QUERY_BUDGET = {"training_launch": 4, "production_promotion": 16, "dataset_use": 2}

_DATASET_KEYS = ("notes_raw", "notes_deid", "triage", "german_credit", "credit_explanations")


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    """Every SQL statement the session's connection runs inside the block."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    bind = session.connection().engine
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
    with counted(session) as statements:
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
