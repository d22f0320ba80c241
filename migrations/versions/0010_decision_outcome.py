"""policy decisions: their outcome, with indeterminate apart from denied

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 09:55:00.000000

Stored decisions get their outcome from what they already record: a decision with an
engine error is indeterminate (the engine gave no answer), otherwise allowed or denied
by its ``allow``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("policy_decision") as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=20), nullable=True))
    op.execute(
        "UPDATE policy_decision SET outcome = CASE"
        " WHEN error IS NOT NULL THEN 'indeterminate'"
        " WHEN allow THEN 'allowed' ELSE 'denied' END"
    )
    with op.batch_alter_table("policy_decision") as batch_op:
        batch_op.alter_column("outcome", existing_type=sa.String(length=20), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("policy_decision") as batch_op:
        batch_op.drop_column("outcome")
