"""This database's instance id: created once, on first use, and ledgered.

Kubernetes Jobs outlive the process that created them and share a namespace with every
other Gatehouse pointed at it (a staging copy, a restored backup, a colleague's laptop).
The instance id in a Job's name and labels tells whose Job it is.
"""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.ledger import append_event
from app.models.instance import GatehouseInstance
from app.models.vocabulary import LedgerSubject

__all__ = ["instance_id"]

#: Hex characters of a new instance id (40 bits: a collision needs ~a million databases).
_ID_LENGTH = 10


def instance_id(*, session: Session) -> str:
    """The instance id of the database behind ``session``, created if it has none yet.

    Two processes naming a fresh database at once both try to insert row 1; the loser's
    savepoint rolls back and it reads the winner's id, so every process agrees.
    """
    row = session.get(GatehouseInstance, 1)
    if row is not None:
        return row.instance_id
    candidate = GatehouseInstance(id=1, instance_id=secrets.token_hex(_ID_LENGTH // 2))
    try:
        with session.begin_nested():
            session.add(candidate)
            session.flush()
            append_event(
                session=session,
                actor="gatehouse",
                action="instance.created",
                subject_type=LedgerSubject.GATEHOUSE_INSTANCE,
                subject_id=1,
                payload={"instance_id": candidate.instance_id},
            )
    except IntegrityError:
        row = session.get(GatehouseInstance, 1, populate_existing=True)
        if row is None:
            raise
        return row.instance_id
    return candidate.instance_id
