"""The scheduler process: wait for leadership, then run the jobs with APScheduler 3.x.

One ``BlockingScheduler`` with a persistent ``SQLAlchemyJobStore`` on the Gatehouse
database (table ``apscheduler_jobs``, created by migration 0003 like every table), a thread
pool, and per job: an explicit id, ``replace_existing``, ``coalesce`` (a backlog of
missed runs becomes one run) and ``misfire_grace_time`` (a run too late is skipped).
Jobs already in the store with the same trigger are left alone so that their next run
time (and any run missed during a failover) survives a change of leader.

The leader re-reads the ``audit_schedule`` table every ``sync_seconds`` and adds,
changes or removes the ``audit-schedule-<id>`` jobs to match, so schedules set through
the API or CLI take effect without a restart.

:func:`run_scheduler` is the ``gatehouse scheduler`` process (blocking, exits 3 when it
loses the lock); :func:`start_in_background` runs the same leadership loop on a thread of
another process, for the embedded default's "scheduler in the web process" (it competes
for the same lock, so it can run beside scheduler processes safely).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from apscheduler.events import EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import select

from app.config import Settings
from app.db import build_engine, session_scope
from app.jobs.definitions import (
    AUDIT_JOB_PREFIX,
    JOBS,
    JobContext,
    SchedulerOptions,
    audit_job_id,
    job,
)
from app.jobs.leader import LeaderLock, leader_lock_for
from app.jobs.runner import RUN_SCHEDULED_REF, record_missed_run, set_context
from app.models.schedules import AuditSchedule
from app.policy.factory import engine_from_settings

__all__ = [
    "JOB_TABLE",
    "BackgroundLeader",
    "build_scheduler",
    "record_misses",
    "run_scheduler",
    "scheduler_config",
    "start_in_background",
    "sync_audit_jobs",
    "sync_static_jobs",
]

log = logging.getLogger(__name__)

#: The job store's table in the Gatehouse database.
JOB_TABLE = "apscheduler_jobs"
# Seconds between checks that the leader still holds its lock.
_WATCHDOG_SECONDS = 5.0

_scheduler: BaseScheduler | None = None


class RunTimeExecutor(ThreadPoolExecutor):
    """A thread pool that tells each run which trigger time it is for (``scheduled_for``).

    APScheduler 3.x does not pass the run time to the job; a copy of the job carries it,
    so the stored job is never changed. With ``coalesce`` there is one run time per run.
    """

    def _do_submit_job(self, job: Job, run_times: list[Any]) -> None:
        copy = Job.__new__(Job)
        copy.__setstate__(job.__getstate__())
        copy._scheduler = job._scheduler
        copy._jobstore_alias = job._jobstore_alias
        copy.kwargs = {**job.kwargs, "scheduled_for": run_times[-1]}
        super()._do_submit_job(copy, run_times)


def scheduler_config(database_url: str, options: SchedulerOptions) -> dict[str, Any]:
    """Job store, executor and job defaults of every Gatehouse scheduler."""
    return {
        "jobstores": {"default": SQLAlchemyJobStore(url=database_url, tablename=JOB_TABLE)},
        "executors": {"default": RunTimeExecutor(max_workers=options.max_workers)},
        "job_defaults": {
            "coalesce": True,
            "misfire_grace_time": options.misfire_grace_seconds,
            "max_instances": 1,
        },
        "timezone": UTC,
    }


def build_scheduler(database_url: str, options: SchedulerOptions) -> BlockingScheduler:
    """A blocking scheduler whose jobs persist in the Gatehouse database."""
    return BlockingScheduler(**scheduler_config(database_url, options))


def _ensure_job(scheduler: BaseScheduler, job_id: str, name: str, trigger: BaseTrigger) -> None:
    """Add the job, or replace it when its trigger changed; an identical job keeps its state."""
    current = scheduler.get_job(job_id)
    if current is not None and str(current.trigger) == str(trigger) and current.args == (job_id,):
        return
    scheduler.add_job(
        RUN_SCHEDULED_REF,
        trigger=trigger,
        args=[job_id],
        id=job_id,
        name=name,
        replace_existing=True,
    )
    log.info("scheduled %s: %s", job_id, trigger)


def sync_static_jobs(scheduler: BaseScheduler, options: SchedulerOptions) -> None:
    """Put every registered job in the store (or take out those this process disables)."""
    for definition in JOBS.values():
        trigger = definition.trigger(options)
        if trigger is None:
            if scheduler.get_job(definition.id) is not None:
                scheduler.remove_job(definition.id)
            continue
        _ensure_job(scheduler, definition.id, definition.description, trigger)


def sync_audit_jobs(scheduler: BaseScheduler, engine: Any) -> None:
    """Make the ``audit-schedule-<id>`` jobs match the enabled audit schedules."""
    from app.audits.schedules import cron_trigger

    with session_scope(engine) as session:
        schedules = session.exec(select(AuditSchedule).where(AuditSchedule.enabled)).all()
        wanted = {audit_job_id(s.id or 0): s for s in schedules}
    for job_id, schedule in wanted.items():
        _ensure_job(
            scheduler,
            job_id,
            f"{schedule.kind} audit of model version {schedule.model_version_id}",
            cron_trigger(schedule.cron),
        )
    for stored in scheduler.get_jobs():
        if stored.id.startswith(AUDIT_JOB_PREFIX) and stored.id not in wanted:
            scheduler.remove_job(stored.id)
            log.info("unscheduled %s", stored.id)


@job(
    "audit-schedules-sync",
    "Match the audit jobs to the audit schedules",
    lambda options: IntervalTrigger(seconds=options.sync_seconds, timezone="UTC"),
    recorded=False,
)
def _sync_job(context: JobContext, session: Any) -> dict[str, Any]:
    """The leader's periodic re-read of the audit schedules."""
    if _scheduler is not None:
        sync_audit_jobs(_scheduler, context.engine)
    return {}


