"""The leader lock: only the process holding it runs a scheduler.

APScheduler 3.x cannot share one job store between running schedulers (jobs would run
twice or be missed), so every ``gatehouse scheduler`` process first takes this lock and
the others wait, polling, to take over when the leader dies.

- PostgreSQL: ``pg_try_advisory_lock`` on a dedicated connection (outside any pool). The
  server releases it when that connection closes, so a killed leader frees it at once;
  :meth:`PostgresLeaderLock.alive` checks the connection so a leader that lost it stops.
- SQLite: a ``filelock`` file next to the database file; the OS releases it on exit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from filelock import FileLock, Timeout
from sqlalchemy.pool import NullPool

__all__ = [
    "ADVISORY_LOCK_KEY",
    "FileLeaderLock",
    "LeaderLock",
    "PostgresLeaderLock",
    "leader_lock_for",
]

#: Advisory lock key of the scheduler leader (distinct from the ledger's).
ADVISORY_LOCK_KEY = 0x6761_7465_5343_4844  # "gateSCHD"


class LeaderLock(Protocol):
    """A lock at most one process holds."""

    def try_acquire(self) -> bool:
        """Take the lock if free; True when this process holds it."""

    def alive(self) -> bool:
        """True while this process still holds the lock."""

    def release(self) -> None:
        """Give the lock up."""


class PostgresLeaderLock:
    """A session-level advisory lock held on its own connection."""

    def __init__(self, database_url: str) -> None:
        self._engine = sa.create_engine(database_url, poolclass=NullPool)
        self._connection: sa.Connection | None = None

    def try_acquire(self) -> bool:
        if self._connection is None:
            self._connection = self._engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            )
        held = self._connection.execute(
            sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        ).scalar()
        return bool(held)

    def alive(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
            except sa.exc.SQLAlchemyError:
                pass  # the connection is gone, and the server released the lock with it
            finally:
                self._connection.close()
                self._connection = None
        self._engine.dispose()


class FileLeaderLock:
    """An exclusive file lock (``<database>.scheduler.lock``)."""

    def __init__(self, path: Path) -> None:
        # Not thread-local: the watchdog thread checks the lock the main thread took.
        self._lock = FileLock(str(path), thread_local=False)

    def try_acquire(self) -> bool:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def alive(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        self._lock.release(force=True)


def leader_lock_for(database_url: str) -> LeaderLock:
    """The leader lock suited to the database: advisory on PostgreSQL, a file on SQLite."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return PostgresLeaderLock(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return FileLeaderLock(Path(url.database).with_suffix(".scheduler.lock"))
    raise ValueError(f"no leader lock for {url.get_backend_name()} databases")
