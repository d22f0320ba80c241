"""the database's Gatehouse instance id; the launcher's last word on a run

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 03:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gatehouse_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id"),
    )
    with op.batch_alter_table("finetune_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "launcher_detail", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("finetune_run", schema=None) as batch_op:
        batch_op.drop_column("launcher_detail")
    op.drop_table("gatehouse_instance")
