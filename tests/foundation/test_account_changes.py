"""Changing accounts after they exist, through the operators' CLI: offboarding an approver
ends their portal session and their tokens at once, roles change on the next request,
a password reset lifts a lockout, and the installation never loses its last admin. Every
change is in the ledger, none of it with a password hash."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select

from app.auth.login import LOCKOUT_AFTER
from app.cli import cli
from app.models.ledger import LedgerEvent
from app.models.users import User

PASSWORD = "a long enough password"
NEW_PASSWORD = "another long password"


def _create(runner: Any, username: str, *roles: str) -> None:
    arguments = ["user", "create", username, "--password-stdin"]
    for role in roles:
        arguments += ["--role", role]
    created = runner.invoke(cli, arguments, input=f"{PASSWORD}\n")
    assert created.exit_code == 0, created.output


def _portal(app: Flask, username: str, password: str = PASSWORD) -> Any:
    client = app.test_client()
    logged_in = client.post("/login", data={"username": username, "password": password})
    assert logged_in.status_code == 302, logged_in.data
    return client


def _events(engine: sa.Engine, username: str) -> list[tuple[str, dict[str, Any]]]:
    """The ledger's events about the account, oldest first: (action, payload)."""
    with Session(engine) as session:
        user_id = session.exec(select(User.id).where(User.username == username)).one()
        rows = session.exec(
            select(LedgerEvent.action, LedgerEvent.payload)
            .where(LedgerEvent.subject_type == "user_account")
            .where(LedgerEvent.subject_id == str(user_id))
            .order_by(LedgerEvent.seq)
        ).all()
    return [(action, payload) for action, payload in rows]


def test_deactivating_an_approver_ends_their_session_and_tokens(
    app: Flask, engine: sa.Engine
) -> None:
    runner = app.test_cli_runner()
    _create(runner, "olga", "compliance_officer")
    portal = _portal(app, "olga")
    issued = runner.invoke(cli, ["token", "create", "olga", "--name", "laptop"])
    secret = issued.stdout.strip().splitlines()[-1]
    bearer = {"Authorization": f"Bearer {secret}"}
    api = app.test_client()
    assert portal.get("/approvals").status_code == 200
    assert api.get("/api/v1/approvals", headers=bearer).status_code == 200

    no_reason = runner.invoke(cli, ["user", "deactivate", "olga"])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    done = runner.invoke(cli, ["user", "deactivate", "olga", "--reason", "left the company"])
    assert done.exit_code == 0, done.output
    assert portal.get("/approvals").status_code == 302  # back to the login page
    assert api.get("/api/v1/approvals", headers=bearer).status_code == 401
    refused = app.test_client().post("/login", data={"username": "olga", "password": PASSWORD})
    assert refused.status_code == 401
    again = runner.invoke(cli, ["user", "deactivate", "olga", "--reason", "twice"])
    assert again.exit_code == 1 and "already deactivated" in again.output
    listed = runner.invoke(cli, ["user", "list"])
    assert any(
        line.split()[:3] == ["olga", "deactivated", "compliance_officer"]
        for line in listed.output.splitlines()
    ), listed.output

    assert runner.invoke(cli, ["user", "reactivate", "olga"]).exit_code == 0
    assert api.get("/api/v1/approvals", headers=bearer).status_code == 200
    assert _portal(app, "olga").get("/approvals").status_code == 200
    assert [action for action, _ in _events(engine, "olga")][-2:] == [
        "user.deactivated",
        "user.reactivated",
    ]
    deactivated = dict(_events(engine, "olga"))["user.deactivated"]
    assert deactivated["reason"] == "left the company" and deactivated["is_active"] is False


def test_roles_change_on_the_next_request_and_a_revocation_ends_sessions(
    app: Flask, engine: sa.Engine
) -> None:
    runner = app.test_cli_runner()
    _create(runner, "rita", "auditor")
    portal = _portal(app, "rita")
    assert portal.get("/runs/new").status_code == 403
    granted = runner.invoke(cli, ["user", "roles", "rita", "--grant", "ml_engineer"])
    assert granted.exit_code == 0 and "rita holds auditor, ml_engineer" in granted.output
    assert portal.get("/runs/new").status_code == 200  # same session, new role
    revoked = runner.invoke(cli, ["user", "roles", "rita", "--revoke", "ml_engineer"])
    assert revoked.exit_code == 0 and "rita holds auditor" in revoked.output
    assert portal.get("/runs").status_code == 302  # the session ended
    for arguments, refusal in [
        (["--revoke", "auditor"], "would hold no role; deactivate the account instead"),
        (["--grant", "wizard"], "unknown or missing role(s): wizard"),
        ([], "unknown or missing role(s): (none given)"),
        (["--grant", "pipeline"], "pipeline accounts authenticate with tokens only"),
        (["--grant", "admin", "--revoke", "admin"], "granted and revoked at once: admin"),
    ]:
        result = runner.invoke(cli, ["user", "roles", "rita", *arguments])
        assert result.exit_code == 1 and refusal in result.output, result.output
        assert result.output.count("\n") == 1
    assert [(action, payload.get("roles")) for action, payload in _events(engine, "rita")] == [
        ("user.created", None),
        ("user.roles_granted", ["auditor"]),
        ("user.roles_granted", ["ml_engineer"]),
        ("user.roles_revoked", ["ml_engineer"]),
    ]


