"""unknown is unknown: governance facts lose their pass-friendly defaults; attestations

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 04:10:00

Columns that used to default to a value that passes a control become nullable with no
default: a fact nobody recorded is NULL and reaches the policy as null (sensitive or
failing). Existing rows: a value equal to the old default cannot be told apart from a
value nobody recorded, so it becomes NULL (fail closed; someone with the owning role
records it again). Values different from the old default were set on purpose and stay.
Evaluations gain ``thresholds`` (their own pass bounds, sent to the policy). The
``attestation`` table holds governance facts recorded by their owning roles (the gates
read facts from it only).

The downgrade restores the old defaults and NOT NULL, filling NULLs with them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: table -> (column, type, old default as SQL literal); NULLed where equal to it.
_FACTS: dict[str, list[tuple[str, sa.types.TypeEngine, str]]] = {
    "finetune_run": [("hosting", sa.String(length=20), "'internal'")],
    "model_version": [
        ("domain", sa.String(length=40), "'general'"),
        ("decision_type", sa.String(length=60), "'advisory'"),
        ("automated_decision_legal_effect", sa.Boolean(), "false"),
        ("human_review", sa.Boolean(), "false"),
        ("monitoring_enabled", sa.Boolean(), "false"),
    ],
    "dataset_version": [
        ("contains_pii", sa.Boolean(), "false"),
        ("contains_phi", sa.Boolean(), "false"),
        ("special_category", sa.Boolean(), "false"),
        ("large_scale", sa.Boolean(), "false"),
        ("residency_region", sa.String(length=40), "'eu-west-1'"),
        ("encrypted_at_rest", sa.Boolean(), "true"),
        ("data_subject_regions", sa.JSON(), "'[]'"),
    ],
}

#: Classifications a scan or a person set stay as they are (only unscanned, declared-by-
#: default rows lose them).
_CLASSIFICATIONS = {"contains_pii", "contains_phi", "special_category"}


def _null_condition(table: str, column: str, literal: str) -> str:
    if column == "data_subject_regions":
        # JSON has no equality on PostgreSQL: compare its text form.
        return f"CAST({column} AS TEXT) = {literal}"
    condition = f"{column} = {literal}"
    if table == "dataset_version" and column in _CLASSIFICATIONS:
        condition += " AND classification_source = 'declared'"
    return condition


def upgrade() -> None:
    op.create_table(
        "attestation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("fact", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("evidence_ref", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("evidence_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("attested_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("attested_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("justification", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("expires_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("attestation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attestation_subject_fact", ["subject_type", "subject_id", "fact"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_attestation_attested_by"), ["attested_by"], unique=False
        )
    for table, columns in _FACTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, type_, _ in columns:
                batch_op.alter_column(column, existing_type=type_, nullable=True)
        for column, _, literal in columns:
            op.execute(
                f"UPDATE {table} SET {column} = NULL "
                f"WHERE {_null_condition(table, column, literal)}"
            )
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thresholds", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.alter_column("thresholds", existing_type=sa.JSON(), server_default=None)


def downgrade() -> None:
    op.drop_table("attestation")
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.drop_column("thresholds")
    for table, columns in _FACTS.items():
        for column, _, literal in columns:
            op.execute(f"UPDATE {table} SET {column} = {literal} WHERE {column} IS NULL")
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, type_, _ in columns:
                batch_op.alter_column(column, existing_type=type_, nullable=False)
