"""policy decision inputs: the document each decision was made on, for replay

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 13:10:00.000000

Reports embed each decision's input so an auditor can re-evaluate it offline
(``gatehouse report verify --replay``). Decisions made before this revision have no
stored input; a report says so and its replay lists them as not replayable.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_decision_input",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["policy_decision.id"]),
        sa.PrimaryKeyConstraint("decision_id"),
    )


def downgrade() -> None:
    op.drop_table("policy_decision_input")
