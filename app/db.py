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
import weakref
from collections import namedtuple
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, overload

from flask import Flask, current_app
from sqlalchemy import ColumnElement, Insert, Row, SelectBase, Table, bindparam, event, insert
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, UOWTransaction
from sqlalchemy.sql import Executable
from sqlmodel import Session, SQLModel, create_engine

from app.errors import StoredValueError, unreadable_by_the_driver
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
    def _begin(connection: Connection) -> None:
        # On the driver's connection: through SQLAlchemy's execution (a context and a
        # result for a statement that returns nothing) it cost as much as a gate's
        # indexed read, twice a gate call (the judgement's reads, then the record).
        statement = (
            "BEGIN"
            if connection.get_execution_options().get(_READ_ONLY, False)
            else "BEGIN IMMEDIATE"
        )
        try:
            connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]
        except sqlite3.Error as error:  # a busy database: SQLAlchemy's error, as before
            raise DBAPIError.instance(
                statement, (), error, sqlite3.Error, dialect=connection.dialect
            ) from error


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


def prepared_insert(
    table: Table, *, omit: Collection[str] = (), returning: Sequence[ColumnElement[Any]] = ()
) -> PreparedStatement:
    """An INSERT of one row into ``table``: a bind parameter named after each column but
    those in ``omit`` (a key the database assigns), and the ``returning`` columns."""
    values: dict[str, Any] = {
        column.name: bindparam(column.name) for column in table.columns if column.name not in omit
    }
    statement = insert(table).values(values)
    return PreparedStatement(statement.returning(*returning) if returning else statement)


#: A row of a :class:`PreparedStatement`: a named tuple, read by column name or position.
PreparedRow = Any


class _DialectForm:
    """A prepared statement as one dialect runs it: its SQL, how to bind, how to read rows.

    Everything SQLAlchemy works out per execution of a cached statement (the bound
    values' processing, the parameter order, the result columns' processing) is worked
    out here once, from SQLAlchemy's own types, so a row reads as the ORM would read it.
    """

    def __init__(self, prepared: PreparedStatement, dialect: Dialect) -> None:
        compiled = prepared.statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.escaped_bind_names:
            raise ValueError(f"not preparable (expanding or escaped parameters): {compiled}")
        if compiled.insert_prefetch:
            raise ValueError(f"not preparable (defaults computed per row in Python): {compiled}")
        self.sql = compiled.string
        self.order = compiled.positiontup
        self.required = frozenset(bind.key for bind in compiled.bind_names if bind.required)
        self.names = {bind.key: name for bind, name in compiled.bind_names.items()}
        self.binders: dict[str, Callable[[Any], Any] | None] = {}
        self.fixed: dict[str, Any] = {}
        for bind, name in compiled.bind_names.items():
            binder = bind.type.dialect_impl(dialect).bind_processor(dialect)
            self.binders[name] = binder
            if not bind.required:
                self.fixed[name] = binder(bind.value) if binder else bind.value
        self.types = [column.type for column in prepared.statement.exported_columns]
        self.columns = list(map(str, prepared.statement.exported_columns.keys()))
        self.make_row = prepared.row_type._make
        #: (position, processor) of the result columns that need one, from the first
        #: cursor's description (PostgreSQL's processors depend on the column's type code).
        self.readers: list[tuple[int, Any]] | None = None

    def arguments(self, given: Mapping[str, Any]) -> Any:
        if given.keys() != self.required:
            raise TypeError(f"parameters {sorted(given)} given; {sorted(self.required)} needed")
        values = dict(self.fixed)
        for key, value in given.items():
            name = self.names[key]
            binder = self.binders[name]
            values[name] = binder(value) if binder else value
        return values if self.order is None else [values[name] for name in self.order]

    def rows(self, dialect: Dialect, description: Any, fetched: Sequence[Any]) -> list[PreparedRow]:
        if self.readers is None:
            self.readers = [
                (position, reader)
                for position, column_type in enumerate(self.types)
                if (
                    reader := column_type.dialect_impl(dialect).result_processor(
                        dialect, description[position][1]
                    )
                )
                is not None
            ]
        if not self.readers:
            return [self.make_row(values) for values in fetched]
        rows = []
        for raw in fetched:
            values = list(raw)
            for position, reader in self.readers:
                try:
                    values[position] = reader(values[position])
                except (ValueError, TypeError) as error:
                    # Named by column, never by value: the value may be personal data.
                    raise StoredValueError(
                        f"the stored value of column '{self.columns[position]}' cannot be "
                        f"read ({type(error).__name__}); the database was changed outside "
                        "Gatehouse or is damaged, so nothing that depends on it is decided"
                    ) from error
            rows.append(self.make_row(values))
        return rows


