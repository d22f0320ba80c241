"""Read-only units of work: they read beside a writer and can never write."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.db import read_only_engine, read_only_scope, read_rows, session_scope, table_of
from app.models.users import Role

_ROLE = table_of(Role)


def _role_names(engine: sa.Engine) -> set[str]:
    with read_only_scope(read_only_engine(engine)) as db:
        return {row.name for row in read_rows(db, sa.select(_ROLE.c.name))}


def test_a_reader_is_not_held_up_by_an_open_writer(engine: sa.Engine) -> None:
    before = _role_names(engine)
    with session_scope(engine) as writer:
        writer.add(Role(name="uncommitted"))
        writer.flush()  # the writer now holds its lock (SQLite: the database's write lock)
        # A reader that took the write lock too would wait for this writer to finish.
        assert _role_names(engine) == before
    assert _role_names(engine) == before | {"uncommitted"}


@pytest.mark.parametrize(
    "write",
    [
        lambda db: db.add(Role(name="sneaked-in")),
        lambda db: db.execute(sa.insert(_ROLE).values(name="sneaked-in")),
        lambda db: db.execute(sa.update(_ROLE).values(name="sneaked-in")),
    ],
    ids=["orm", "insert", "update"],
)
def test_a_read_only_unit_of_work_refuses_to_write(
    engine: sa.Engine, write: Callable[[Session], object]
) -> None:
    with (
        pytest.raises(RuntimeError, match="read-only unit of work tried to write"),
        read_only_scope(read_only_engine(engine)) as db,
    ):
        write(db)
        db.flush()
    with session_scope(engine) as db:
        assert db.exec(select(Role).where(Role.name == "sneaked-in")).first() is None
