"""SQLite WAL checkpoints beside the requests instead of inside one of them.

In WAL mode a commit appends its pages to the log; a checkpoint later copies them into
the database file. By default SQLite checkpoints inside the commit that leaves the log
over 1,000 pages, so that request also pays for copying about 1,000 pages and two more
fsyncs: measured on the 2-core machine, 16-32 ms against 4-5 ms for an ordinary commit,
and with ~15 pages per gate decision it falls on one gate call in ~66, i.e. exactly on
the endpoint's p99.

The engine's connections therefore turn the automatic checkpoint off, and after every
:data:`COMMITS_PER_CHECKPOINT` commits a thread of its own runs a passive checkpoint (it
waits for no reader or writer and blocks none) on a pooled connection.

The thread starts once the committing connection is back in the pool, i.e. after the
commit, never during it. SQLite rewinds the log to its start only when a write begins
on a log that is copied to the end; a checkpoint that ran beside the commit it was
counted for missed that commit's pages, so the log never rewound and grew by every
commit (42 MB after 600 gate calls), and each commit then also synced the file's new
size: 0.6-0.7 ms per commit against about 0.2 ms for one that overwrites the log.

Under steady concurrent writes a passive checkpoint copies the log but cannot rewind it:
some reader is always using it, so every writer appends (22 → 64 MB over 1,280 gate calls
from 8 clients). When a passive checkpoint leaves more than :data:`LOG_BOUND_BYTES` in the
log, the thread runs a ``RESTART`` checkpoint, which waits for the readers (at most
:data:`RESTART_WAIT_MS`, holding new writers meanwhile) so that the next writer starts
the log again, and ``journal_size_limit`` then trims the file back to the bound.

Durability is unchanged: a commit is durable once its pages are synced to the log
(``synchronous=FULL``, SQLite's default, kept), and a checkpoint only copies pages that
are durable already. A process that stops before its checkpoint runs leaves a longer log,
which the next checkpoint (or the last connection's close) copies as before.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPICursor

__all__ = [
    "COMMITS_PER_CHECKPOINT",
    "LOG_BOUND_BYTES",
    "RESTART_WAIT_MS",
    "THREAD_NAME",
    "WalCheckpointer",
    "checkpoint_beside_commits",
]

#: The checkpoint thread's name (a test waits for it by name).
THREAD_NAME = "wal-checkpoint"
#: Commits between two checkpoints: ~500 log pages for gate decisions, half SQLite's default.
COMMITS_PER_CHECKPOINT = 32
#: Log size over which a checkpoint makes the log rewind (and the size the file is
#: trimmed to): several times what sequential gate calls leave (3-5 MB).
LOG_BOUND_BYTES = 16 * 1024 * 1024
#: How long that checkpoint waits for readers; writers wait for it meanwhile.
RESTART_WAIT_MS = 100

_log = logging.getLogger(__name__)


class WalCheckpointer:
    """Counts an engine's commits and runs a passive checkpoint in a thread every
    :data:`COMMITS_PER_CHECKPOINT` of them, one at a time, once a connection is back in
    the pool (the commit that made it due has finished by then)."""

    def __init__(self, engine: Engine, log_bound_bytes: int = LOG_BOUND_BYTES) -> None:
        self._engine = engine
        self._log_bound_bytes = log_bound_bytes
        self._lock = threading.Lock()
        self._commits = 0
        self._running: threading.Thread | None = None

    def committed(self) -> None:
        """Count a commit (SQLAlchemy announces it before the driver commits)."""
        with self._lock:
            self._commits += 1

    def returned(self) -> None:
        """A connection is back in the pool: start a checkpoint if one is due and none runs.

        The pool also returns a connection the garbage collector found, which can happen
        in this very thread while it holds the lock (making the thread below allocates):
        such a return does not wait for the lock, and a later one starts the checkpoint.
        """
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self._commits < COMMITS_PER_CHECKPOINT:
                return
            if self._running is not None and self._running.is_alive():
                return
            self._commits = 0
            # Not a daemon: a checkpoint under way finishes before the interpreter exits.
            checkpoint = self._running = threading.Thread(target=self._checkpoint, name=THREAD_NAME)
        finally:
            self._lock.release()
        checkpoint.start()

    def _checkpoint(self) -> None:
        # A raw driver connection: SQLAlchemy would open a transaction around the pragma,
        # and ours begin IMMEDIATE, i.e. take the write lock a checkpoint does not need.
        try:
            connection = self._engine.raw_connection()
            try:
                cursor = connection.cursor()
                _, log_pages, _ = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
                if log_pages * page_size > self._log_bound_bytes:
                    self._rewind(cursor)
            finally:
                connection.close()
        except sqlite3.Error as error:
            # The log stays longer until the next checkpoint; nothing committed is lost.
            _log.warning("WAL checkpoint of %s failed: %s", self._engine.url, error)

    @staticmethod
    def _rewind(cursor: DBAPICursor) -> None:
        """Checkpoint so that the next writer starts the log again, waiting for readers
        only briefly: a log still in use stays as it is until the next try."""
        (timeout,) = cursor.execute("PRAGMA busy_timeout").fetchone()
        cursor.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
        try:
            cursor.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        finally:
            cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")


def checkpoint_beside_commits(engine: Engine, log_bound_bytes: int = LOG_BOUND_BYTES) -> None:
    """Turn off ``engine``'s in-commit checkpoints and run them in a thread instead,
    keeping the log near ``log_bound_bytes``."""
    checkpointer = WalCheckpointer(engine, log_bound_bytes)

    @event.listens_for(engine, "connect")
    def _no_checkpoint_in_commits(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
        dbapi_connection.execute(f"PRAGMA journal_size_limit={log_bound_bytes}")

    @event.listens_for(engine, "commit")
    def _count(_connection: object) -> None:
        checkpointer.committed()

    @event.listens_for(engine, "checkin")
    def _start(_dbapi_connection: object, _record: object) -> None:
        checkpointer.returned()