def test_a_password_reset_lifts_a_lockout_and_never_reaches_the_ledger(
    app: Flask, engine: sa.Engine
) -> None:
    runner = app.test_cli_runner()
    _create(runner, "pat", "ml_engineer")
    portal = _portal(app, "pat")
    for _ in range(LOCKOUT_AFTER):
        app.test_client().post("/login", data={"username": "pat", "password": "wrong guess!!"})
    short = runner.invoke(cli, ["user", "password", "pat", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    reset = runner.invoke(
        cli, ["user", "password", "pat", "--password-stdin"], input=f"{NEW_PASSWORD}\n"
    )
    assert reset.exit_code == 0, reset.output
    assert portal.get("/runs").status_code == 302  # the old session ended
    _portal(app, "pat", NEW_PASSWORD)  # not locked out any more
    refused = app.test_client().post("/login", data={"username": "pat", "password": PASSWORD})
    assert refused.status_code == 401
    (payload,) = [p for action, p in _events(engine, "pat") if action == "user.password_reset"]
    assert payload["password_hash"] == "(changed)"
    assert NEW_PASSWORD not in str(payload) and "argon2" not in str(payload)
    missing = runner.invoke(cli, ["user", "password", "nobody", "--password-stdin"], input="x\n")
    assert missing.exit_code == 1 and "no user named 'nobody'" in missing.output


def test_the_last_active_admin_is_kept(app: Flask) -> None:
    runner = app.test_cli_runner()
    _create(runner, "ada", "admin")
    _create(runner, "bob", "admin")
    assert runner.invoke(cli, ["user", "deactivate", "bob", "--reason", "moved on"]).exit_code == 0
    last = runner.invoke(cli, ["user", "deactivate", "ada", "--reason", "oops"])
    assert last.exit_code == 1 and "ada is the last active admin" in last.output
    demoted = runner.invoke(
        cli, ["user", "roles", "ada", "--revoke", "admin", "--grant", "auditor"]
    )
    assert demoted.exit_code == 1 and "last active admin" in demoted.output
    assert runner.invoke(cli, ["user", "reactivate", "bob"]).exit_code == 0
    assert runner.invoke(cli, ["user", "deactivate", "ada", "--reason", "moved on"]).exit_code == 0


def test_an_admin_offboards_in_the_portal_and_is_told_what_was_refused(
    app: Flask, engine: sa.Engine
) -> None:
    runner = app.test_cli_runner()
    _create(runner, "ada", "admin")
    _create(runner, "olga", "compliance_officer")
    leaver = _portal(app, "olga")
    admin = _portal(app, "ada")
    assert leaver.get("/accounts").status_code == 403
    page = admin.get("/accounts").get_data(as_text=True)
    assert 'id="account-olga"' in page and "compliance_officer" in page
    assert 'href="/accounts" aria-current="page">Accounts</a>' in page
    no_reason = admin.post("/accounts/olga/deactivate", data={"reason": ""})
    assert no_reason.status_code == 302
    assert leaver.get("/approvals").status_code == 200  # nothing happened
    done = admin.post("/accounts/olga/deactivate", data={"reason": "left the team"})
    assert done.status_code == 302
    after = admin.get("/accounts").get_data(as_text=True)
    assert "olga deactivated: sessions ended, tokens refused" in after
    assert "deactivated</span>" in after.split('id="account-olga"')[1].split("</tr>")[0]
    assert leaver.get("/approvals").status_code == 302
    deactivated = dict(_events(engine, "olga"))["user.deactivated"]
    assert deactivated["reason"] == "left the team"
    last = admin.post("/accounts/ada/deactivate", data={"reason": "testing"})
    assert last.status_code == 302
    assert "ada is the last active admin" in admin.get("/accounts").get_data(as_text=True)
    assert admin.post("/accounts/olga/reactivate").status_code == 302
    assert "olga reactivated" in admin.get("/accounts").get_data(as_text=True)
    assert admin.post("/accounts/nobody/reactivate").status_code == 302
    assert "no user named &#39;nobody&#39;" in admin.get("/accounts").get_data(as_text=True)
