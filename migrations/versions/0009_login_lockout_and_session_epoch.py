"""portal logins: failed-login count and lock, and a session epoch that logout increments

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 08:25:00.000000

Existing accounts start unlocked with no failures and epoch 0; sessions issued before
this revision carry no epoch and must log in again (fail closed).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("locked_until", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_column("session_epoch")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
