"""The identity of one Gatehouse database, shared by every process that uses it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import timestamp_field


class GatehouseInstance(SQLModel, table=True):
    """The one row naming this database's Gatehouse instance.

    Objects Gatehouse creates outside its database (Kubernetes Jobs) carry this id, so two
    Gatehouse databases sharing a namespace never mistake each other's objects for their
    own. The row is created on first use, not by the migration: a database copied from a
    migrated template is a new instance until it first names itself.
    """

    __tablename__ = "gatehouse_instance"

    #: Always 1: a table of one row.
    id: int = Field(default=1, primary_key=True)
    #: Random lowercase hex, short enough for Kubernetes names and label values.
    instance_id: str = Field(max_length=32, unique=True)
    created_at: datetime = timestamp_field()
