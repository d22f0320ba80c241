"""The registry of scheduled jobs: one function and one registration each.

A job function receives the :class:`JobContext` and a session whose transaction commits
when it returns, and returns the details recorded on its ``JobRun``. Raising a
:class:`~app.errors.GatehouseError` ends the run ``failed`` with the message as error.
Adding a job (the training-launch status sync, say) is one ``@job(...)``-decorated
function here or in the module that owns the work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import NotFoundError
from app.jobs.errors import JobFailedError
from app.ledger import SCHEDULER_ACTOR, append_event, append_record_event
from app.models.base import utc_now
from app.models.datasets import DatasetVersion, ErasureRequest
from app.models.schedules import AuditSchedule
from app.models.vocabulary import AttestedSubject, LedgerSubject
from app.policy.engine import PolicyEngine

__all__ = [
    "AUDIT_JOB_PREFIX",
    "JOBS",
    "JobContext",
    "JobDefinition",
    "SchedulerOptions",
    "audit_job_id",
    "definition_for",
    "job",
]

#: Job ids of audit schedules are this prefix plus the schedule id.
AUDIT_JOB_PREFIX = "audit-schedule-"


@dataclass(frozen=True)
class SchedulerOptions:
    """Settings of one scheduler process."""

    #: Seconds between attempts to take the leader lock while another process holds it.
    poll_seconds: float = 1.0
    #: Seconds between re-reads of the audit schedules by the leader.
    sync_seconds: float = 60.0
    #: Seconds between heartbeat runs (0: no heartbeat job); operators watch its JobRuns.
    heartbeat_seconds: float = 0.0
    #: A run later than this many seconds after its time is skipped (recorded as missed).
    misfire_grace_seconds: int = 600
    #: Threads running jobs concurrently.
    max_workers: int = 4


@dataclass(frozen=True)
class JobContext:
    """What a job may use: the database, the settings, the policy engine, its run time."""

    engine: Engine
    settings: Settings
    policy_engine: PolicyEngine
    #: The trigger time this run is for (UTC), or None when run by hand.
    scheduled_for: datetime | None = None


JobFunction = Callable[[JobContext, Session], dict[str, Any]]


@dataclass(frozen=True)
class JobDefinition:
    """A job: its id, what it is for, when it runs and what it does."""

    #: Stable id: the APScheduler job id and ``JobRun.job_id``.
    id: str
    #: One line for operators.
    description: str
    #: The trigger for a process's options; None leaves the job unscheduled.
    trigger: Callable[[SchedulerOptions], BaseTrigger | None]
    #: The work; returns the details recorded on the JobRun.
    run: JobFunction
    #: Whether each run is recorded as a JobRun (housekeeping like the sync is not).
    recorded: bool = True


#: Every static job, by id.
JOBS: dict[str, JobDefinition] = {}


def job(
    job_id: str,
    description: str,
    trigger: Callable[[SchedulerOptions], BaseTrigger | None],
    *,
    recorded: bool = True,
) -> Callable[[JobFunction], JobFunction]:
    """Register the decorated function as the job ``job_id``."""

    def register(function: JobFunction) -> JobFunction:
        JOBS[job_id] = JobDefinition(job_id, description, trigger, function, recorded)
        return function

    return register


def _daily(hour: int, minute: int = 0) -> Callable[[SchedulerOptions], BaseTrigger]:
    return lambda _options: CronTrigger(hour=hour, minute=minute, timezone="UTC")


@job(
    "approval-expiry",
    "Expire approval requests past their deadline",
    lambda _o: IntervalTrigger(minutes=15, timezone="UTC"),
)
def expire_approvals(context: JobContext, session: Session) -> dict[str, Any]:
    """Close pending approval requests whose expiry has passed (``app.approvals``)."""
    from app.approvals.service import expire_requests

    expired = expire_requests(session=session, now=context.scheduled_for or utc_now())
    return {"expired_request_ids": [request.id for request in expired]}


@job(
    "retention-reminders",
    "Remind owners of data past retention or with open erasure requests",
    _daily(6),
)
def retention_reminders(context: JobContext, session: Session) -> dict[str, Any]:
    """Ledger a reminder for each dataset version past its retention date or with open
    erasures. The date is the one the compliance officer attested (the one the storage
    limitation control reads); a version with none attested is reminded of the date its
    registrant declared."""
    from app.attestations.current import current_values_of_fact

    now = context.scheduled_for or utc_now()
    deadlines: dict[int, tuple[date, str]] = {
        version_id: (declared, "declared")
        for version_id, declared in session.exec(
            select(col(DatasetVersion.id), col(DatasetVersion.retention_until)).where(
                col(DatasetVersion.retention_until).is_not(None)
            )
        ).all()
        if version_id is not None and declared is not None
    }
    for version_id, attested in current_values_of_fact(
        session=session,
        subject_type=AttestedSubject.DATASET_VERSION,
        fact="retention_until",
        now=now,
    ).items():
        deadlines[version_id] = (date.fromisoformat(attested), "attested")
    past = sorted(
        version_id for version_id, (deadline, _) in deadlines.items() if deadline < now.date()
    )
    expired = session.exec(
        select(DatasetVersion)
        .where(col(DatasetVersion.id).in_(past))
        .order_by(col(DatasetVersion.id))
    ).all()
    open_requests = session.exec(
        select(ErasureRequest)
        .where(col(ErasureRequest.resolved_at).is_(None))
        .order_by(col(ErasureRequest.id))
    ).all()
    for version in expired:
        append_record_event(
            session=session,
            record=version,
            action="dataset_version.retention_reminder",
            actor=SCHEDULER_ACTOR,
            payload={
                "retention_until": deadlines[version.id or 0][0].isoformat(),
                "retention_source": deadlines[version.id or 0][1],
            },
        )
    for request in open_requests:
        append_event(
            session=session,
            actor=SCHEDULER_ACTOR,
            action="dataset_version.erasure_reminder",
            subject_type=LedgerSubject.DATASET_VERSION,
            subject_id=request.dataset_version_id,
            payload={
                "erasure_request_id": request.id,
                "requested_at": request.requested_at.isoformat(),
            },
        )
    return {
        "past_retention_version_ids": [version.id for version in expired],
        "open_erasure_request_ids": [request.id for request in open_requests],
    }


@job("ledger-verify", "Verify the ledger's hash chain", _daily(3))
def ledger_verify(context: JobContext, session: Session) -> dict[str, Any]:
    """Walk the whole chain and record it; a break fails the run, naming the first broken event."""
    from app.ledger.progress import verify_fully

    _state, outcome = verify_fully(session=session)
    if outcome.broken is not None:
        session.commit()  # the recorded break is what the portal shows
        raise JobFailedError(str(outcome.broken))
    return {"events_checked": outcome.events_checked, "head_hash": outcome.head_hash}


#: How many differing rows a failed reconciliation records by name (the count is whole).
_RECONCILE_LISTED = 100


@job(
    "ledger-reconcile",
    "Check the rows the gates read against the ledger events that recorded them",
    _daily(3, 30),
)
def ledger_reconcile(context: JobContext, session: Session) -> dict[str, Any]:
    """Replay the ledger over the rows the gates read (``gatehouse ledger reconcile``); a
    row changed behind the ledger's back fails the run, naming each such row by table, id
    and fields, never a value."""
    from app.ledger.reconcile import reconcile_rows

    checked, found = reconcile_rows(session=session)
    if found:
        raise JobFailedError(
            f"{len(found)} of {checked} rows are not what the ledger recorded",
            details={
                "rows_checked": checked,
                "rows_differing": [str(row) for row in found[:_RECONCILE_LISTED]],
            },
        )
    return {"rows_checked": checked}


@job(
    "ledger-checkpoint",
    "Sign a checkpoint of the ledger's head",
    lambda _o: IntervalTrigger(hours=1, timezone="UTC"),
)
def ledger_checkpoint(context: JobContext, session: Session) -> dict[str, Any]:
    """Verify the new events and sign the head (timestamped when a TSA is configured).

    Skipped when nothing was appended since the latest checkpoint but its own event.
    """
    from app.ledger.chain import head_position
    from app.ledger.checkpoints import create_checkpoint, latest_checkpoint

    latest = latest_checkpoint(session=session)
    if latest is not None and head_position(session=session).seq <= latest.seq + 1:
        return {"skipped": f"no new events since checkpoint {latest.id}"}
    checkpoint = create_checkpoint(
        session=session, settings=context.settings, actor=SCHEDULER_ACTOR
    )
    return {
        "checkpoint_id": checkpoint.id,
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
    }


@job(
    "training-status-sync",
    "Copy launched training jobs' status into their runs",
    lambda _o: IntervalTrigger(minutes=5, timezone="UTC"),
)
def training_status_sync(context: JobContext, session: Session) -> dict[str, Any]:
    """Move running runs to succeeded/failed as their launcher reports (``app.launch``).

    A run that cannot be synced (say, the API server forbids reading its Job) keeps its
    state, gets the error as its ``launcher_detail``, and is listed under ``errors``.
    """
    from app.launch.registry import build_launcher
    from app.launch.service import sync_running_runs

    launcher = build_launcher(context.settings)
    report: dict[str, Any] = sync_running_runs(
        session=session, launcher=launcher, actor=SCHEDULER_ACTOR
    )
    return report


@job(
    "webhook-redelivery",
    "Send webhook deliveries left pending by a stopped process",
    lambda _o: IntervalTrigger(minutes=1, timezone="UTC"),
)
def webhook_redelivery(context: JobContext, session: Session) -> dict[str, Any]:
    """Send what a stopped process left pending (``app.approvals.webhooks``); deliveries a
    live process is still retrying are left to it."""
    from app.approvals.webhooks import deliver_abandoned

    # The deliveries are sent through their own short transactions, not this session, so
    # no write lock is held while a receiver answers.
    outcome = deliver_abandoned(engine=context.engine, now=context.scheduled_for)
    return {"delivered_ids": outcome["delivered"], "failed_ids": outcome["failed"]}


@job(
    "storage-sweep",
    "Remove stored files no record points at (older than 6 hours)",
    lambda _o: IntervalTrigger(hours=1, timezone="UTC"),
)
def storage_sweep(context: JobContext, session: Session) -> dict[str, Any]:
    """Promote or remove leftovers of uploads, reports and model artefacts
    (``app.registry.storage_sweep``), ledgered."""
    from app.registry.storage_sweep import sweep_storage

    report = sweep_storage(
        session=session,
        storage_dir=context.settings.storage_dir,
        actor=SCHEDULER_ACTOR,
        now=context.scheduled_for,
    )
    return report.to_dict()


@job(
    "idempotency-expiry",
    "Forget the answers of Idempotency-Key requests older than a day",
    lambda _o: IntervalTrigger(hours=1, timezone="UTC"),
)
def idempotency_expiry(context: JobContext, session: Session) -> dict[str, Any]:
    """Delete stored answers past their time to live (``app.idempotency``): their keys
    may then be used for new requests."""
    from app.idempotency import expire

    return {"expired": expire(session=session, now=context.scheduled_for or utc_now())}


@job(
    "scheduler-heartbeat",
    "Proof of life of the leader (only with --heartbeat-seconds)",
    lambda options: (
        IntervalTrigger(seconds=options.heartbeat_seconds, timezone="UTC")
        if options.heartbeat_seconds > 0
        else None
    ),
)
def heartbeat(context: JobContext, session: Session) -> dict[str, Any]:
    """Record that the leader ran a job on time (its JobRuns are the signal)."""
    return {}


def audit_job_id(schedule_id: int) -> str:
    """The job id of an audit schedule."""
    return f"{AUDIT_JOB_PREFIX}{schedule_id}"


def _run_scheduled_audit(schedule_id: int) -> JobFunction:
    def run(context: JobContext, session: Session) -> dict[str, Any]:
        from app.audits.service import run_audit

        schedule = session.get(AuditSchedule, schedule_id)
        if schedule is None:
            raise NotFoundError(f"audit schedule {schedule_id} no longer exists")
        audit = run_audit(
            session=session,
            engine=context.policy_engine,
            model_version_id=schedule.model_version_id,
            dataset_version_id=schedule.dataset_version_id,
            kind=schedule.kind,
            parameters=schedule.parameters,
            actor=SCHEDULER_ACTOR,
            schedule=schedule.cron,
        )
        if audit.status == "failed":
            # The failed AuditRun is kept: the session commits, the JobRun says why.
            session.commit()
            raise JobFailedError(f"audit run {audit.id} failed: {audit.error}")
        return {
            "audit_run_id": audit.id,
            "status": audit.status,
            "summary_keys": sorted(audit.summary),
        }

    return run


def definition_for(job_id: str) -> JobDefinition:
    """The definition of ``job_id``: a registered job or an audit schedule's job."""
    if job_id in JOBS:
        return JOBS[job_id]
    if job_id.startswith(AUDIT_JOB_PREFIX) and job_id[len(AUDIT_JOB_PREFIX) :].isdigit():
        schedule_id = int(job_id[len(AUDIT_JOB_PREFIX) :])
        return JobDefinition(
            id=job_id,
            description=f"Audit schedule {schedule_id}",
            trigger=lambda _options: None,
            run=_run_scheduled_audit(schedule_id),
        )
    raise NotFoundError(f"no job '{job_id}'")
