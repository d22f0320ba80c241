"""``gatehouse user ...`` and ``gatehouse token ...``: portal accounts and pipelines' API tokens."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from app.cli.base import shell_actor, with_app_context

__all__ = ["token_group", "user_group"]


@click.group("user")
def user_group() -> None:
    """Portal and pipeline accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="Repeat for several roles.")
@click.option("--name", "display_name", default=None, help="Display name (default: username).")
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="Token-only account (pipelines).")
@with_app_context
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

    password = None if no_password else _password(password_stdin)
    with unit_of_work() as session:
        create_user(
            session=session,
            username=username,
            display_name=display_name or username,
            roles=list(roles),
            password=password,
            email=email,
            actor=shell_actor(),
        )
    click.echo(f"created user {username} with role(s) {', '.join(sorted(set(roles)))}")


def _password(password_stdin: bool) -> str:
    """A password from standard input (one line), or asked for twice without echo."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_group.command("list")
@with_app_context
def user_list() -> None:
    """Every account: username, state, roles and live tokens."""
    from app.auth.account_changes import account_summaries
    from app.db import read_only_unit_of_work

    with read_only_unit_of_work() as session:
        for account in account_summaries(session=session):
            state = "active" if account.active else "deactivated"
            roles = ", ".join(sorted(account.roles)) or "(none)"
            click.echo(
                f"{account.username:<24} {state:<12} {roles}  ({account.live_tokens} live tokens)"
            )


@user_group.command("deactivate")
@click.argument("username")
@click.option("--reason", required=True, help="Why (ledgered), e.g. 'left the company'.")
@with_app_context
def user_deactivate(username: str, reason: str) -> None:
    """Stop USERNAME logging in or using any token, ending their sessions now."""
    from app.auth.account_changes import deactivate_user
    from app.db import unit_of_work

    with unit_of_work() as session:
        deactivate_user(session=session, username=username, reason=reason, actor=shell_actor())
    click.echo(f"{username} deactivated: sessions ended, tokens refused")


@user_group.command("reactivate")
@click.argument("username")
@with_app_context
def user_reactivate(username: str) -> None:
    """Let a deactivated USERNAME log in and use its unexpired tokens again."""
    from app.auth.account_changes import reactivate_user
    from app.db import unit_of_work

    with unit_of_work() as session:
        reactivate_user(session=session, username=username, actor=shell_actor())
    click.echo(f"{username} reactivated")


@user_group.command("roles")
@click.argument("username")
@click.option("--grant", multiple=True, help="A role to grant (repeatable).")
@click.option("--revoke", multiple=True, help="A role to revoke (repeatable).")
@with_app_context
def user_roles(username: str, grant: tuple[str, ...], revoke: tuple[str, ...]) -> None:
    """Grant or revoke roles of USERNAME (a revocation ends their sessions)."""
    from app.auth.account_changes import change_roles
    from app.db import unit_of_work

    with unit_of_work() as session:
        held = change_roles(
            session=session, username=username, grant=grant, revoke=revoke, actor=shell_actor()
        )
    click.echo(f"{username} holds {', '.join(sorted(held))}")


@user_group.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_app_context
def user_password(username: str, password_stdin: bool) -> None:
    """Reset USERNAME's password, lifting a lockout and ending their sessions."""
    from app.auth.account_changes import reset_password
    from app.db import unit_of_work

    password = _password(password_stdin)
    with unit_of_work() as session:
        reset_password(session=session, username=username, password=password, actor=shell_actor())
    click.echo(f"{username}'s password was reset; their sessions ended")


@click.group("token")
def token_group() -> None:
    """API tokens for pipelines."""


@token_group.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. 'release pipeline'.")
@click.option("--scope", "scopes", multiple=True, default=("read",), show_default=True)
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 366))
@with_app_context
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
            actor=shell_actor(),
            expires_in=timedelta(days=days),
        )
    click.echo(
        f"token id {issued.token.id}, expires {issued.token.expires_at.isoformat()} (shown once, store it now):",
        err=True,
    )
    click.echo(issued.secret)


@token_group.command("list")
@click.argument("username", required=False)
@with_app_context
def token_list(username: str | None) -> None:
    """Every token (or USERNAME's): id, holder, name, prefix, scopes and state, to find the
    one to revoke. The secrets themselves are not stored, so never shown."""
    from sqlmodel import col, select

    from app.db import read_only_unit_of_work
    from app.models.base import utc_now
    from app.models.users import ApiToken, User

    now = utc_now()
    with read_only_unit_of_work() as session:
        query = (
            select(ApiToken, User.username)
            .join(User, col(User.id) == col(ApiToken.user_id))
            .order_by(col(ApiToken.id))
        )
        if username is not None:
            query = query.where(User.username == username)
        for token, holder in session.exec(query).all():
            if token.revoked_at is not None:
                state = f"revoked {token.revoked_at:%Y-%m-%d}"
            elif token.expires_at <= now:
                state = f"expired {token.expires_at:%Y-%m-%d}"
            else:
                state = f"expires {token.expires_at:%Y-%m-%d}"
            click.echo(
                f"{token.id:>5} {holder:<20} {token.prefix}… {token.name!r} "
                f"[{', '.join(token.scopes)}] {state}"
            )


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_app_context
def token_revoke(token_id: int) -> None:
    """Revoke a token at once."""
    from app.auth.accounts import revoke_token
    from app.db import unit_of_work

    with unit_of_work() as session:
        revoke_token(session=session, token_id=token_id, actor=shell_actor())
    click.echo(f"token {token_id} revoked")
