"""Prepared selects (the gate input's reads) give exactly SQLAlchemy's rows, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.db import PreparedSelect, read_rows, table_of
from app.models.attestations import Attestation
from app.models.vocabulary import AttestedSubject

_ATTESTATION = table_of(Attestation)
#: Columns of every kind a gate reads: an enum, integers, text, JSON and a nullable time.
_FACTS = sa.select(
    _ATTESTATION.c.subject_type,
    _ATTESTATION.c.subject_id,
    _ATTESTATION.c.fact,
    _ATTESTATION.c.value,
    _ATTESTATION.c.expires_at,
).where(
    _ATTESTATION.c.subject_id == sa.bindparam("subject_id"),
    # A fixed value bound by the statement itself, through the column's type.
    _ATTESTATION.c.subject_type == AttestedSubject.DATASET_VERSION,
)
_PREPARED_FACTS = PreparedSelect(_FACTS.order_by(_ATTESTATION.c.id))


def _attest(fact: str, value: Any, expires_at: datetime | None) -> Attestation:
    return Attestation(
        subject_type=AttestedSubject.DATASET_VERSION,
        subject_id=7,
        fact=fact,
        value=value,
        evidence_ref="DOC-1",
        attested_by="carla",
        role="compliance_officer",
        justification="reviewed",
        expires_at=expires_at,
    )


def test_a_prepared_select_reads_what_sqlalchemy_reads_pending_writes_included(
    session: Session, engine: sa.Engine
) -> None:
    session.add(_attest("baa", [{"vendor": "openai", "ref": "BAA-1"}], None))
    session.add(_attest("large_scale", True, datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)))
    session.add(_attest("lawful_basis", "contract", None))
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        prepared = read_rows(session, _PREPARED_FACTS, subject_id=7)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    plain = read_rows(session, _FACTS.order_by(_ATTESTATION.c.id), subject_id=7)
    assert [tuple(row) for row in prepared] == [tuple(row) for row in plain]
    assert [row.fact for row in prepared] == ["baa", "large_scale", "lawful_basis"]
    assert prepared[0].value == [{"vendor": "openai", "ref": "BAA-1"}]
    assert prepared[1].value is True and prepared[2].expires_at is None
    assert prepared[1].expires_at.replace(tzinfo=UTC) == datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert prepared[0].subject_type is AttestedSubject.DATASET_VERSION
    # The engine's cursor events see the prepared statement (statement budgets count it).
    assert statements[-1].startswith("SELECT attestation.subject_type")
    assert read_rows(session, _PREPARED_FACTS, subject_id=8) == []


def test_a_prepared_select_names_its_missing_or_unknown_parameters(session: Session) -> None:
    with pytest.raises(TypeError, match=r"\['subject_id'\] needed"):
        read_rows(session, _PREPARED_FACTS)
    with pytest.raises(TypeError, match=r"\['id'\] given"):
        read_rows(session, _PREPARED_FACTS, id=7)


def test_a_select_whose_sql_changes_per_call_is_refused(session: Session) -> None:
    expanding = PreparedSelect(
        sa.select(_ATTESTATION.c.id).where(_ATTESTATION.c.subject_id.in_([1, 2]))
    )
    with pytest.raises(ValueError, match="expanding"):
        read_rows(session, expanding)


def test_a_driver_error_arrives_as_sqlalchemys_database_error(session: Session) -> None:
    missing = sa.Table("no_such_table", sa.MetaData(), sa.Column("id", sa.Integer))
    with pytest.raises(sa.exc.DBAPIError, match="no_such_table"):
        read_rows(session, PreparedSelect(sa.select(missing.c.id)))