def _fetched(cursor: Any, dbapi: Any) -> list[Any]:
    """The cursor's rows; a value the driver cannot load (it converts while fetching) is
    a stored value nobody can read, not a fault of the statement's parameters. The
    driver's error is not chained: its message quotes the value."""
    try:
        rows: list[Any] = cursor.fetchall()
    except dbapi.DataError:
        raise unreadable_by_the_driver() from None
    return rows


class PreparedStatement:
    """A Core SELECT or INSERT built once and run many times on the hottest paths (the
    token check, the gate input, a gate decision's rows and its ledger event).

    ``read_rows`` on a plain statement goes through SQLAlchemy's execution: a compiled
    cache lookup, parameter construction, an execution context and result metadata per
    call, which cost more than SQLite itself on a small indexed read. A prepared statement
    is compiled once per dialect and runs on the connection's own DBAPI connection (the
    same transaction), binding and reading values with SQLAlchemy's own type processing,
    so its rows are those SQLAlchemy would give. The engine's cursor events still fire
    (statement counts see it) and a driver error still arrives as SQLAlchemy's
    ``DBAPIError`` (an ``IntegrityError`` as one). Its parameters are plain bind
    parameters: an ``expanding`` one (``IN`` a list) is refused, since its SQL changes
    with the list. An INSERT names a bind parameter for each column it writes (its rows
    are those of its ``RETURNING``, if any); one whose columns take defaults computed in
    Python is refused, since only SQLAlchemy's own execution computes them.
    """

    __slots__ = ("_forms", "row_type", "statement")

    def __init__(self, statement: SelectBase | Insert) -> None:
        self.statement = statement
        #: Columns known only at run time: a named tuple made here, typed as ``Any``.
        self.row_type: Any = namedtuple(  # type: ignore[misc]
            "PreparedRow", list(map(str, statement.exported_columns.keys())), rename=True
        )
        self._forms: weakref.WeakKeyDictionary[Dialect, _DialectForm] = weakref.WeakKeyDictionary()

    def _form(self, dialect: Dialect) -> _DialectForm:
        form = self._forms.get(dialect)
        if form is None:
            form = self._forms[dialect] = _DialectForm(self, dialect)
        return form

    def run(self, connection: Connection, parameters: Mapping[str, Any]) -> list[PreparedRow]:
        """The rows on ``connection`` (in its transaction) with ``parameters`` bound."""
        dialect = connection.dialect
        form = self._form(dialect)
        arguments = form.arguments(parameters)
        dispatch = connection.dispatch
        cursor = connection.connection.cursor()
        try:
            if dispatch.before_cursor_execute:
                dispatch.before_cursor_execute(connection, cursor, form.sql, arguments, None, False)
            cursor.execute(form.sql, arguments)
            # An INSERT without RETURNING of its own gives no rows (on PostgreSQL its SQL
            # may still return the key SQLAlchemy would have read, which nobody asked for).
            fetched = _fetched(cursor, dialect.loaded_dbapi) if form.types else []
            if dispatch.after_cursor_execute:
                dispatch.after_cursor_execute(connection, cursor, form.sql, arguments, None, False)
            return form.rows(dialect, cursor.description, fetched)
        except dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(
                form.sql, arguments, error, dialect.loaded_dbapi.Error, dialect=dialect
            ) from error
        finally:
            cursor.close()


@overload
def read_rows(
    session: Session, statement: PreparedStatement, **parameters: Any
) -> list[PreparedRow]: ...
@overload
def read_rows(session: Session, statement: Executable, **parameters: Any) -> Sequence[Row[Any]]: ...
def read_rows(
    session: Session, statement: Executable | PreparedStatement, **parameters: Any
) -> Sequence[Row[Any]] | list[PreparedRow]:
    """Rows of a Core ``statement`` on the session's connection, pending changes flushed.

    Hot read paths (the gate input) build their statements once as a
    :class:`PreparedStatement` and run them here; any other statement runs through
    SQLAlchemy's execution (no ORM entities or identity map, a cached compiled form).
    """
    session.flush()
    if isinstance(statement, PreparedStatement):
        return statement.run(session.connection(), parameters)
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
