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
