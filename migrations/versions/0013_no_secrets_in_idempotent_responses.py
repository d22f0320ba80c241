"""no secrets in idempotent responses: stored webhook answers lose their signing secret

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 16:45:00.000000

Before this revision the answer to ``POST /api/v1/webhooks`` sent with an
``Idempotency-Key`` was stored whole, the subscription's signing secret with it, for 24
hours. The application now stores a 410 problem in its place (``app.api.v1.approvals``);
this revision does the same to the answers already stored, so no secret stays in the table.
A retry of such a key then gets the problem, which names the subscription it created.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STORED = sa.table(
    "idempotent_response",
    sa.column("id", sa.Integer()),
    sa.column("status", sa.Integer()),
    sa.column("media_type", sa.String()),
    sa.column("body", sa.Text()),
)


def _without_secret(subscription_id: object) -> str:
    """The problem stored in place of an answer that carried a secret."""
    return json.dumps(
        {
            "type": "https://gatehouse.dev/problems/secret-not-replayed",
            "title": "Secret not replayed",
            "status": 410,
            "detail": (
                f"the first request with this Idempotency-Key created webhook subscription "
                f"{subscription_id}; its signing secret was shown once and is not kept for "
                f"replays. Deactivate it (DELETE /api/v1/webhooks/{subscription_id}) and "
                "subscribe again with a new key for a new secret"
            ),
            "subscription_id": subscription_id,
        }
    )


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_STORED.c.id, _STORED.c.body)).all()
    for row_id, body in rows:
        try:
            answer = json.loads(body)
        except ValueError:
            continue
        if not isinstance(answer, dict) or "secret" not in answer:
            continue
        connection.execute(
            sa.update(_STORED)
            .where(_STORED.c.id == row_id)
            .values(
                status=410,
                media_type="application/problem+json",
                body=_without_secret(answer.get("id")),
            )
        )


def downgrade() -> None:
    """Nothing to undo: the secrets removed are gone for good, as they should be."""
