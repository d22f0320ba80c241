"""``gatehouse ledger ...``: verify and export the tamper-evident ledger."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.base import with_app_context

__all__ = ["cli_group"]


@click.group("ledger")
def cli_group() -> None:
    """The tamper-evident ledger."""


@cli_group.command("verify")
@with_app_context
def ledger_verify() -> None:
    """Walk the hash chain; exit 1 naming the first broken event."""
    from app.db import unit_of_work
    from app.ledger import verify_chain

    with unit_of_work() as session:
        outcome = verify_chain(session=session)
    if outcome.broken is not None:
        raise click.ClickException(str(outcome.broken))
    click.echo(f"ledger intact: {outcome.events_checked} events, head {outcome.head_hash}")


@cli_group.command("export")
@click.argument("output", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_app_context
def ledger_export(output: Path) -> None:
    """Export every event as JSON Lines for auditors."""
    from app.db import unit_of_work
    from app.ledger import export_jsonl

    with unit_of_work() as session, output.open("w", encoding="utf-8") as out:
        count = export_jsonl(session=session, out=out)
    click.echo(f"exported {count} events to {output}")
