"""Prepared statements (the token check, the gate input's reads, a decision's rows and its
ledger event) read and write exactly what SQLAlchemy does, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.db import PreparedStatement, prepared_insert, read_rows, table_of
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
_PREPARED_FACTS = PreparedStatement(_FACTS.order_by(_ATTESTATION.c.id))


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
    expanding = PreparedStatement(
        sa.select(_ATTESTATION.c.id).where(_ATTESTATION.c.subject_id.in_([1, 2]))
    )
    with pytest.raises(ValueError, match="expanding"):
        read_rows(session, expanding)


def test_a_driver_error_arrives_as_sqlalchemys_database_error(session: Session) -> None:
    missing = sa.Table("no_such_table", sa.MetaData(), sa.Column("id", sa.Integer))
    with pytest.raises(sa.exc.DBAPIError, match="no_such_table"):
        read_rows(session, PreparedStatement(sa.select(missing.c.id)))


_ROW: dict[str, Any] = {
    "subject_type": AttestedSubject.DATASET_VERSION,
    "subject_id": 9,
    "fact": "baa",
    "value": [{"vendor": "openai", "ref": "BAA-2"}],
    "evidence_ref": "DOC-2",
    "evidence_sha256": None,
    "attested_by": "carla",
    "role": "compliance_officer",
    "attested_at": datetime(2026, 12, 1, 3, 4, 5, 123456, tzinfo=UTC),
    "justification": "signed",
    "expires_at": None,
}


def _stored(session: Session, record_id: int) -> tuple[Any, ...]:
    columns = [_ATTESTATION.c[name] for name in _ROW]
    return tuple(
        session.connection()
        .execute(sa.select(*columns).where(_ATTESTATION.c.id == record_id))
        .one()
    )


def test_a_prepared_insert_writes_the_row_sqlalchemy_writes_and_returns_its_key(
    session: Session,
) -> None:
    prepared = prepared_insert(_ATTESTATION, omit={"id"}, returning=[_ATTESTATION.c.id])
    (inserted,) = prepared.run(session.connection(), _ROW)
    plain = (
        session.connection()
        .execute(sa.insert(_ATTESTATION).returning(_ATTESTATION.c.id), _ROW)
        .scalar_one()
    )
    assert inserted.id != plain
    assert _stored(session, inserted.id) == _stored(session, plain)
    assert _stored(session, inserted.id)[3] == [{"vendor": "openai", "ref": "BAA-2"}]
    # Without RETURNING there is no row to give (and the driver is not asked for one).
    assert prepared_insert(_ATTESTATION, omit={"id"}).run(session.connection(), _ROW) == []


def test_a_prepared_insert_that_breaks_a_constraint_raises_sqlalchemys_integrity_error(
    session: Session,
) -> None:
    prepared = prepared_insert(_ATTESTATION)
    prepared.run(session.connection(), {**_ROW, "id": 4242})
    with pytest.raises(sa.exc.IntegrityError):
        prepared.run(session.connection(), {**_ROW, "id": 4242})


def test_an_insert_whose_omitted_column_takes_a_python_default_is_refused(
    session: Session,
) -> None:
    counted = sa.Table(
        "counted", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("n", sa.Integer, default=5)
    )
    with pytest.raises(ValueError, match="defaults computed"):
        prepared_insert(counted, omit={"n"}).run(session.connection(), {"id": 1})
