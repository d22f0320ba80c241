"""Changing an account after it exists: deactivate or reactivate it, grant or revoke its
roles, reset its password. Offboarding an approver must not wait for someone with
database access.

Every change is ledgered with its actor. A change that takes access away, and a password
reset, also ends the account's portal sessions (its session epoch), so a copied cookie
stops working at once; a deactivated account's API tokens stop with it, since the token
check reads the account's state, and roles are read on every request. The last active
admin can be neither deactivated nor stripped of the admin role: nobody could then manage
the installation except through the database.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from app.approvals.service import void_for_lost_voter
from app.auth.accounts import (
    TOKENS_ONLY,
    hash_password,
    refuse_unknown_roles,
    role_named,
    roles_of,
)
from app.errors import NotFoundError, ValidationError
from app.ledger import append_record_event
from app.ledger.free_text import refuse_direct_identifiers
from app.models.base import utc_now
from app.models.users import ApiToken, Role, RoleName, User, UserRole
from app.registry.records import update_record

__all__ = [
    "AccountSummary",
    "account_summaries",
    "change_roles",
    "deactivate_user",
    "reactivate_user",
    "reset_password",
]


@dataclass(frozen=True)
class AccountSummary:
    """One account as the people who manage accounts see it (no secret of it)."""

    username: str
    display_name: str
    active: bool
    roles: frozenset[str]
    live_tokens: int
    """Tokens neither revoked nor expired (they stop working while the account is off)."""


def account_summaries(*, session: Session, now: datetime | None = None) -> list[AccountSummary]:
    """Every account, by username, with its roles and how many live tokens it holds."""
    now = now or utc_now()
    live = dict(
        session.exec(
            select(ApiToken.user_id, func.count())
            .where(col(ApiToken.revoked_at).is_(None), ApiToken.expires_at > now)
            .group_by(col(ApiToken.user_id))
        ).all()
    )
    return [
        AccountSummary(
            username=user.username,
            display_name=user.display_name,
            active=user.is_active,
            roles=roles_of(session=session, user=user),
            live_tokens=int(live.get(user.id or 0, 0)),
        )
        for user in session.exec(select(User).order_by(col(User.username))).all()
    ]


def _user_named(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFoundError(f"no user named '{username}'")
    return user


def _refuse_losing_the_last_admin(session: Session, user: User, what: str) -> None:
    """Refuse ``what`` when ``user`` is the only active account holding the admin role."""
    admins = session.exec(
        select(User.username)
        .join(UserRole, col(UserRole.user_id) == col(User.id))
        .join(Role, col(Role.id) == col(UserRole.role_id))
        .where(Role.name == RoleName.ADMIN, col(User.is_active).is_(True))
    ).all()
    if list(admins) == [user.username]:
        raise ValidationError(
            f"{user.username} is the last active admin: {what} would leave nobody to manage "
            "the installation; make another admin first"
        )


def deactivate_user(*, session: Session, username: str, reason: str, actor: str) -> User:
    """Stop ``username`` from logging in or using any token, ending their sessions now."""
    if not reason.strip():
        raise ValidationError("say why the account is deactivated (--reason)")
    refuse_direct_identifiers(field="reason", text=reason)
    user = _user_named(session, username)
    if not user.is_active:
        raise ValidationError(f"{username} is already deactivated")
    _refuse_losing_the_last_admin(session, user, "deactivating them")
    deactivated = update_record(
        session=session,
        record=user,
        changes={"is_active": False, "session_epoch": user.session_epoch + 1},
        actor=actor,
        action="user.deactivated",
        note={"reason": reason.strip()},
    )
    void_for_lost_voter(
        session=session, voter=username, roles=None, why="was deactivated", actor=actor
    )
    return deactivated


def reactivate_user(*, session: Session, username: str, actor: str) -> User:
    """Let a deactivated account log in and use its unexpired tokens again."""
    user = _user_named(session, username)
    if user.is_active:
        raise ValidationError(f"{username} is active already")
    return update_record(
        session=session,
        record=user,
        changes={"is_active": True, "failed_logins": 0, "locked_until": None},
        actor=actor,
        action="user.reactivated",
    )


def change_roles(
    *,
    session: Session,
    username: str,
    grant: Collection[str],
    revoke: Collection[str],
    actor: str,
) -> frozenset[str]:
    """Grant and revoke roles of ``username``; the roles they hold afterwards."""
    refuse_unknown_roles([*grant, *revoke])
    if set(grant) & set(revoke):
        raise ValidationError(
            f"granted and revoked at once: {', '.join(sorted(set(grant) & set(revoke)))}"
        )
    user = _user_named(session, username)
    held = roles_of(session=session, user=user)
    granting, revoking = sorted(set(grant) - held), sorted(set(revoke) & held)
    if RoleName.PIPELINE in granting and user.password_hash is not None:
        raise ValidationError(f"{TOKENS_ONLY}; this one has a password")
    if RoleName.ADMIN in revoking:
        _refuse_losing_the_last_admin(session, user, "revoking their admin role")
    if revoking and not (held - set(revoking)) | set(granting):
        raise ValidationError(f"{username} would hold no role; deactivate the account instead")
    for name in granting:
        session.add(
            UserRole(user_id=user.id or 0, role_id=role_named(session=session, name=name).id or 0)
        )
    for name in revoking:
        session.delete(session.get(UserRole, (user.id, role_named(session=session, name=name).id)))
    if revoking:
        user.session_epoch += 1
        session.add(user)
    session.flush()
    for action, names in (("user.roles_granted", granting), ("user.roles_revoked", revoking)):
        if names:
            append_record_event(
                session=session, record=user, action=action, actor=actor, payload={"roles": names}
            )
    if revoking:
        void_for_lost_voter(
            session=session,
            voter=username,
            roles=revoking,
            why=f"lost the role {', '.join(revoking)}",
            actor=actor,
        )
    return roles_of(session=session, user=user)


def reset_password(*, session: Session, username: str, password: str, actor: str) -> User:
    """Give ``username`` a new password, lift a lockout and end their sessions."""
    user = _user_named(session, username)
    if RoleName.PIPELINE in roles_of(session=session, user=user):
        raise ValidationError(f"{TOKENS_ONLY}; give no password")
    return update_record(
        session=session,
        record=user,
        changes={
            "password_hash": hash_password(password),
            "session_epoch": user.session_epoch + 1,
            "failed_logins": 0,
            "locked_until": None,
        },
        actor=actor,
        action="user.password_reset",
    )
