"""The hash-chained event log's table (logic in ``app.ledger``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import json_field, timestamp_field


class LedgerEvent(SQLModel, table=True):
    """One state change; ``hash`` covers every other field and the previous hash."""

    __tablename__ = "ledger_event"
    __table_args__ = (sa.Index("ix_ledger_subject", "subject_type", "subject_id"),)

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    occurred_at: datetime = timestamp_field()
    actor: str = Field(max_length=80, index=True)
    action: str = Field(max_length=80, index=True)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=80)
    payload: dict = json_field()
    payload_sha256: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class LedgerCheckpoint(SQLModel, table=True):
    """A signed statement of the ledger's head: what an outside party keeps.

    ``statement`` is the exact JSON text that was signed (``app.ledger.checkpoints``);
    the other columns repeat its fields for queries.
    """

    __tablename__ = "ledger_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(index=True)
    head_hash: str = Field(max_length=64)
    merkle_root: str = Field(max_length=64)
    created_at: datetime = timestamp_field()
    created_by: str = Field(max_length=80)
    statement: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    signature_cms: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    """Detached CMS signature over ``statement`` (base64 DER), with any RFC 3161 token."""
    signer_fingerprint_sha256: str = Field(max_length=64)
    timestamped: bool = False


class LedgerVerification(SQLModel, table=True):
    """How far the chain is verified, so pages resume instead of re-walking it (one row)."""

    __tablename__ = "ledger_verification"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    verified_seq: int = 0
    """The last event verified intact; verification resumes after it."""
    verified_hash: str = Field(max_length=64)
    subtree_roots: list = json_field(default_factory=list)
    """The Merkle compact range over events 1..verified_seq (hex, largest subtree first)."""
    checked_at: datetime | None = timestamp_field(nullable=True)
    mode: str | None = Field(default=None, max_length=20)
    """``full`` or ``incremental``: how the last verification ran."""
    events_checked: int = 0
    intact: bool | None = None
    broken_seq: int | None = None
    broken_kind: str | None = Field(default=None, max_length=20)
    broken_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    last_full_at: datetime | None = timestamp_field(nullable=True)
