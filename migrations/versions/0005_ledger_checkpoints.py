"""ledger checkpoints and the incremental verification position

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 04:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "ledger_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("merkle_root", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("signature_cms", sa.Text(), nullable=False),
        sa.Column(
            "signer_fingerprint_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("timestamped", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ledger_checkpoint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_checkpoint_seq"), ["seq"], unique=False)

    verification = op.create_table(
        "ledger_verification",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("verified_seq", sa.Integer(), nullable=False),
        sa.Column("verified_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("subtree_roots", sa.JSON(), nullable=False),
        sa.Column("checked_at", app.models.base.UTCDateTime(), nullable=True),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("events_checked", sa.Integer(), nullable=False),
        sa.Column("intact", sa.Boolean(), nullable=True),
        sa.Column("broken_seq", sa.Integer(), nullable=True),
        sa.Column("broken_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("broken_reason", sa.Text(), nullable=True),
        sa.Column("last_full_at", app.models.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # The one row exists from the start, so concurrent verifications only ever update it.
    op.bulk_insert(
        verification,
        [
            {
                "id": 1,
                "verified_seq": 0,
                "verified_hash": _GENESIS_HASH,
                "subtree_roots": [],
                "events_checked": 0,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("ledger_verification")
    with op.batch_alter_table("ledger_checkpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_checkpoint_seq"))
    op.drop_table("ledger_checkpoint")
