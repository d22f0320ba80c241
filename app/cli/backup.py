"""``gatehouse backup DEST`` and ``gatehouse restore SOURCE`` (see :mod:`app.backup`).

Both work on the configured database and storage directly, like the other operator
commands. ``restore`` exits 0 when the restored ledger, checkpoints and reports all
verify, 1 naming each problem otherwise (the data stays restored, for inspection).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from app.cli.base import with_app_context

__all__ = ["backup_command", "restore_command"]


@click.command("backup")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@with_app_context
def backup_command(destination: Path) -> None:
    """Write the database, the stored files and a SHA-256 manifest into DESTINATION."""
    from app.backup import create_backup

    manifest = create_backup(settings=current_app.config["GATEHOUSE"], destination=destination)
    rows = sum(manifest["tables"].values())
    stored = sum(1 for item in manifest["files"] if item["path"].startswith("storage/"))
    click.echo(
        f"backed up {rows} rows of {len(manifest['tables'])} tables (schema "
        f"{manifest['schema_revision']}, {manifest['database_backend']}) and {stored} stored "
        f"file(s) to {destination}; signing identity referenced, not copied: "
        f"{manifest['signing_identity']['path']}"
    )


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_app_context
def restore_command(source: Path) -> None:
    """Restore SOURCE into the configured (empty) database and storage, then verify."""
    from app.backup import restore_backup

    report = restore_backup(settings=current_app.config["GATEHOUSE"], source=source)
    click.echo(
        f"restored {report.rows} rows and {report.files} stored file(s); ledger: "
        f"{report.ledger_events} events verified; checkpoints holding: "
        f"{report.checkpoints_held}; reports intact: {report.reports_intact}; signing "
        f"identity: {report.signing_identity}; storage: {report.storage}"
    )
    for problem in report.problems:
        click.echo(f"  problem: {problem}", err=True)
    if report.problems:
        raise SystemExit(1)
