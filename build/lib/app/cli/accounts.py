"""``gatehouse user ...`` and ``gatehouse token ...``: portal accounts and pipelines' API tokens."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from app.cli.base import with_app_context

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
            actor="cli",
            expires_in=timedelta(days=days),
        )
    click.echo(
        f"token id {issued.token.id}, expires {issued.token.expires_at.isoformat()} (shown once, store it now):",
        err=True,
    )
    click.echo(issued.secret)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_app_context
def token_revoke(token_id: int) -> None:
    """Revoke a token at once."""
    from app.auth.accounts import revoke_token
    from app.db import unit_of_work

    with unit_of_work() as session:
        revoke_token(session=session, token_id=token_id, actor="cli")
    click.echo(f"token {token_id} revoked")
