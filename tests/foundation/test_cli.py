"""The operators' CLI: accounts, tokens, migrations; one readable line on failure."""

from __future__ import annotations

from typing import Any

from app.cli import cli


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
