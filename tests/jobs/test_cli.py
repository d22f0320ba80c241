"""``gatehouse audit schedule`` and ``gatehouse scheduler jobs|runs``."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from app.cli import cli
from app.db import session_scope
from app.models.evidence import JobRun
from app.models.model_versions import ModelVersion
from app.models.schedules import AuditSchedule
from app.models.vocabulary import Platform
from app.registry.model_versions import create_model_version
from app.registry.schemas import ModelVersionCreate


def test_audit_schedule_creates_then_updates(app: Any, engine: Any, seeded: Any) -> None:
    seed = seeded
    runner = app.test_cli_runner()
    arguments = [
        "audit", "schedule", "credit-risk-assistant",
        "--dataset", str(seed.ids["german_credit"]),
        "--kind", "fairness",
        "--y-true", "target",
        "--sensitive", "Status/sex",
    ]  # fmt: skip
    created = runner.invoke(cli, [*arguments, "--cron", "0 2 * * *"])
    assert created.exit_code == 0, created.output
    assert "cron '0 2 * * *' (UTC)" in created.output
    updated = runner.invoke(cli, [*arguments, "--cron", "30 1 * * *", "--bootstrap", "50"])
    assert updated.exit_code == 0, updated.output
    with session_scope(engine) as session:
        schedules = session.exec(select(AuditSchedule)).all()
    assert [(s.cron, s.parameters["bootstrap"], s.parameters["sensitive"]) for s in schedules] == [
        ("30 1 * * *", 50, ["Status/sex"])
    ]
    assert schedules[0].created_by.startswith("cli:")

    bad_cron = runner.invoke(cli, [*arguments, "--cron", "every night"])
    assert bad_cron.exit_code == 1 and "invalid cron expression" in bad_cron.output
    unknown = runner.invoke(
        cli, ["audit", "schedule", "no-such-model", *arguments[3:], "--cron", "0 2 * * *"]
    )
    assert unknown.exit_code == 1 and "no model version named 'no-such-model'" in unknown.output
    no_y_true = runner.invoke(
        cli,
        ["audit", "schedule", "credit-risk-assistant", "--dataset", "1", "--kind", "fairness",
         "--sensitive", "sex", "--cron", "0 2 * * *"],
    )  # fmt: skip
    assert no_y_true.exit_code == 2 and "y_true" in no_y_true.output
    assert "Traceback" not in bad_cron.output + unknown.output + no_y_true.output


def test_audit_schedule_names_a_model_as_promote_does(app: Any, engine: Any, seeded: Any) -> None:
    """``name@version`` picks one version; a bare name with several is refused, not resolved
    to the newest behind the caller's back."""
    with session_scope(engine) as session:
        first = session.exec(
            select(ModelVersion).where(ModelVersion.name == "credit-risk-assistant")
        ).one()
        create_model_version(
            session=session,
            data=ModelVersionCreate(
                name=first.name, version="9.9.9", platform=Platform.META, developers=["eli"]
            ),
            actor="eli",
        )
    runner = app.test_cli_runner()
    arguments = [
        "--dataset", str(seeded.ids["german_credit"]), "--kind", "fairness",
        "--y-true", "target", "--sensitive", "Status/sex", "--cron", "0 2 * * *",
    ]  # fmt: skip
    ambiguous = runner.invoke(cli, ["audit", "schedule", "credit-risk-assistant", *arguments])
    assert ambiguous.exit_code == 1, ambiguous.output
    assert (
        f"'credit-risk-assistant' names 2 model versions (credit-risk-assistant@{first.version}, "
        "credit-risk-assistant@9.9.9); give one"
    ) in ambiguous.output
    chosen = runner.invoke(
        cli, ["audit", "schedule", f"credit-risk-assistant@{first.version}", *arguments]
    )
    assert chosen.exit_code == 0, chosen.output
    missing = runner.invoke(cli, ["audit", "schedule", "credit-risk-assistant@0.0.1", *arguments])
    assert missing.exit_code == 1
    assert "no model version named 'credit-risk-assistant@0.0.1'" in missing.output
    with session_scope(engine) as session:
        schedules = session.exec(select(AuditSchedule)).all()
    assert [s.model_version_id for s in schedules] == [first.id]


def test_scheduler_lists_jobs_and_runs(app: Any, engine: Any) -> None:
    runner = app.test_cli_runner()
    jobs = runner.invoke(cli, ["scheduler", "jobs"])
    assert jobs.exit_code == 0
    assert {"approval-expiry", "retention-reminders", "ledger-verify", "webhook-redelivery"} <= {
        line.split()[0] for line in jobs.output.splitlines()
    }
    none_yet = runner.invoke(cli, ["scheduler", "runs"])
    assert none_yet.exit_code == 0
    assert none_yet.output.startswith("no job runs recorded yet")
    with session_scope(engine) as session:
        session.add(
            JobRun(
                job_id="ledger-verify",
                outcome="failed",
                error="ledger broken at event 7",
                details={"runner": "scheduler-0.internal:4242"},
            )
        )
    runs = runner.invoke(cli, ["scheduler", "runs", "--job", "ledger-verify"])
    assert runs.exit_code == 0
    header, row = runs.output.splitlines()
    assert "runner (host:pid)" in header
    assert "scheduler-0.internal:4242" in row and row.endswith("ledger broken at event 7")
    other = runner.invoke(cli, ["scheduler", "runs", "--job", "approval-expiry"])
    assert other.output.startswith("no runs of job 'approval-expiry' recorded yet")
