"""The schema exists only as Alembic revisions, and they agree with the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import app.models.tables  # noqa: F401
from app.migrations import current_revision, downgrade, head_revision, upgrade


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    assert current_revision(engine) == head_revision(database_url)
    downgrade(database_url, "base")
    assert current_revision(engine) is None
    assert "ledger_event" not in sa.inspect(engine).get_table_names()
    upgrade(database_url)
    assert current_revision(engine) == head_revision(database_url)
    with engine.connect() as connection:
        roles = connection.execute(sa.text("SELECT name FROM role ORDER BY name")).scalars().all()
    engine.dispose()
    assert roles == sorted(
        ["admin", "auditor", "compliance_officer", "ml_engineer", "model_risk", "pipeline"]
    )
