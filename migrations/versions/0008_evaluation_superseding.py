"""evaluations can be superseded (who, when, why) instead of blocking promotion for good

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 07:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluation") as batch_op:
        batch_op.add_column(
            sa.Column("superseded_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("superseded_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "superseded_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("evaluation") as batch_op:
        batch_op.drop_column("superseded_reason")
        batch_op.drop_column("superseded_by")
        batch_op.drop_column("superseded_at")
