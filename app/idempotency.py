"""Remembered answers of requests sent with an ``Idempotency-Key``: find, remember, expire.

A pipeline that retries a POST after a timeout or a crash cannot know whether its first
attempt took effect. With a key, the first attempt's answer is stored in the same
transaction as its effect (:func:`remember`), so a retry finds either that answer
(:func:`find`, replayed as it was) or nothing at all (the first attempt left no effect
either, and the request runs again). The door that uses this is
``app.api.v1.idempotency``; this module knows nothing of HTTP.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.db import table_of
from app.models.base import utc_now
from app.models.idempotency import IdempotentResponse

__all__ = ["TIME_TO_LIVE", "Answer", "Claim", "expire", "find", "fingerprint", "remember"]

#: How long a key's answer is kept (and replayed) after the request.
TIME_TO_LIVE = timedelta(hours=24)


@dataclass(frozen=True)
class Claim:
    """One keyed request: who sent which key to which operation, and what it asked."""

    principal: str
    method: str
    path: str
    key: str
    #: SHA-256 of what was asked (see :func:`fingerprint`).
    fingerprint: str


@dataclass(frozen=True)
class Answer:
    """A stored answer, as it is replayed."""

    fingerprint: str
    status: int
    media_type: str
    body: str


def fingerprint(parts: Iterable[bytes]) -> str:
    """SHA-256 of the request's parts, each length-prefixed so no two splits collide."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _same_request(claim: Claim) -> list[ColumnElement[bool]]:
    table = table_of(IdempotentResponse)
    return [
        table.c.principal == claim.principal,
        table.c.method == claim.method,
        table.c.path == claim.path,
        table.c.key == claim.key,
    ]


def find(*, session: Session, claim: Claim, now: datetime | None = None) -> Answer | None:
    """The unexpired stored answer of ``claim``'s key, or None."""
    table = table_of(IdempotentResponse)
    row = (
        session.connection()
        .execute(
            select(table.c.fingerprint, table.c.status, table.c.media_type, table.c.body).where(
                *_same_request(claim), table.c.expires_at > (now or utc_now())
            )
        )
        .first()
    )
    if row is None:
        return None
    return Answer(fingerprint=row[0], status=int(row[1]), media_type=row[2], body=row[3])


def remember(*, session: Session, claim: Claim, answer: Answer) -> bool:
    """Store ``answer`` for ``claim`` in ``session``'s transaction (the effect's).

    False when another request with the same key committed first: the session's
    transaction is then rolled back, effect and all, and the caller replays that answer.
    """
    now = utc_now()
    table = table_of(IdempotentResponse)
    # An expired answer frees its key for a new request.
    session.connection().execute(
        delete(table).where(*_same_request(claim), table.c.expires_at <= now)
    )
    session.add(
        IdempotentResponse(
            principal=claim.principal,
            method=claim.method,
            path=claim.path,
            key=claim.key,
            fingerprint=claim.fingerprint,
            status=answer.status,
            media_type=answer.media_type,
            body=answer.body,
            created_at=now,
            expires_at=now + TIME_TO_LIVE,
        )
    )
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return True


def expire(*, session: Session, now: datetime | None = None) -> int:
    """Delete the answers whose time to live has passed; how many were deleted."""
    table = table_of(IdempotentResponse)
    result = session.connection().execute(
        delete(table).where(table.c.expires_at <= (now or utc_now()))
    )
    return int(result.rowcount or 0)
