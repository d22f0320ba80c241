"""Database engine and session handling (SQLModel over SQLAlchemy 2).

One engine per application. SQLite gets ``BEGIN IMMEDIATE`` transactions so that two
writers serialise at the start of a transaction instead of failing half-way, which the
ledger's hash chain relies on; PostgreSQL uses an advisory lock in the ledger instead.
SQLite keeps its default ``synchronous=FULL`` (a commit is synced to the log before it
returns) and checkpoints the log in a thread beside the commits (``app.wal_checkpoints``).

Reads that can never write (the gate's judgement, the portal's access check) use
:func:`read_only_unit_of_work`: on SQLite a plain ``BEGIN``, which reads a snapshot without
taking the write lock, so they neither wait for a writer nor hold one up; any write in
such a session is refused, and its transaction always ends in a rollback. The token
check before every API call, one fixed ``SELECT``, runs on a bare connection of the same
engine (:func:`read_only_connection`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Row, Table, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, UOWTransaction
from sqlalchemy.sql import Executable
from sqlmodel import Session, SQLModel, create_engine

from app.models import tables as _tables  # noqa: F401  (every table known before a flush)
from app.models.base import EncodedJSON, encode_json
from app.wal_checkpoints import checkpoint_beside_commits

#: Execution option that marks an engine's transactions as read-only (``BEGIN`` on SQLite).
_READ_ONLY = "gatehouse_read_only"
#: How long a SQLite connection waits for another writer before it gives up.
_SQLITE_BUSY_SECONDS = 30


def _canonical_json_text(value: Any) -> str:
    """JSON columns are written with sorted keys and no spaces: the encoding the ledger
    hashes payloads in, so verifying a payload is one hash of the stored text. A value
    encoded ahead (to hash it) is written as it was encoded."""
    return value.text if isinstance(value, EncodedJSON) else encode_json(value)


def build_engine(database_url: str) -> Engine:
    """Create the engine for ``database_url`` with the per-dialect settings we rely on."""
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": _SQLITE_BUSY_SECONDS},
            json_serializer=_canonical_json_text,
        )
        _use_immediate_transactions(engine)
        checkpoint_beside_commits(engine)
        return engine
    return create_engine(
        database_url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        json_serializer=_canonical_json_text,
    )


def _use_immediate_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, emit BEGIN, and make it BEGIN IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        _switch_to_wal(cursor)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """Put the file in WAL mode (persistent, so normally once per file).

    Switching takes a lock without waiting on the busy timeout, so a connection opened
    while another one writes (the scheduler's job store on a freshly migrated file) would
    fail at once: wait for that writer as the busy timeout would, then fail loudly.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_SECONDS
    while cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


class ReadOnlySession(Session):
    """A session that refuses to write: a flush or a DML statement raises."""


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a read-only unit of work tried to write")


@event.listens_for(ReadOnlySession, "do_orm_execute")
def _refuse_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise RuntimeError("a read-only unit of work tried to write")


@contextmanager
def read_only_scope(engine: Engine) -> Iterator[Session]:
    """A session that only reads; its transaction is always rolled back.

    ``engine`` should carry the read-only execution option (see :func:`read_only_engine`)
    so that SQLite does not take the write lock for it.
    """
    with ReadOnlySession(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


def read_only_engine(engine: Engine) -> Engine:
    """``engine`` (same pool) whose transactions begin without the SQLite write lock."""
    return engine.execution_options(**{_READ_ONLY: True})


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class, for statements that skip the ORM."""
    return SQLModel.metadata.tables[str(model.__tablename__)]


def read_rows(session: Session, statement: Executable, **parameters: Any) -> Sequence[Row[Any]]:
    """Rows of a Core ``statement`` on the session's connection, pending changes flushed.

    Hot read paths (the gate input) build their statements once and run them here: no ORM
    entities or identity map, and a cached compiled form.
    """
    session.flush()
    return session.connection().execute(statement, parameters).all()


def init_app(app: Flask) -> None:
    """Bind one engine (and its read-only twin) to the application."""
    settings = app.config["GATEHOUSE"]
    engine = build_engine(settings.database_url)
    app.extensions["gatehouse.engine"] = engine
    app.extensions["gatehouse.read_only_engine"] = read_only_engine(engine)


def current_engine() -> Engine:
    """The engine of the application handling the current request or CLI command."""
    engine: Engine = current_app.extensions["gatehouse.engine"]
    return engine


def unit_of_work() -> AbstractContextManager[Session]:
    """A session for a door's unit of work; use as ``with unit_of_work() as session``."""
    return session_scope(current_engine())


def read_only_unit_of_work() -> AbstractContextManager[Session]:
    """A session for reads only; refuses writes, never commits."""
    return read_only_scope(current_app.extensions["gatehouse.read_only_engine"])


def read_only_connection() -> AbstractContextManager[Connection]:
    """A bare connection of the read-only engine, rolled back when the block ends.

    For a fixed Core ``SELECT`` built once that runs before every request (the token
    check): without an ORM session around it the check costs about half as much.
    """
    engine: Engine = current_app.extensions["gatehouse.read_only_engine"]
    return engine.connect()
