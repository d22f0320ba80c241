"""The operators' CLI: accounts, tokens, migrations; one readable line on failure."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from typing import Any

import click
from sqlmodel import col, select

from app.cli import cli
from app.db import unit_of_work
from app.models.ledger import LedgerEvent


def test_user_and_token_lifecycle(app: Any) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(
        cli,
        ["user", "create", "carol", "--role", "compliance_officer", "--password-stdin"],
        input="a long enough password\n",
    )
    assert created.exit_code == 0, created.output
    duplicate = runner.invoke(
        cli, ["user", "create", "carol", "--role", "auditor", "--no-password"]
    )
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    assert "Traceback" not in duplicate.output
    bad_role = runner.invoke(cli, ["user", "create", "dave", "--role", "wizard", "--no-password"])
    assert bad_role.exit_code == 1 and "wizard" in bad_role.output
    issued = runner.invoke(cli, ["token", "create", "carol", "--name", "ci", "--scope", "read"])
    assert issued.exit_code == 0
    secret = issued.stdout.strip().splitlines()[-1]
    client = app.test_client()
    assert (
        client.get("/api/v1/datasets", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    listed = runner.invoke(cli, ["token", "list", "carol"])
    assert listed.exit_code == 0, listed.output
    (line,) = listed.output.splitlines()
    assert line.split()[:2] == ["1", "carol"] and "'ci' [read] expires " in line
    assert secret[:8] in line and secret not in line
    revoked = runner.invoke(cli, ["token", "revoke", "1"])
    assert revoked.exit_code == 0
    assert "revoked " in runner.invoke(cli, ["token", "list"]).output
    assert (
        client.get("/api/v1/datasets", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )
    again = runner.invoke(cli, ["token", "revoke", "1"])
    assert again.exit_code == 1 and "already revoked" in again.output


def test_db_current_reports_head(app: Any) -> None:
    result = app.test_cli_runner().invoke(cli, ["db", "current"])
    assert result.exit_code == 0 and "(head)" in result.output


def test_every_area_is_registered_once_and_loads_with_the_help_it_advertises() -> None:
    from click.testing import CliRunner

    from app.cli import AREAS

    assert len({area.name for area in AREAS}) == len(AREAS)
    for area in AREAS:
        command = area.load()
        assert command.get_short_help_str(limit=200) == area.help, area.name
    listed = CliRunner().invoke(cli, ["--help"])
    assert listed.exit_code == 0
    for area in AREAS:
        assert area.name in listed.output


def _commands(command: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
    """Every command under ``command``, with the words that call it."""
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            yield from _commands(
                command.get_command(click.Context(command), name), f"{path} {name}"
            )


def test_no_command_lets_its_caller_name_the_ledgers_actor() -> None:
    """The ledger's actor is the token's owner (API clients) or the shell's user (operator
    commands), never a name typed on the command line: an ``--actor`` would let anyone who
    can run a command write a compliance officer's name into the ledger."""
    from app.cli import AREAS

    named = [
        f"{path} --actor"
        for area in AREAS
        for path, command in _commands(area.load(), f"gatehouse {area.name}")
        if any("--actor" in parameter.opts for parameter in command.params)
    ]
    assert named == []


def test_operator_commands_ledger_the_shell_user(app: Any) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(cli, ["user", "create", "erin", "--role", "auditor", "--no-password"])
    assert created.exit_code == 0, created.output
    result = runner.invoke(cli, ["ledger", "checkpoint"])
    assert result.exit_code == 0, result.output
    with app.app_context(), unit_of_work() as session:
        event = session.exec(select(LedgerEvent).order_by(col(LedgerEvent.seq).desc())).first()
    assert event is not None and event.action == "ledger.checkpoint_signed"
    assert event.actor == f"cli:{getpass.getuser()}"


def test_help_and_the_pipelines_commands_start_without_loading_flask() -> None:
    """Start-up stays light: the portal, the database layer and pandas load only when used."""
    import subprocess
    import sys

    for arguments in (
        ["--help"],
        ["promote", "--help"],
        ["run", "submit", "--help"],
        ["gate", "check", "--help"],
    ):
        probe = (
            "import sys\n"
            "from app.cli import cli\n"
            f"try:\n    cli.main({arguments!r}, prog_name='gatehouse')\n"
            "except SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('flask', 'sqlalchemy', 'sqlmodel', 'pandas') if m in sys.modules)\n"
            "print('LOADED', heavy)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        assert "LOADED []" in done.stdout, (arguments, done.stdout[-500:], done.stderr[-500:])
