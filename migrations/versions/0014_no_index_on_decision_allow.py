"""no index on policy_decision.allow: a boolean index costs every decision a page and
serves no query

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 23:30:00.000000

Gates are asked on every release, and each stored decision wrote a leaf of this index.
Half the table matches either value, so no query is faster with it: the only filter on
``allow`` (the decision listing's, ordered by id) reads the table in id order and stops
after a page of matches.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_policy_decision_allow", table_name="policy_decision")


def downgrade() -> None:
    op.create_index("ix_policy_decision_allow", "policy_decision", ["allow"], unique=False)
