"""Attestations: governance facts recorded by the role that owns them (logic in
``app.attestations``).

Rows are never updated or deleted: a new attestation of the same fact supersedes the
older one, and an attestation past its ``expires_at`` counts as missing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import JSONType, PublicRow, TableRow, timestamp_field, vocabulary_field
from app.models.vocabulary import AttestedSubject


class AttestationBase(SQLModel):
    """A governance fact, who attested it and its evidence."""

    subject_type: AttestedSubject = vocabulary_field(AttestedSubject, length=40)
    subject_id: int
    #: A fact name from ``app.attestations.facts.FACTS``.
    fact: str = Field(max_length=40)
    #: The fact's value, in the shape its ``FactSpec`` validates.
    value: Any = Field(sa_column=sa.Column(JSONType(), nullable=False))
    #: Where the evidence is (document id, ticket, URL of the signed agreement).
    evidence_ref: str = Field(max_length=500)
    #: SHA-256 of the evidence file, when one was provided.
    evidence_sha256: str | None = Field(default=None, max_length=64)
    attested_by: str = Field(max_length=80, index=True)
    #: The owning role the attester held when attesting.
    role: str = Field(max_length=40)
    attested_at: datetime = timestamp_field()
    justification: str = Field(max_length=2000)
    expires_at: datetime | None = timestamp_field(nullable=True)


class Attestation(TableRow, AttestationBase, table=True):
    """One person's statement of one fact about one subject, with its evidence."""

    __table_args__ = (
        sa.Index("ix_attestation_subject_fact", "subject_type", "subject_id", "fact"),
    )


class AttestationPublic(PublicRow, AttestationBase):
    """An attestation as the API returns it."""
