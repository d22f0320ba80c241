"""Portal login: one refusal for every failure, constant time, lockout, and logout that ends
every session of the account.

- **One message, one cost.** An unknown username, a token-only account, a disabled
  account, a locked account and a wrong password all answer :data:`REFUSAL` after one
  argon2id verification (against a throwaway hash when there is no real one), so neither
  the words nor the time tell whether the username exists.
- **Lockout.** :data:`LOCKOUT_AFTER` wrong passwords in a row lock the account for
  :data:`LOCKOUT_FOR` (ledgered as ``user.locked``); a correct password during the lock is
  refused too, so guessing cannot continue slowly. A success resets the count.
- **Session epoch.** A portal session carries the account's ``session_epoch``; logging
  out increments it, so a copied cookie stops working everywhere
  at once although the cookie itself is signed, not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from app.auth.accounts import Principal, password_matches, roles_of
from app.ledger import append_record_event
from app.models.base import utc_now
from app.models.users import User

#: Wrong passwords in a row before the account is locked.
LOCKOUT_AFTER = 5
#: How long a locked account refuses every password.
LOCKOUT_FOR = timedelta(minutes=15)
#: Every refusal, a locked account's too: a lock shown only for real accounts would tell
#: which usernames exist. It says how the lock works, so a real user knows to wait.
REFUSAL = (
    f"unknown user or wrong password ({LOCKOUT_AFTER} failures in a row lock an account for "
    f"{LOCKOUT_FOR.seconds // 60} minutes)"
)


@dataclass(frozen=True)
class LoginOutcome:
    """A login attempt's result: the principal and its session epoch, or the refusal."""

    principal: Principal | None
    session_epoch: int = 0
    refusal: str | None = None


def attempt_login(*, session: Session, username: str, password: str) -> LoginOutcome:
    """Check a username and password, counting failures (commit even when refused)."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.is_active:
        password_matches(None, password)  # the same cost as a real check
        return LoginOutcome(principal=None, refusal=REFUSAL)
    matches = password_matches(user.password_hash, password)
    if user.password_hash is None:
        return LoginOutcome(principal=None, refusal=REFUSAL)
    now = utc_now()
    if user.locked_until is not None and user.locked_until > now:
        return LoginOutcome(principal=None, refusal=REFUSAL)
    if not matches:
        user.failed_logins += 1
        if user.failed_logins >= LOCKOUT_AFTER:
            user.locked_until = now + LOCKOUT_FOR
            user.failed_logins = 0
            append_record_event(
                session=session,
                record=user,
                action="user.locked",
                actor=user.username,
                payload={"after_failures": LOCKOUT_AFTER, "until": user.locked_until.isoformat()},
            )
        session.add(user)
        return LoginOutcome(principal=None, refusal=REFUSAL)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    principal = Principal(
        username=user.username, roles=roles_of(session=session, user=user), via="session"
    )
    return LoginOutcome(principal=principal, session_epoch=user.session_epoch)


def end_sessions(*, session: Session, username: str) -> None:
    """Invalidate every portal session of ``username`` (called on logout)."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is not None:
        user.session_epoch += 1
        session.add(user)
        append_record_event(
            session=session, record=user, action="user.sessions_ended", actor=username
        )
