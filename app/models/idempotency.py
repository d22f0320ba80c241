"""Stored answers to requests sent with an ``Idempotency-Key``, replayed on a retry.

One row per (principal, method, path, key): the SHA-256 of what was asked and the answer
given. The row is written in the transaction of the request's effect
(``app.api.v1.idempotency``), so after a crash either both are there or neither is.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import TableRow, timestamp_field

#: Longest key accepted (the draft standard sets no limit; a UUID is 36 characters).
MAX_KEY_LENGTH = 255


class IdempotentResponse(TableRow, table=True):
    """The answer a request with an ``Idempotency-Key`` got, until it expires."""

    __table_args__ = (
        sa.UniqueConstraint(
            "principal", "method", "path", "key", name="uq_idempotent_response_request"
        ),
    )

    #: Who asked: ``<via>:<username>`` (a token and a portal session are different callers).
    principal: str = Field(max_length=120)
    method: str = Field(max_length=10)
    #: The request path (the route with its values, e.g. ``/api/v1/runs/7/submit``).
    path: str = Field(max_length=500)
    key: str = Field(max_length=MAX_KEY_LENGTH)
    #: SHA-256 of the query string and body (a multipart file by its own SHA-256).
    fingerprint: str = Field(max_length=64)
    status: int
    media_type: str = Field(max_length=100)
    body: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    created_at: datetime = timestamp_field()
    #: After this the key may be used for a new request; the ``idempotency-expiry`` job
    #: deletes expired rows.
    expires_at: datetime = timestamp_field(index=True)
