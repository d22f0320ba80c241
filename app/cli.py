"""The ``gatehouse`` command: operators' and pipelines' door.

Every command prints one readable line on failure and exits non-zero; Gatehouse errors
never surface as tracebacks.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.errors import GatehouseError


class GatehouseGroup(FlaskGroup):
    """A FlaskGroup that turns Gatehouse errors into one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GatehouseError as error:
            raise click.ClickException(str(error)) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except DBAPIError as error:
            click.echo(
                f"Error: database unavailable ({type(error.orig).__name__}); nothing was changed",
                err=True,
            )
            sys.exit(EXIT_ENGINE_FAILURE)
        except Exception as error:
            if os.environ.get("GATEHOUSE_DEBUG") == "1":
                raise
            raise click.ClickException(
                f"internal error ({type(error).__name__}); set GATEHOUSE_DEBUG=1 to see the traceback"
            ) from None


def _create_app() -> Flask:
    return create_app()


@click.group(
    cls=GatehouseGroup, create_app=_create_app, add_default_commands=False, add_version_option=False
)
def cli() -> None:
    """Gatehouse: governance and compliance control plane for LLM fine-tuning."""


def _database_url() -> str:
    from flask import current_app

    return str(current_app.config["GATEHOUSE"].database_url)


@cli.group()
def db() -> None:
    """Schema migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    from app.migrations import upgrade

    upgrade(_database_url(), revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision", default="-1")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (default: one step)."""
    from app.migrations import downgrade

    downgrade(_database_url(), revision)
    click.echo(f"database downgraded to {revision}")


@db.command("current")
@with_appcontext
def db_current() -> None:
    """Print the database's revision and whether it is the newest."""
    from app.db import current_engine
    from app.migrations import current_revision, head_revision

    current = current_revision(current_engine())
    head = head_revision(_database_url())
    click.echo(
        f"{current or '(not migrated)'}{' (head)' if current == head else f' (head is {head})'}"
    )


@cli.group()
def user() -> None:
    """Portal and pipeline accounts."""


@user.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="Repeat for several roles.")
@click.option("--name", "display_name", default=None, help="Display name (default: username).")
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="Token-only account (pipelines).")
@with_appcontext
def user_create(
    username: str,
    roles: tuple[str, ...],
    display_name: str | None,
    email: str | None,
    password_stdin: bool,
    no_password: bool,
) -> None:
    """Create a user with one or more roles."""
    from app.auth.accounts import create_user
    from app.db import unit_of_work

    password: str | None = None
    if not no_password:
        password = (
            sys.stdin.readline().rstrip("\n")
            if password_stdin
            else click.prompt("Password", hide_input=True, confirmation_prompt=True)
        )
    with unit_of_work() as session:
        create_user(
            session=session,
            username=username,
            display_name=display_name or username,
            roles=list(roles),
            password=password,
            email=email,
            actor="cli",
        )
    click.echo(f"created user {username} with role(s) {', '.join(sorted(set(roles)))}")


@cli.group()
def token() -> None:
    """API tokens for pipelines."""


@token.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. 'release pipeline'.")
@click.option("--scope", "scopes", multiple=True, default=("read",), show_default=True)
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 366))
@with_appcontext
def token_create(username: str, name: str, scopes: tuple[str, ...], days: int) -> None:
    """Issue a token; it is printed once and stored only as a hash."""
    from app.auth.accounts import create_token
    from app.db import unit_of_work

    with unit_of_work() as session:
        issued = create_token(
            session=session,
            username=username,
            name=name,
            scopes=list(scopes),
            actor="cli",
            expires_in=timedelta(days=days),
        )
    click.echo(
        f"token id {issued.token.id}, expires {issued.token.expires_at.isoformat()} (shown once, store it now):",
        err=True,
    )
    click.echo(issued.secret)


@token.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def token_revoke(token_id: int) -> None:
    """Revoke a token at once."""
    from app.auth.accounts import revoke_token
    from app.db import unit_of_work

    with unit_of_work() as session:
        revoke_token(session=session, token_id=token_id, actor="cli")
    click.echo(f"token {token_id} revoked")


@cli.group()
def ledger() -> None:
    """The tamper-evident ledger."""


@ledger.command("verify")
@with_appcontext
def ledger_verify() -> None:
    """Walk the hash chain; exit 1 naming the first broken event."""
    from app.db import unit_of_work
    from app.ledger import verify_chain

    with unit_of_work() as session:
        outcome = verify_chain(session=session)
    if outcome.broken is not None:
        raise click.ClickException(str(outcome.broken))
    click.echo(f"ledger intact: {outcome.events_checked} events, head {outcome.head_hash}")


