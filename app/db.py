"""Database engine and session handling (SQLModel over SQLAlchemy 2).

One engine per application. SQLite gets ``BEGIN IMMEDIATE`` transactions so that two
writers serialise at the start of a transaction instead of failing half-way, which the
ledger's hash chain relies on; PostgreSQL uses an advisory lock in the ledger instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.models import tables as _tables  # noqa: F401  (every table known before a flush)


def _canonical_json_text(value: Any) -> str:
    """JSON columns are written with sorted keys and no spaces: the encoding the ledger
    hashes payloads in, so verifying a payload is one hash of the stored text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def build_engine(database_url: str) -> Engine:
    """Create the engine for ``database_url`` with the per-dialect settings we rely on."""
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=_canonical_json_text,
        )
        _use_immediate_transactions(engine)
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
        # Setting the journal mode takes a lock without waiting on the busy timeout, so a
        # connection opened while another process writes would fail: set it only once.
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


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


def init_app(app: Flask) -> None:
    """Bind one engine to the application."""
    settings = app.config["GATEHOUSE"]
    app.extensions["gatehouse.engine"] = build_engine(settings.database_url)


def current_engine() -> Engine:
    """The engine of the application handling the current request or CLI command."""
    engine: Engine = current_app.extensions["gatehouse.engine"]
    return engine


def unit_of_work() -> AbstractContextManager[Session]:
    """A session for a door's unit of work; use as ``with unit_of_work() as session``."""
    return session_scope(current_engine())
