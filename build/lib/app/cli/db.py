"""``gatehouse db ...``: schema migrations (Alembic) of the configured database."""

from __future__ import annotations

import click

from app.cli.base import with_app_context

__all__ = ["cli_group"]


def _database_url() -> str:
    from flask import current_app

    return str(current_app.config["GATEHOUSE"].database_url)


@click.group("db")
def cli_group() -> None:
    """Schema migrations."""


@cli_group.command("upgrade")
@click.argument("revision", default="head")
@with_app_context
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    from app.migrations import upgrade

    upgrade(_database_url(), revision)
    click.echo(f"database at {revision}")


@cli_group.command("downgrade")
@click.argument("revision", default="-1")
@with_app_context
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (default: one step)."""
    from app.migrations import downgrade

    downgrade(_database_url(), revision)
    click.echo(f"database downgraded to {revision}")


@cli_group.command("current")
@with_app_context
def db_current() -> None:
    """Print the database's revision and whether it is the newest."""
    from app.db import current_engine
    from app.migrations import current_revision, head_revision

    current = current_revision(current_engine())
    head = head_revision(_database_url())
    click.echo(
        f"{current or '(not migrated)'}{' (head)' if current == head else f' (head is {head})'}"
    )