@ledger.command("export")
@click.argument("output", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def ledger_export(output: Path) -> None:
    """Export every event as JSON Lines for auditors."""
    from app.db import unit_of_work
    from app.ledger import export_jsonl

    with unit_of_work() as session, output.open("w", encoding="utf-8") as out:
        count = export_jsonl(session=session, out=out)
    click.echo(f"exported {count} events to {output}")


@cli.group()
def gate() -> None:
    """Ask the policy gates."""


#: Exit statuses of ``gate check``: allow, deny, engine failure.
EXIT_ALLOW, EXIT_DENY, EXIT_ENGINE_FAILURE = 0, 1, 3


@gate.command("check")
@click.argument(
    "gate_name",
    metavar="GATE",
    type=click.Choice(["training_launch", "production_promotion", "dataset_use"]),
)
@click.option(
    "--subject",
    "subject_id",
    required=True,
    type=int,
    help="Run, deployment or dataset version id.",
)
@click.option(
    "--run", "run_id", type=int, default=None, help="dataset_use only: the run it would join."
)
@click.option("--json", "as_json", is_flag=True, help="Print the stored decision as JSON.")
@with_appcontext
def gate_check(gate_name: str, subject_id: int, run_id: int | None, as_json: bool) -> None:
    """Ask GATE about a subject: exit 0 allow, 1 deny, 3 policy engine failure."""
    import json

    from app.db import unit_of_work
    from app.gates.engine_binding import current_policy_engine
    from app.gates.service import evaluate_gate

    with unit_of_work() as session:
        decision = evaluate_gate(
            session=session,
            engine=current_policy_engine(),
            gate=gate_name,
            subject_id=subject_id,
            run_id=run_id,
            actor=os.environ.get("USER", "cli"),
        )
        body = decision.model_dump(mode="json")
    if as_json:
        click.echo(json.dumps(body, indent=2, sort_keys=True))
    else:
        verdict = "ALLOW" if decision.allow else "DENY"
        click.echo(
            f"{verdict} {gate_name} for {decision.subject_type} {subject_id} (decision {decision.id}, engine {decision.engine})"
        )
        for violation in decision.violations:
            click.echo(
                f"  [{violation['control']}] {violation['citation']}: {violation['message']}"
            )
        for requirement in decision.result.get("required_approvals", []):
            click.echo(f"  requires {requirement['count']} approval(s) from {requirement['role']}")
    if decision.error is not None:
        sys.exit(EXIT_ENGINE_FAILURE)
    sys.exit(EXIT_ALLOW if decision.allow else EXIT_DENY)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Serve the portal and API (production: run under a WSGI server instead)."""
    from flask import current_app
    from werkzeug.serving import run_simple

    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


@cli.command("demo")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--dir",
    "demo_dir",
    default="instance/demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The demo's own folder; its database is recreated on every run.",
)
@click.option(
    "--serve/--no-serve", default=True, show_default=True, help="Serve the portal after seeding."
)
def demo(port: int, demo_dir: Path, serve: bool) -> None:
    """Migrate a SQLite database, seed a realistic registry, print logins, serve on 127.0.0.1."""
    import shutil
    import tempfile

    from werkzeug.serving import run_simple

    from app.config import settings_from_environment
    from app.db import unit_of_work
    from app.demo.seed import seed_demo, summary_lines
    from app.gates.engine_binding import current_policy_engine
    from app.migrations import upgrade

    demo_dir = demo_dir.resolve()
    for stale in ("demo.db", "demo.db-wal", "demo.db-shm", "storage"):
        target = demo_dir / stale
        shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    demo_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_from_environment().with_overrides(
        database_url=f"sqlite:///{demo_dir / 'demo.db'}",
        storage_dir=demo_dir / "storage",
        signing_identity_path=demo_dir / "signing" / "identity.p12",
        policy_engine="embedded",
        launcher="local",
    )
    serving_settings = settings.with_overrides(scheduler_in_web=True)
    click.echo(f"migrating {settings.database_url}")
    upgrade(settings.database_url)
    application = create_app(settings)
    with (
        application.app_context(),
        tempfile.TemporaryDirectory() as work,
        unit_of_work() as session,
    ):
        click.echo("seeding the registry (datasets are validated and scanned for identifiers)...")
        seeded = seed_demo(
            session=session, settings=settings, engine=current_policy_engine(), work=Path(work)
        )
    url = f"http://127.0.0.1:{port}/"
    click.echo("\n".join(summary_lines(seeded, url)))
    if serve:
        # The embedded default runs the scheduler in the web process (audits, expiry, sync).
        run_simple("127.0.0.1", port, create_app(serving_settings), threaded=True)


def _register_area_groups() -> None:
    """Attach the command groups each area defines in ``app/<area>/cli.py``."""
    import importlib

    for area in ("formats", "policy", "reports", "audits", "jobs", "attestations"):
        try:
            module = importlib.import_module(f"app.{area}.cli")
        except ModuleNotFoundError as missing:
            if missing.name not in (f"app.{area}", f"app.{area}.cli"):
                raise
            continue
        cli.add_command(module.cli_group)


_register_area_groups()

from app.approvals.cli import cli_group as approvals_group  # noqa: E402
from app.approvals.cli import promote_command, run_group  # noqa: E402 (the pipeline's commands)

cli.add_command(promote_command)
cli.add_command(run_group)
cli.add_command(approvals_group)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="gatehouse")
