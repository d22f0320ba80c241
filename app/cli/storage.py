"""``gatehouse storage sweep``: remove stored files no record points at.

The same sweep the scheduler's ``storage-sweep`` job runs every hour, for operators who
want it now (after an outage, say) or with another grace period. It works on the
database and the storage directory directly, like the other operator commands.
"""

from __future__ import annotations

from datetime import timedelta

import click

from app.cli.base import shell_actor, with_app_context

__all__ = ["cli_group"]


@click.group("storage")
def cli_group() -> None:
    """Stored files: sweep leftovers of uploads, reports and model artefacts."""


@cli_group.command("sweep")
@click.option(
    "--grace",
    default="6h",
    show_default=True,
    help="Leave files younger than this (90s, 30m, 6h, 1d): an upload may still use them.",
)
@with_app_context
def sweep_command(grace: str) -> None:
    """Promote or remove stored files (datasets, reports, models) no record points at;
    ledgered when anything changed."""
    from flask import current_app

    from app.cli.pipeline import parse_duration
    from app.db import unit_of_work
    from app.registry.storage_sweep import sweep_storage

    settings = current_app.config["GATEHOUSE"]
    with unit_of_work() as session:
        report = sweep_storage(
            session=session,
            storage_dir=settings.storage_dir,
            actor=shell_actor(),
            grace=timedelta(seconds=parse_duration(grace)),
        )
    click.echo(
        f"removed {len(report.removed)} orphaned file(s) ({report.bytes_removed} bytes), "
        f"promoted {len(report.promoted)} committed file(s), "
        f"left {report.kept_young} younger than {grace}"
    )
    for item in report.removed:
        click.echo(f"  removed {item['path']} ({item['bytes']} bytes)")
    for path in report.promoted:
        click.echo(f"  promoted {path}")
