"""Each job run is recorded (start, end, outcome, one-line error, details), and every job
does its work against a real database."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from sqlmodel import col, select

from app.attestations.service import attest
from app.audits.schedules import (
    AuditScheduleCreate,
    AuditScheduleUpdate,
    create_schedule,
    update_schedule,
)
from app.db import session_scope
from app.jobs import definitions
from app.jobs.definitions import JOBS, SchedulerOptions, audit_job_id
from app.jobs.runner import RUN_SCHEDULED_REF, execute_job
from app.jobs.scheduler import record_misses, scheduler_config, sync_audit_jobs, sync_static_jobs
from app.ledger import append_event
from app.models.evidence import AuditRun, JobRun
from app.models.ledger import LedgerEvent
from app.models.vocabulary import LedgerSubject
from app.registry.datasets import record_erasure_request


def test_ledger_verify_records_success_then_the_broken_event(job_context: Any, engine: Any) -> None:
    with session_scope(engine) as session:
        for n in range(3):
            append_event(
                session=session,
                actor="t",
                action="test.event",
                subject_type=LedgerSubject.DATASET,
                subject_id=n,
                payload={"n": n},
            )
    intact = execute_job(job_context, "ledger-verify")
    assert intact is not None and intact.outcome == "succeeded"
    assert intact.details["events_checked"] >= 3
    assert intact.finished_at is not None and intact.finished_at >= intact.started_at
    with session_scope(engine) as session:
        event = session.exec(select(LedgerEvent).where(LedgerEvent.action == "test.event")).first()
        assert event is not None
        session.execute(
            sa.update(LedgerEvent)
            .where(col(LedgerEvent.seq) == event.seq)
            .values(payload={"n": 99})
        )
        broken_seq = event.seq
    broken = execute_job(job_context, "ledger-verify")
    assert broken is not None and broken.outcome == "failed"
    assert (
        broken.error
        == f"ledger broken at event {broken_seq}: payload does not match its payload_sha256 (payload edited)"
    )
    with session_scope(engine) as session:
        stored = session.exec(select(JobRun).order_by(col(JobRun.id))).all()
    assert [(r.job_id, r.outcome) for r in stored] == [
        ("ledger-verify", "succeeded"),
        ("ledger-verify", "failed"),
    ]


def test_an_unexpected_exception_is_one_line_without_its_message(
    job_context: Any, engine: Any, monkeypatch: Any
) -> None:
    def explode(context: Any, session: Any) -> dict[str, Any]:
        raise RuntimeError("applicant Jane Doe, IBAN DE89 3704 0044 0532 0130 00")

    monkeypatch.setitem(
        JOBS, "explodes", definitions.JobDefinition("explodes", "test", lambda _o: None, explode)
    )
    run = execute_job(job_context, "explodes")
    assert run is not None
    assert (run.outcome, run.error) == ("failed", "internal error (RuntimeError)")


def test_a_trigger_time_runs_once(job_context: Any, engine: Any) -> None:
    at = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    context = dataclasses.replace(job_context, scheduled_for=at)
    first = execute_job(context, "scheduler-heartbeat")
    again = execute_job(context, "scheduler-heartbeat")
    assert first is not None and again is None
    assert first.details["scheduled_for"] == at.isoformat()
    assert first.details["runner"].endswith(f":{__import__('os').getpid()}")


def test_retention_and_erasure_reminders_are_ledgered(
    job_context: Any, engine: Any, seeded: Any
) -> None:
    seed = seeded
    with session_scope(engine) as session:
        record_erasure_request(
            session=session,
            version_id=seed.ids["triage"],
            reference="DSR-2026-0042",
            actor="olivia",
        )
    # Every demo retention date (2028-2030) is past in 2031.
    later = dataclasses.replace(job_context, scheduled_for=datetime(2031, 1, 1, 6, tzinfo=UTC))
    run = execute_job(later, "retention-reminders")
    assert run is not None and run.outcome == "succeeded"
    assert seed.ids["notes_raw"] in run.details["past_retention_version_ids"]
    assert len(run.details["open_erasure_request_ids"]) == 1
    with session_scope(engine) as session:
        reminders = session.exec(
            select(LedgerEvent).where(LedgerEvent.action == "dataset_version.erasure_reminder")
        ).all()
    assert [r.subject_id for r in reminders] == [str(seed.ids["triage"])]


def test_the_attested_retention_deadline_is_the_one_reminded_of(
    job_context: Any, engine: Any, seeded: Any
) -> None:
    """The compliance officer's deadline replaces the registrant's in both directions:
    an earlier one is reminded of when it passes, a later one not before it does."""
    seed = seeded
    earlier, later = seed.ids["notes_raw"], seed.ids["notes_deid"]  # both declared 2029-12-31
    with session_scope(engine) as session:
        for version_id, deadline in ((earlier, "2027-01-01"), (later, "2032-01-01")):
            attest(
                session=session,
                subject_type="dataset_version",
                subject_id=version_id,
                fact="retention_until",
                value=deadline,
                evidence_ref="RET-2026-5",
                justification="retention schedule reviewed",
                actor="olivia",
            )
    in_2027 = dataclasses.replace(job_context, scheduled_for=datetime(2027, 6, 1, 6, tzinfo=UTC))
    run = execute_job(in_2027, "retention-reminders")
    assert run is not None and run.outcome == "succeeded"
    assert run.details["past_retention_version_ids"] == [earlier]
    in_2031 = dataclasses.replace(job_context, scheduled_for=datetime(2031, 1, 1, 6, tzinfo=UTC))
    run = execute_job(in_2031, "retention-reminders")
    assert run is not None
    assert earlier in run.details["past_retention_version_ids"]
    assert later not in run.details["past_retention_version_ids"]
    with session_scope(engine) as session:
        reminded = session.exec(
            select(LedgerEvent).where(
                LedgerEvent.action == "dataset_version.retention_reminder",
                LedgerEvent.subject_id == str(earlier),
            )
        ).first()
    assert reminded is not None
    assert reminded.payload == {"retention_until": "2027-01-01", "retention_source": "attested"}


def test_the_daily_reconciliation_names_rows_changed_behind_the_ledgers_back(
    job_context: Any, engine: Any, seeded: Any
) -> None:
    honest = execute_job(job_context, "ledger-reconcile")
    assert honest is not None and honest.outcome == "succeeded", honest.error
    assert honest.details["rows_checked"] > 50
    with engine.begin() as connection:
        changed = connection.execute(
            sa.text(
                "UPDATE attestation SET value = '\"low\"' WHERE fact = 'risk_tier' "
                "AND subject_id = :model RETURNING id"
            ),
            {"model": seeded.ids["credit_model"]},
        ).scalar_one()
    later = dataclasses.replace(job_context, scheduled_for=datetime(2031, 1, 2, 3, 30, tzinfo=UTC))
    tampered = execute_job(later, "ledger-reconcile")
    assert tampered is not None and tampered.outcome == "failed"
    assert tampered.error == (
        f"1 of {tampered.details['rows_checked']} rows are not what the ledger recorded"
    )
    assert tampered.details["rows_differing"] == [
        f"attestation {changed}: value: not what the ledger recorded"
    ]


def test_approval_expiry_calls_the_approvals_service(job_context: Any) -> None:
    run = execute_job(job_context, "approval-expiry")
    assert run is not None and run.outcome == "succeeded"
    assert run.details["expired_request_ids"] == []


def test_training_status_sync_asks_the_launcher_about_running_runs(
    job_context: Any, seeded: Any
) -> None:
    run = execute_job(job_context, "training-status-sync")
    assert run is not None and run.outcome == "succeeded", run.error if run else None
    assert run.details["runs"] == {}  # the seeded runs are drafts: nothing is running


def test_audit_schedule_job_runs_the_audit_and_records_failures(
    job_context: Any, engine: Any, seeded: Any, register_decisions: Any
) -> None:
    seed = seeded
    version_id = register_decisions(
        pd.DataFrame(
            {"group": ["a", "b"] * 50, "y_true": [1, 0, 0, 1] * 25, "y_pred": [1, 0, 1, 1] * 25}
        )
    )
    parameters = {"y_true": "y_true", "y_pred": "y_pred", "sensitive": ["group"], "bootstrap": 5}
    with session_scope(engine) as session:
        schedule = create_schedule(
            session=session,
            data=AuditScheduleCreate(
                model_version_id=seed.ids["credit_model"],
                dataset_version_id=version_id,
                kind="fairness",
                cron="0 2 * * *",
                parameters=parameters,  # type: ignore[arg-type]
            ),
            actor="marcus",
        )
        schedule_id = schedule.id or 0
    ok = execute_job(job_context, audit_job_id(schedule_id))
    assert ok is not None and ok.outcome == "succeeded", ok.error if ok else None
    with session_scope(engine) as session:
        update_schedule(
            session=session,
            schedule_id=schedule_id,
            data=AuditScheduleUpdate(parameters={**parameters, "sensitive": ["sex"]}),  # type: ignore[arg-type]
            actor="marcus",
        )
    failed = execute_job(job_context, audit_job_id(schedule_id))
    assert failed is not None and failed.outcome == "failed"
    with session_scope(engine) as session:
        runs = session.exec(select(AuditRun).order_by(col(AuditRun.id))).all()
    assert [(r.status, r.requested_by, r.schedule) for r in runs] == [
        ("succeeded", "scheduler", "0 2 * * *"),
        ("failed", "scheduler", "0 2 * * *"),
    ]
    assert ok.details["audit_run_id"] == runs[0].id
    assert failed.error == f"audit run {runs[1].id} failed: {runs[1].error}"
    assert "sensitive column 'sex' not found" in (failed.error or "")


def test_sync_puts_jobs_and_schedules_in_the_persistent_store(
    database_url: str, engine: Any, seeded: Any
) -> None:
    seed = seeded
    options = SchedulerOptions()
    scheduler = BackgroundScheduler(**scheduler_config(database_url, options))
    scheduler.start(paused=True)
    try:
        sync_static_jobs(scheduler, options)
        with session_scope(engine) as session:
            schedule = create_schedule(
                session=session,
                data=AuditScheduleCreate(
                    model_version_id=seed.ids["credit_model"],
                    dataset_version_id=seed.ids["german_credit"],
                    kind="fairness",
                    cron="0 2 * * *",
                    parameters={"y_true": "target", "sensitive": ["Status/sex"]},  # type: ignore[arg-type]
                ),
                actor="marcus",
            )
        sync_audit_jobs(scheduler, engine)
        job_id = audit_job_id(schedule.id or 0)
        ids = {job.id for job in scheduler.get_jobs()}
        assert ids == {
            "approval-expiry",
            "retention-reminders",
            "ledger-verify",
            "ledger-reconcile",
            "ledger-checkpoint",
            "training-status-sync",
            "webhook-redelivery",
            "storage-sweep",
            "idempotency-expiry",
            job_id,
        } | ({"audit-schedules-sync"} if "audit-schedules-sync" in JOBS else set())
        first_run = scheduler.get_job(job_id).next_run_time
        assert (first_run.hour, first_run.minute) == (2, 0)
        sync_audit_jobs(scheduler, engine)  # identical: left alone
        assert scheduler.get_job(job_id).next_run_time == first_run
        with session_scope(engine) as session:
            update_schedule(
                session=session,
                schedule_id=schedule.id or 0,
                data=AuditScheduleUpdate(cron="30 4 * * *"),
                actor="marcus",
            )
        sync_audit_jobs(scheduler, engine)
        moved = scheduler.get_job(job_id).next_run_time
        assert (moved.hour, moved.minute) == (4, 30)
        with session_scope(engine) as session:
            update_schedule(
                session=session,
                schedule_id=schedule.id or 0,
                data=AuditScheduleUpdate(enabled=False),
                actor="m",
            )
        sync_audit_jobs(scheduler, engine)
        assert scheduler.get_job(job_id) is None
        job = scheduler.get_job("ledger-verify")
        assert job.coalesce is True
        assert job.misfire_grace_time == options.misfire_grace_seconds
    finally:
        scheduler.shutdown(wait=False)


def test_a_run_missed_beyond_the_grace_time_is_recorded(database_url: str, engine: Any) -> None:
    scheduler = BackgroundScheduler(
        **scheduler_config(database_url, SchedulerOptions(misfire_grace_seconds=1))
    )
    record_misses(scheduler, engine)
    scheduler.start()
    try:
        late = datetime.now(UTC) - timedelta(minutes=5)
        scheduler.add_job(
            RUN_SCHEDULED_REF,
            trigger=DateTrigger(run_date=late),
            args=["ledger-verify"],
            id="ledger-verify",
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with session_scope(engine) as session:
                runs = session.exec(select(JobRun)).all()
            if runs:
                break
            time.sleep(0.1)
    finally:
        scheduler.shutdown(wait=True)
    assert [(r.job_id, r.outcome, r.details["missed"]) for r in runs] == [
        ("ledger-verify", "failed", True)
    ]
    assert runs[0].error is not None and runs[0].error.startswith("missed:")
    assert runs[0].details["scheduled_for"] == late.isoformat()
