"""``gatehouse scheduler``: run the scheduler process; ``runs`` and ``jobs`` to inspect it.

Start as many as you like (one per node, say): one leads and runs the jobs, the others
wait and take over when it stops. Exit status 0 after SIGTERM/SIGINT, 3 when the leader
lost its lock (restart it; it then waits as a follower).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import click
from flask import current_app
from sqlmodel import col, select

from app.cli.base import with_app_context
from app.db import unit_of_work
from app.jobs.definitions import JOBS, SchedulerOptions
from app.models.evidence import JobRun

__all__ = ["cli_group"]


def _seconds_option(name: str, seconds: click.ParamType, help: str) -> Callable[[Any], Any]:
    """``--<name>`` in ``seconds``, defaulting to the value :class:`SchedulerOptions` declares."""
    return click.option(
        f"--{name.replace('_', '-')}",
        default=getattr(SchedulerOptions, name),
        show_default=True,
        type=seconds,
        help=help,
    )


@click.group(name="scheduler", invoke_without_command=True)
@_seconds_option(
    "poll_seconds", click.FloatRange(min=0.1), "Follower's wait between attempts to lead."
)
@_seconds_option("sync_seconds", click.FloatRange(min=1), "Re-read audit schedules this often.")
@_seconds_option(
    "heartbeat_seconds", click.FloatRange(min=0), "Record a heartbeat JobRun this often (0: off)."
)
@_seconds_option(
    "misfire_grace_seconds", click.IntRange(min=1), "A run later than this is skipped (as missed)."
)
@click.pass_context
@with_app_context
def cli_group(
    ctx: click.Context,
    poll_seconds: float,
    sync_seconds: float,
    heartbeat_seconds: float,
    misfire_grace_seconds: int,
) -> None:
    """Run the job scheduler (one leader across processes; the others wait)."""
    if ctx.invoked_subcommand is not None:
        return
    from app.jobs.scheduler import run_scheduler

    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(process)d %(name)s %(message)s"
    )
    options = SchedulerOptions(
        poll_seconds=poll_seconds,
        sync_seconds=sync_seconds,
        heartbeat_seconds=heartbeat_seconds,
        misfire_grace_seconds=misfire_grace_seconds,
    )
    status = run_scheduler(
        current_app.config["GATEHOUSE"],
        options,
        on_leading=lambda: click.echo("scheduler: leading", err=True),
    )
    sys.exit(status)


@cli_group.command("jobs")
def jobs_command() -> None:
    """List the registered jobs (audit schedules add one job each)."""
    for definition in JOBS.values():
        click.echo(f"{definition.id:<24} {definition.description}")


@cli_group.command("runs")
@click.option("--job", "job_id", default=None, help="Only this job id.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@with_app_context
def runs_command(job_id: str | None, limit: int) -> None:
    """The latest job runs, newest first, with the process (host:pid) that ran each."""
    query = select(JobRun).order_by(col(JobRun.id).desc()).limit(limit)
    if job_id is not None:
        query = query.where(JobRun.job_id == job_id)
    with unit_of_work() as session:
        runs = session.exec(query).all()
        if not runs:
            which = f"runs of job '{job_id}'" if job_id is not None else "job runs"
            click.echo(f"no {which} recorded yet (is a `gatehouse scheduler` process leading?)")
            return
        click.echo(
            f"{'id':>6} {'job':<24} {'outcome':<10} {'started':<25} {'finished':<25} "
            f"{'runner (host:pid)':<24} error"
        )
        for run in runs:
            finished = run.finished_at.isoformat(timespec="seconds") if run.finished_at else "-"
            runner = str(run.details.get("runner") or "-")
            click.echo(
                f"{run.id:>6} {run.job_id:<24} {run.outcome:<10} "
                f"{run.started_at.isoformat(timespec='seconds'):<25} {finished:<25} "
                f"{runner:<24} {run.error or ''}".rstrip()
            )
