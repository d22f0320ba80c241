"""Fine-tune runs and the dataset versions they train on."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import PublicRow, TableRow, json_field, timestamp_field, vocabulary_field
from app.models.vocabulary import Hosting, Platform, RunState


class FineTuneRunBase(SQLModel):
    """What the requester of a run declares (shared by the table, input and output)."""

    name: str = Field(max_length=200, unique=True)
    base_model: str = Field(max_length=200)
    platform: Platform = vocabulary_field(Platform, length=40, index=True)
    #: external (vendor-hosted fine-tuning) or internal (our own GPUs); NULL when not
    #: declared (the gate then treats the run as external).
    hosting: Hosting | None = vocabulary_field(Hosting, length=20, nullable=True)
    vendor: str | None = Field(default=None, max_length=100)
    #: Region where training runs (GDPR transfers compare it with the EEA).
    training_region: str | None = Field(default=None, max_length=40)
    #: sft | lora | qlora | rlhf | dpo | constitutional
    method: str = Field(max_length=40)
    hyperparameters: dict = json_field()
    gpu_type: str | None = Field(default=None, max_length=80)
    gpu_count: int = Field(default=0, ge=0)
    max_hours: float = Field(default=1.0, gt=0)
    training_command: list[str] = json_field(default_factory=list)
    #: People who built the run (separation of duties: they cannot approve it).
    authors: list[str] = json_field(default_factory=list)


class FineTuneRunServerFields(SQLModel):
    """What Gatehouse sets on a run: its state, requester, launcher and timestamps."""

    state: RunState = vocabulary_field(RunState, length=20, default=RunState.DRAFT, index=True)
    requester: str = Field(max_length=80, index=True)
    launcher_kind: str | None = Field(default=None, max_length=20)
    launcher_ref: str | None = Field(default=None, max_length=300)
    #: The launcher's last word on this run: progress, or why launching, syncing or
    #: cancelling failed (e.g. the namespace to create, the permission to grant).
    launcher_detail: str | None = Field(default=None, max_length=1000)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class FineTuneRun(TableRow, FineTuneRunServerFields, FineTuneRunBase, table=True):
    """A request to fine-tune a base model on dataset versions with a compute budget."""

    __tablename__ = "finetune_run"
    __table_args__ = (sa.Index("ix_finetune_run_state_id", "state", "id"),)


class FineTuneRunPublic(PublicRow, FineTuneRunServerFields, FineTuneRunBase):
    """A run as the API returns it."""


class RunDataset(SQLModel, table=True):
    """A dataset version used by a run (the edge of the lineage graph)."""

    __tablename__ = "run_dataset"

    run_id: int = Field(foreign_key="finetune_run.id", primary_key=True)
    dataset_version_id: int = Field(foreign_key="dataset_version.id", primary_key=True, index=True)