def record_misses(scheduler: BaseScheduler, engine: Any) -> None:
    """Record every run the scheduler skips as missed (a failed JobRun)."""
    scheduler.add_listener(
        lambda event: record_missed_run(engine, event.job_id, event.scheduled_run_time),
        EVENT_JOB_MISSED,
    )


def _wait_for_leadership(
    lock: LeaderLock, options: SchedulerOptions, stop: threading.Event
) -> bool:
    announced = False
    while not stop.is_set():
        if lock.try_acquire():
            return True
        if not announced:
            log.info("another scheduler leads; waiting to take over")
            announced = True
        stop.wait(options.poll_seconds)
    return False


def _watch(
    lock: LeaderLock, scheduler: BaseScheduler, lost: threading.Event, done: threading.Event
) -> None:
    """Stop the scheduler when this process no longer holds the lock (e.g. its connection died)."""
    while not done.wait(_WATCHDOG_SECONDS):
        if not lock.alive():
            log.error("lost the leader lock; stopping so that another process can lead")
            lost.set()
            if scheduler.running:
                scheduler.shutdown(wait=False)
            return


def _lead(
    settings: Settings,
    options: SchedulerOptions,
    scheduler: BaseScheduler,
    stop: threading.Event,
    on_leading: Callable[[], None] | None,
) -> bool:
    """Wait for the lock, then run ``scheduler`` until ``stop`` or the lock is lost.

    Returns True when the lock was lost. Shared by the scheduler process (blocking) and
    the scheduler embedded in the web process (background).
    """
    global _scheduler
    lock = leader_lock_for(settings.database_url)
    if not _wait_for_leadership(lock, options, stop):
        return False
    lost = threading.Event()
    done = threading.Event()
    engine = build_engine(settings.database_url)
    policy_engine = engine_from_settings(settings)
    try:
        set_context(JobContext(engine=engine, settings=settings, policy_engine=policy_engine))
        record_misses(scheduler, engine)
        _scheduler = scheduler
        log.info("leading: starting the scheduler")
        if on_leading is not None:
            on_leading()
        threading.Thread(target=_watch, args=(lock, scheduler, lost, done), daemon=True).start()
        _run(scheduler, options, engine, stop)
    finally:
        done.set()
        _scheduler = None
        lock.release()
        policy_engine.close()
        engine.dispose()
    return lost.is_set()


def run_scheduler(
    settings: Settings,
    options: SchedulerOptions,
    *,
    on_leading: Callable[[], None] | None = None,
) -> int:
    """Wait for leadership, then run jobs until SIGTERM/SIGINT; returns the exit status.

    Returns 0 after a requested stop and 3 when the leader lock was lost (a supervisor
    should restart the process, which then waits as a follower).
    """
    stop = threading.Event()
    scheduler = build_scheduler(settings.database_url, options)

    def request_stop(_signum: int, _frame: Any) -> None:
        stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return 3 if _lead(settings, options, scheduler, stop, on_leading) else 0


@dataclass
class BackgroundLeader:
    """A scheduler inside another process (the embedded default's web process).

    Its thread competes for the same leader lock as ``gatehouse scheduler`` processes,
    so at most one of all of them runs jobs; after losing the lock it waits again.
    """

    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float = 30.0) -> None:
        """Stop running jobs (or waiting to) and give the lock up."""
        self.stop_event.set()
        self.thread.join(timeout)


def start_in_background(settings: Settings, options: SchedulerOptions) -> BackgroundLeader:
    """Run the scheduler on a daemon thread of this process (``GATEHOUSE_SCHEDULER_IN_WEB``)."""
    stop = threading.Event()

    def lead_until_stopped() -> None:
        while not stop.is_set():
            scheduler = BackgroundScheduler(**scheduler_config(settings.database_url, options))
            _lead(settings, options, scheduler, stop, None)

    thread = threading.Thread(target=lead_until_stopped, name="gatehouse-scheduler", daemon=True)
    thread.start()
    return BackgroundLeader(thread=thread, stop_event=stop)


def _run(
    scheduler: BaseScheduler, options: SchedulerOptions, engine: Any, stop: threading.Event
) -> None:
    """Start paused, register the jobs, resume, and return once the scheduler stops.

    Paused, so nothing runs before the jobs in the store match the registry.
    """

    def register() -> None:
        sync_static_jobs(scheduler, options)
        sync_audit_jobs(scheduler, engine)
        scheduler.resume()

    if isinstance(scheduler, BackgroundScheduler):  # (a BlockingScheduler subclass)
        scheduler.start(paused=True)
        register()
        while scheduler.running and not stop.wait(0.5):
            pass
        if scheduler.running:
            scheduler.shutdown(wait=True)
        return

    # BlockingScheduler.start() blocks and opens the store inside: register from a thread.
    def when_started() -> None:
        while not scheduler.running:
            time.sleep(0.05)
        register()

    threading.Thread(target=when_started, daemon=True).start()
    scheduler.start(paused=True)
