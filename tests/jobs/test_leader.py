"""One leader across scheduler processes: each trigger runs once, and a follower takes over.

The multi-process test starts two real ``gatehouse scheduler`` processes against one
PostgreSQL database with a heartbeat job every 2 s, kills the leader, and counts the
JobRun rows per scheduled run time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.jobs.definitions import SchedulerOptions
from app.jobs.leader import FileLeaderLock, PostgresLeaderLock, leader_lock_for
from app.jobs.scheduler import start_in_background
from app.models.evidence import JobRun

GATEHOUSE = Path(sys.executable).parent / "gatehouse"
# Seconds a process may take to import, build the policy engine and reach the lock.
STARTUP_TIMEOUT = 90.0


def test_file_lock_has_one_holder_at_a_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gatehouse.db'}"
    first, second = leader_lock_for(url), leader_lock_for(url)
    assert isinstance(first, FileLeaderLock)
    assert first.try_acquire() and first.alive()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_advisory_lock_has_one_holder_and_frees_with_its_connection(database_url: str) -> None:
    first, second = leader_lock_for(database_url), leader_lock_for(database_url)
    assert isinstance(first, PostgresLeaderLock)
    assert first.try_acquire() and first.alive()
    assert not second.try_acquire()
    first.release()
    assert not first.alive()
    assert second.try_acquire()
    second.release()


class SchedulerProcess:
    """A ``gatehouse scheduler`` subprocess whose stderr lines are collected as they come."""

    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [str(GATEHOUSE), "scheduler", "--heartbeat-seconds", "2", "--poll-seconds", "0.5"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip())

    def wait_for(self, text: str, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        tail = "\n".join(self.lines[-20:])
        raise AssertionError(f"scheduler {self.process.pid} never said {text!r}:\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _environment(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a scheduler process on the test's database."""
    return {
        **os.environ,
        "GATEHOUSE_DATABASE_URL": database_url,
        "GATEHOUSE_STORAGE_DIR": str(tmp_path / "storage"),
        "GATEHOUSE_SECRET_KEY": "scheduler-test",
    }


def _heartbeats(database_url: str) -> list[JobRun]:
    engine = sa.create_engine(database_url)
    try:
        with Session(engine) as session:
            return list(
                session.exec(
                    select(JobRun)
                    .where(JobRun.job_id == "scheduler-heartbeat")
                    .order_by(col(JobRun.id))
                ).all()
            )
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_scheduler_processes_run_each_trigger_once_and_fail_over(
    database_url: str, tmp_path: Path
) -> None:
    env = _environment(database_url, tmp_path)
    leader = SchedulerProcess(env)
    follower: SchedulerProcess | None = None
    try:
        leader.wait_for("scheduler: leading")
        follower = SchedulerProcess(env)
        follower.wait_for("another scheduler leads")
        time.sleep(7)  # three or four heartbeats while both processes are up
        leader.process.send_signal(signal.SIGKILL)
        leader.process.wait(10)
        killed_at = datetime.now(UTC)
        follower.wait_for("scheduler: leading", timeout=30)
        time.sleep(7)
        follower.process.send_signal(signal.SIGTERM)
        assert follower.process.wait(30) == 0
    finally:
        leader.stop()
        if follower is not None:
            follower.stop()

    runs = _heartbeats(database_url)
    per_trigger = Counter(run.details["scheduled_for"] for run in runs)
    assert per_trigger and max(per_trigger.values()) == 1, per_trigger
    by_runner = Counter(run.details["runner"].split(":")[-1] for run in runs)
    assert set(by_runner) == {str(leader.process.pid), str(follower.process.pid)}
    assert by_runner[str(leader.process.pid)] >= 2 and by_runner[str(follower.process.pid)] >= 2
    for run in runs:
        if run.details["runner"].endswith(f":{follower.process.pid}"):
            assert run.started_at > killed_at
        else:
            assert run.started_at < killed_at
    # Every run ended, except perhaps the one the leader was killed in.
    unfinished = [run for run in runs if run.outcome != "succeeded"]
    assert len(unfinished) <= 1
    assert all(run.details["runner"].endswith(f":{leader.process.pid}") for run in unfinished)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_leader_that_loses_its_lock_connection_stops_with_status_3(
    database_url: str, tmp_path: Path
) -> None:
    env = _environment(database_url, tmp_path)
    leader = SchedulerProcess(env)
    try:
        leader.wait_for("scheduler: leading")
        engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                terminated = connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks "
                        "WHERE locktype = 'advisory' AND granted AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                ).all()
        finally:
            engine.dispose()
        assert terminated == [(True,)]
        assert leader.process.wait(30) == 3, "\n".join(leader.lines[-15:])
    finally:
        leader.stop()
    assert any("lost the leader lock" in line for line in leader.lines)


def test_schedulers_in_web_processes_share_the_lock(settings: Any, engine: Any) -> None:
    """The embedded default runs the scheduler in the web process: two of them, one leader."""
    options = SchedulerOptions(heartbeat_seconds=1, poll_seconds=0.2, sync_seconds=3600)
    first = start_in_background(settings, options)
    second = start_in_background(settings, options)
    try:
        deadline = time.monotonic() + 30
        while len(_heartbeats(settings.database_url)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        first.stop()
        assert not first.thread.is_alive()
        handed_over = len(_heartbeats(settings.database_url))
        deadline = time.monotonic() + 30
        while (
            len(_heartbeats(settings.database_url)) < handed_over + 2
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
    finally:
        first.stop()
        second.stop()
    assert not second.thread.is_alive()
    runs = _heartbeats(settings.database_url)
    assert len(runs) >= handed_over + 2 >= 5
    assert max(Counter(run.details["scheduled_for"] for run in runs).values()) == 1
