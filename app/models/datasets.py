"""Datasets, their immutable versions, and erasure requests against them.

A version records what a compliance officer needs to decide on its use: content hash,
format and validation report, data classification (with who set it and why), the
GDPR/HIPAA references, residency, retention and provenance. Raw records never live in
the database, only in storage addressed by ``storage_uri``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import (
    JSONType,
    PublicRow,
    TableRow,
    json_field,
    timestamp_field,
    vocabulary_field,
)
from app.models.vocabulary import (
    Art9Condition,
    ClassificationSource,
    DeidentificationMethod,
    Domain,
    LawfulBasis,
    TransferMechanism,
)


class DatasetFormat(StrEnum):
    """Platform formats of fine-tuning data, plus tabular data for audits."""

    OPENAI_CHAT = "openai_chat"
    OPENAI_PREFERENCE = "openai_preference"
    OPENAI_REINFORCEMENT = "openai_reinforcement"
    ANTHROPIC_TEXT = "anthropic_text"
    ANTHROPIC_BEDROCK = "anthropic_bedrock"
    LLAMA_IO = "llama_io"
    TRL = "trl"
    GEMINI_MULTIMODAL = "gemini_multimodal"
    GEMINI_PREFERENCE = "gemini_preference"
    TABULAR = "tabular"


class DatasetBase(SQLModel):
    """What the creator of a dataset declares (shared by the table, input and output)."""

    name: str = Field(max_length=200, unique=True, index=True)
    owner: str = Field(max_length=80, index=True)
    purpose: str = Field(default="", max_length=2000)
    domain: Domain = vocabulary_field(Domain, length=40, default=Domain.GENERAL, index=True)


class Dataset(TableRow, DatasetBase, table=True):
    """A named collection of data, versioned."""

    created_at: datetime = timestamp_field()
    created_by: str = Field(max_length=80)


class DatasetPublic(PublicRow, DatasetBase):
    """A dataset as the API returns it."""

    created_at: datetime
    created_by: str


#: The classification flags: set by the scan or the registrant, confirmed or overridden by
#: a data steward (``classification_source`` says which).
CLASSIFICATION_FLAGS = frozenset({"contains_pii", "contains_phi", "special_category"})


class DatasetVersionBase(SQLModel):
    """A dataset version's content, classification and references (every stored field)."""

    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    version: int = Field(ge=1)
    content_sha256: str = Field(max_length=64, index=True)
    size_bytes: int = Field(default=0, ge=0)
    row_count: int = Field(default=0, ge=0)
    format: str = Field(sa_column=sa.Column(sa.String(40), nullable=False, index=True))
    storage_uri: str = Field(default="", max_length=1000)
    is_valid: bool = True
    validation_report: dict = json_field()
    # Classification: set by the scan, confirmable or overridable by a person. NULL means
    # nobody classified it: the policies then treat the version as sensitive.
    contains_pii: bool | None = Field(default=None, index=True)
    contains_phi: bool | None = Field(default=None, index=True)
    special_category: bool | None = None
    classification_source: str = Field(default=ClassificationSource.DECLARED, max_length=20)
    classification_justification: str = Field(default="", max_length=2000)
    pii_findings: dict = json_field()
    deidentification_method: DeidentificationMethod = vocabulary_field(
        DeidentificationMethod, length=40, default=DeidentificationMethod.NONE
    )
    expert_determination_ref: str | None = Field(default=None, max_length=200)
    phi_fields: list[dict] = json_field(default_factory=list)
    # GDPR.
    #: NULL until recorded (unknown regions count as EU/EEA).
    data_subject_regions: list[str] | None = Field(
        default=None, sa_column=sa.Column(JSONType(), nullable=True)
    )
    lawful_basis: LawfulBasis | None = vocabulary_field(LawfulBasis, length=40, nullable=True)
    art9_condition: Art9Condition | None = vocabulary_field(Art9Condition, length=40, nullable=True)
    consent_ref: str | None = Field(default=None, max_length=200)
    dpia_ref: str | None = Field(default=None, max_length=200)
    large_scale: bool | None = None
    controller: str | None = Field(default=None, max_length=200)
    processing_purpose: str | None = Field(default=None, max_length=2000)
    data_categories: list[str] = json_field(default_factory=list)
    residency_region: str | None = Field(default=None, max_length=40)
    transfer_mechanism: TransferMechanism | None = vocabulary_field(
        TransferMechanism, length=20, nullable=True
    )
    transfer_ref: str | None = Field(default=None, max_length=200)
    retention_until: date | None = None
    # HIPAA.
    baa_refs: dict = json_field()
    encrypted_at_rest: bool | None = None
    # Provenance.
    provenance_source: str = Field(default="", max_length=500)
    provenance_licence: str = Field(default="", max_length=200)
    collection_method: str = Field(default="", max_length=500)
    created_at: datetime = timestamp_field()
    created_by: str = Field(max_length=80)


class DatasetVersion(TableRow, DatasetVersionBase, table=True):
    """One immutable content of a dataset, with its classification and references."""

    __table_args__ = (sa.UniqueConstraint("dataset_id", "version", name="uq_dataset_version"),)


class DatasetVersionPublic(PublicRow, DatasetVersionBase):
    """A dataset version as the API returns it."""


class ErasureRequestBase(SQLModel):
    """A data subject's erasure request and what was done about it."""

    dataset_version_id: int = Field(foreign_key="dataset_version.id", index=True)
    reference: str = Field(max_length=200)
    requested_at: datetime = timestamp_field()
    resolved_at: datetime | None = timestamp_field(nullable=True)
    resolution: str | None = Field(default=None, max_length=2000)


class ErasureRequest(TableRow, ErasureRequestBase, table=True):
    """A data subject's erasure request (GDPR Art. 17) against a dataset version."""


class ErasureRequestPublic(PublicRow, ErasureRequestBase):
    """An erasure request as the API returns it."""
