"""People, their roles, and the API tokens pipelines authenticate with."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import json_field, timestamp_field


class RoleName(StrEnum):
    """The roles of the design; ``pipeline`` accounts authenticate by token only."""

    ADMIN = "admin"
    COMPLIANCE_OFFICER = "compliance_officer"
    MODEL_RISK = "model_risk"
    ML_ENGINEER = "ml_engineer"
    AUDITOR = "auditor"
    PIPELINE = "pipeline"


class Role(SQLModel, table=True):
    """A named role; seeded by the initial migration."""

    __tablename__ = "role"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40, unique=True)


class UserRole(SQLModel, table=True):
    """Which user holds which role."""

    __tablename__ = "user_role"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    role_id: int = Field(foreign_key="role.id", primary_key=True)


class User(SQLModel, table=True):
    """A person (or a pipeline identity) who acts on Gatehouse."""

    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    #: argon2id hash; NULL for token-only accounts, which cannot log in to the portal.
    password_hash: str | None = Field(default=None, max_length=200)
    is_active: bool = True
    created_at: datetime = timestamp_field()
    #: Wrong portal passwords in a row (reset by a success or a lock; app/auth/login.py).
    failed_logins: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    #: Until when the portal refuses every password for this account.
    locked_until: datetime | None = timestamp_field(nullable=True)
    #: Portal sessions carry this number; incrementing it ends all of them (logout).
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ApiToken(SQLModel, table=True):
    """A bearer token for pipelines: shown once, stored as a SHA-256 digest only."""

    __tablename__ = "api_token"
    __table_args__ = (sa.Index("ix_api_token_user_active", "user_id", "revoked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    name: str = Field(max_length=120)
    #: First characters of the token, for people to recognise it in listings.
    prefix: str = Field(max_length=16)
    token_sha256: str = Field(max_length=64, unique=True)
    scopes: list[str] = json_field(default_factory=list)
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
    revoked_at: datetime | None = timestamp_field(nullable=True)
    last_used_at: datetime | None = timestamp_field(nullable=True)
