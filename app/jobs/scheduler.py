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
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
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
from app.jobs.runner import RUN_SCHEDULED_REF, set_context
from app.models.schedules import AuditSchedule
from app.policy.factory import build_engine as build_policy_engine

__all__ = [
    "JOB_TABLE",
    "build_scheduler",
    "run_scheduler",
    "scheduler_config",
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
    from app.audits.service import cron_trigger

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
    global _scheduler
    stop = threading.Event()
    lost = threading.Event()
    done = threading.Event()
    scheduler = build_scheduler(settings.database_url, options)

    def request_stop(_signum: int, _frame: Any) -> None:
        stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    lock = leader_lock_for(settings.database_url)
    if not _wait_for_leadership(lock, options, stop):
        return 0
    engine = build_engine(settings.database_url)
    policy_engine = build_policy_engine(
        kind=settings.policy_engine,
        policy_dir=settings.policy_dir,
        opa_url=settings.opa_url,
        timeout_s=settings.policy_timeout_s,
        extra_data_path=settings.policy_data_override,
    )
    try:
        set_context(JobContext(engine=engine, settings=settings, policy_engine=policy_engine))
        _scheduler = scheduler
        log.info("leading: starting the scheduler")
        if on_leading is not None:
            on_leading()
        threading.Thread(target=_watch, args=(lock, scheduler, lost, done), daemon=True).start()
        _start(scheduler, options, engine)
    finally:
        done.set()
        _scheduler = None
        lock.release()
        policy_engine.close()
        engine.dispose()
    return 3 if lost.is_set() else 0


def _start(scheduler: BlockingScheduler, options: SchedulerOptions, engine: Any) -> None:
    """Register the jobs once the job store is open, then block running them."""

    def register() -> None:
        sync_static_jobs(scheduler, options)
        sync_audit_jobs(scheduler, engine)
        scheduler.resume()

    # start() blocks and the store opens inside it: register from a thread once it runs
    # (paused, so nothing runs before the jobs match the registry).
    def when_started() -> None:
        while not scheduler.running:
            time.sleep(0.05)
        register()

    threading.Thread(target=when_started, daemon=True).start()
    scheduler.start(paused=True)
