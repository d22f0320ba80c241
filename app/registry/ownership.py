"""Who may change a registry record, and the people it names who stay named.

Separation of duties reads the people a record names (a run's authors, a model's
developers) to keep them from attesting or approving it. Two rules keep those names
honest: only the record's owners or an admin change it, and a name once given cannot be
taken off, or an author could be unnamed long enough to attest or approve and named again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlmodel import Session, select

from app.auth.accounts import roles_of
from app.errors import PermissionDeniedError, ValidationError
from app.models.users import RoleName, User

__all__ = ["ensure_owner_or_admin", "keep_everyone_named"]


def ensure_owner_or_admin(
    *, session: Session, actor: str, owners: Collection[str], subject: str, owned_by: str
) -> None:
    """Refuse ``actor`` unless they are one of ``owners`` (described as ``owned_by``) or
    hold the admin role."""
    if actor in owners:
        return
    user = session.exec(select(User).where(User.username == actor)).first()
    if user is not None and RoleName.ADMIN in roles_of(session=session, user=user):
        return
    raise PermissionDeniedError(
        f"{actor} may not change {subject}: only {owned_by} or an admin may"
    )


def keep_everyone_named(
    *, named: Sequence[str], given: Sequence[str] | None, field: str, subject: str
) -> None:
    """Refuse a new list of ``field`` that leaves out someone ``named`` already."""
    if given is None:
        return
    dropped = sorted(set(named) - set(given))
    if dropped:
        raise ValidationError(
            f"{field} of {subject} can be added to, never removed from (left out: "
            f"{', '.join(dropped)}): whoever was named once stays excluded from attesting "
            "and approving it"
        )
