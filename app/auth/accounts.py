"""Users, roles, passwords and API tokens.

Passwords are hashed with argon2id (memory-hard). API tokens are 256-bit random secrets
shown once; only their SHA-256 is stored, which is enough for secrets of that entropy and
keeps token checks fast on every API call.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Select, bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.auth.errors import AuthenticationError
from app.db import PreparedStatement, table_of
from app.errors import ValidationError
from app.ledger import append_record_event
from app.models.base import utc_now
from app.models.users import ApiToken, Role, RoleName, User, UserRole
from app.registry.records import create_record, get_record, update_record

#: Scopes a token may carry: read the registry, write to it, ask gates, vote on approvals.
TOKEN_SCOPES: tuple[str, ...] = ("read", "write", "gate", "approve")
#: Our own prefix, so secret scanners can tell Gatehouse tokens apart (``ghs_`` is GitHub's).
#: Only new tokens carry it: a token is checked by its digest, so older ones keep working.
TOKEN_PREFIX = "gth_"

#: Why a pipeline account holds no password.
TOKENS_ONLY = "pipeline accounts authenticate with tokens only"

_hasher = PasswordHasher()
#: Fast parameters for the test suite only (still argon2id).
_test_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@dataclass(frozen=True)
class Principal:
    """Who is acting, with which roles, and (for tokens) which scopes."""

    username: str
    roles: frozenset[str]
    via: str
    scopes: frozenset[str] = frozenset(TOKEN_SCOPES)


def _password_hasher(fast: bool) -> PasswordHasher:
    return _test_hasher if fast else _hasher


@functools.cache
def _throwaway_hash() -> str:
    """A hash to verify against when an account has none (same cost as a real one)."""
    return _hasher.hash("no account has this password")


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; one argon2id verification either way,
    also when there is no hash, so the time taken does not tell whether an account exists."""
    try:
        return _hasher.verify(password_hash or _throwaway_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


def hash_password(password: str, *, fast: bool = False) -> str:
    """argon2id hash of ``password``; refuses passwords too short to be one."""
    if len(password) < 12:
        raise ValidationError("passwords must be at least 12 characters long")
    return _password_hasher(fast).hash(password)


def roles_of(*, session: Session, user: User) -> frozenset[str]:
    """Names of the roles ``user`` holds."""
    rows = session.exec(
        select(Role.name)
        .join(UserRole, col(UserRole.role_id) == col(Role.id))
        .where(UserRole.user_id == user.id)
    ).all()
    return frozenset(rows)


def refuse_unknown_roles(names: Collection[str]) -> None:
    """Refuse no role at all, or a name outside the roles vocabulary, listing the choices."""
    unknown = sorted(set(names) - {r.value for r in RoleName})
    if unknown or not names:
        raise ValidationError(
            f"unknown or missing role(s): {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(r.value for r in RoleName)}"
        )


def role_named(*, session: Session, name: str) -> Role:
    """The role row of ``name`` (one of the vocabulary: the migrations seed every one)."""
    return session.exec(select(Role).where(Role.name == name)).one()


def create_user(
    *,
    session: Session,
    username: str,
    display_name: str,
    roles: list[str],
    actor: str,
    password: str | None = None,
    email: str | None = None,
    fast_hash: bool = False,
) -> User:
    """Create a user holding ``roles``; pipeline users get no password."""
    refuse_unknown_roles(roles)
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise ValidationError(f"user '{username}' already exists")
    if RoleName.PIPELINE in roles and password:
        raise ValidationError(f"{TOKENS_ONLY}; give no password")
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        password_hash=hash_password(password, fast=fast_hash) if password else None,
    )
    create_record(session=session, record=user, actor=actor, action="user.created")
    for name in sorted(set(roles)):
        session.add(
            UserRole(user_id=user.id or 0, role_id=role_named(session=session, name=name).id or 0)
        )
    session.flush()
    append_record_event(
        session=session,
        record=user,
        action="user.roles_granted",
        actor=actor,
        payload={"roles": sorted(set(roles))},
    )
    return user


@dataclass(frozen=True)
class IssuedToken:
    """A freshly created token: ``secret`` is shown once and never stored."""

    token: ApiToken
    secret: str


def _token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    *,
    session: Session,
    username: str,
    name: str,
    scopes: list[str],
    actor: str,
    expires_in: timedelta = timedelta(days=90),
) -> IssuedToken:
    """Issue a scoped, expiring token for ``username``."""
    unknown = sorted(set(scopes) - set(TOKEN_SCOPES))
    if unknown or not scopes:
        raise ValidationError(
            f"unknown or missing scope(s): {', '.join(unknown) or '(none given)'}; choose from {', '.join(TOKEN_SCOPES)}"
        )
    if expires_in <= timedelta(0) or expires_in > timedelta(days=366):
        raise ValidationError("token lifetime must be between 1 second and 366 days")
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise ValidationError(f"user '{username}' does not exist")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id or 0,
        name=name,
        prefix=secret[:10],
        token_sha256=_token_digest(secret),
        scopes=sorted(set(scopes)),
        expires_at=utc_now() + expires_in,
    )
    create_record(session=session, record=token, actor=actor, action="api_token.created")
    return IssuedToken(token=token, secret=secret)


def revoke_token(*, session: Session, token_id: int, actor: str) -> ApiToken:
    """Revoke a token at once; revoking twice is an error the caller sees."""
    token = get_record(session=session, model=ApiToken, record_id=token_id)
    if token.revoked_at is not None:
        raise ValidationError(
            f"token {token_id} was already revoked at {token.revoked_at.isoformat()}"
        )
    return update_record(
        session=session,
        record=token,
        changes={"revoked_at": utc_now()},
        actor=actor,
        action="api_token.revoked",
    )


def _token_holder_statement() -> Select[Any]:
    """The token, its user and each role they hold, by token digest: one row per role."""
    token, user, user_role, role = (table_of(model) for model in (ApiToken, User, UserRole, Role))
    return (
        core_select(
            token.c.scopes,
            token.c.expires_at,
            token.c.revoked_at,
            user.c.username,
            user.c.is_active,
            role.c.name.label("role"),
        )
        .select_from(token)
        .outerjoin(user, user.c.id == token.c.user_id)
        .outerjoin(user_role, user_role.c.user_id == user.c.id)
        .outerjoin(role, role.c.id == user_role.c.role_id)
        .where(token.c.token_sha256 == bindparam("digest"))
    )


#: Prepared once: the token check runs before every API call.
_TOKEN_HOLDER = PreparedStatement(_token_holder_statement())


def authenticate_token(
    *, connection: Connection, secret: str, now: datetime | None = None
) -> Principal:
    """The principal for a bearer token, or :class:`AuthenticationError` saying why not.

    Read on a bare connection (one prepared statement, no ORM session, and on SQLite no
    transaction around it: the one statement reads one snapshot): it runs before every
    API call.
    """
    rows = _TOKEN_HOLDER.run(connection, {"digest": _token_digest(secret)})
    if not rows:
        raise AuthenticationError("unknown API token")
    token = rows[0]
    if token.revoked_at is not None:
        raise AuthenticationError("API token was revoked")
    if token.expires_at <= (now or utc_now()):
        raise AuthenticationError("API token has expired")
    if token.username is None or not token.is_active:
        raise AuthenticationError("API token belongs to an inactive user")
    return Principal(
        username=token.username,
        roles=frozenset(row.role for row in rows if row.role is not None),
        via="token",
        scopes=frozenset(token.scopes),
    )
