"""Run one job and record it as a ``JobRun``: start, end, outcome, error, details.

The JobRun is written in its own transaction before the job starts (so a crash leaves a
``running`` row behind, visibly unfinished) and finished in another; the job's own work
commits in between. A trigger time already started by a previous leader is not run again:
the run's ``details.scheduled_for`` is checked against the job's latest runs.

APScheduler calls :func:`run_scheduled` by its textual reference (the job store pickles
references, not functions); the scheduler process sets the context with
:func:`set_context` once it leads.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from app.db import session_scope
from app.errors import GatehouseError
from app.jobs.definitions import JobContext, definition_for
from app.jobs.errors import JobFailedError
from app.models.base import utc_now
from app.models.evidence import JobRun

__all__ = [
    "RUN_SCHEDULED_REF",
    "execute_job",
    "record_missed_run",
    "run_scheduled",
    "set_context",
]

log = logging.getLogger(__name__)

#: The textual reference APScheduler stores for every Gatehouse job.
RUN_SCHEDULED_REF = "app.jobs.runner:run_scheduled"
# Recent runs of a job compared against a new run's trigger time.
_DUPLICATE_WINDOW = 5
# Longest error text kept (the column holds 4000).
_ERROR_LENGTH = 1000

# Which process ran a job (host and pid), recorded so a failover can be traced.
_RUNNER = f"{socket.gethostname()}:{os.getpid()}"

_context: JobContext | None = None


def set_context(context: JobContext) -> None:
    """Give this process's jobs their database, settings and policy engine."""
    global _context
    _context = context


def run_scheduled(job_id: str, scheduled_for: datetime | None = None) -> None:
    """The function every APScheduler job calls (``scheduled_for`` comes from the executor)."""
    if _context is None:
        raise RuntimeError("the scheduler context is not set")
    context = JobContext(
        engine=_context.engine,
        settings=_context.settings,
        policy_engine=_context.policy_engine,
        scheduled_for=scheduled_for,
    )
    execute_job(context, job_id)


def _already_started(context: JobContext, job_id: str) -> bool:
    if context.scheduled_for is None:
        return False
    with session_scope(context.engine) as session:
        recent = session.exec(
            select(JobRun)
            .where(JobRun.job_id == job_id)
            .order_by(col(JobRun.id).desc())
            .limit(_DUPLICATE_WINDOW)
        ).all()
    stamp = context.scheduled_for.isoformat()
    return any(run.details.get("scheduled_for") == stamp for run in recent)


def execute_job(context: JobContext, job_id: str) -> JobRun | None:
    """Run ``job_id`` now and record it; returns its JobRun (None if not recorded or a repeat)."""
    definition = definition_for(job_id)
    if not definition.recorded:
        with session_scope(context.engine) as session:
            definition.run(context, session)
        return None
    if _already_started(context, job_id):
        log.warning(
            "job %s for %s already ran; not running it again", job_id, context.scheduled_for
        )
        return None
    base: dict[str, Any] = {
        "scheduled_for": context.scheduled_for.isoformat() if context.scheduled_for else None,
        "runner": _RUNNER,
    }
    with session_scope(context.engine) as session:
        run = JobRun(job_id=job_id, details=base)
        session.add(run)
    outcome, error, details = "succeeded", None, {}
    try:
        with session_scope(context.engine) as session:
            details = definition.run(context, session)
    except GatehouseError as failure:
        outcome, error = "failed", (str(failure).splitlines() or [""])[0][:_ERROR_LENGTH]
        if isinstance(failure, JobFailedError):
            details = failure.details
    except Exception as failure:  # recorded as one line; the traceback goes to the log only
        log.exception("job %s failed", job_id)
        outcome, error = "failed", f"internal error ({type(failure).__name__})"
    with session_scope(context.engine) as session:
        finished = session.get(JobRun, run.id)
        assert finished is not None
        finished.finished_at = utc_now()
        finished.outcome = outcome
        finished.error = error
        finished.details = {**base, **details}
        session.add(finished)
    log.info("job %s %s", job_id, outcome)
    return finished


def record_missed_run(engine: Engine, job_id: str, scheduled_for: datetime) -> JobRun | None:
    """Record a run APScheduler skipped (later than the misfire grace time) as failed.

    So a nightly audit that did not happen is as visible as one that failed; jobs whose
    runs are not recorded (housekeeping) are left out.
    """
    try:
        if not definition_for(job_id).recorded:
            return None
    except GatehouseError:
        return None
    with session_scope(engine) as session:
        run = JobRun(
            job_id=job_id,
            finished_at=utc_now(),
            outcome="failed",
            error=f"missed: not started within the misfire grace time of {scheduled_for.isoformat()}",
            details={"scheduled_for": scheduled_for.isoformat(), "runner": _RUNNER, "missed": True},
        )
        session.add(run)
    return run
