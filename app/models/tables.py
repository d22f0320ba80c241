"""Import every table module, so the metadata knows every table and foreign key.

The database layer (``app.db``) and Alembic import this; a session never flushes
against a metadata that lacks the table a foreign key points at.
"""

from app.models import (  # noqa: F401
    attestations,
    datasets,
    deployments,
    evaluation_evidence,
    evidence,
    governance,
    idempotency,
    instance,
    ledger,
    model_versions,
    monitoring,
    runs,
    schedules,
    users,
    webhooks,
)
