"""A registered model to import evidence for, and helpers to count what the database holds."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import func, select

from app.db import session_scope
from app.models.evaluation_evidence import (
    EvidenceImport,
    MemorisationTest,
    MetricResult,
    RedTeamCampaign,
    RedTeamFinding,
)
from app.models.ledger import LedgerEvent
from app.policy.engine import PolicyEngine
from tests.approvals.conftest import Registry, build_registry

#: The evidence tables an import writes to, and the ledger.
EVIDENCE_TABLES = (
    EvidenceImport,
    MetricResult,
    RedTeamCampaign,
    RedTeamFinding,
    MemorisationTest,
    LedgerEvent,
)


@pytest.fixture
def registry(engine: sa.Engine) -> Registry:
    """A general-domain model on public data with a staging deployment."""
    with session_scope(engine) as session:
        return build_registry(session)


@pytest.fixture
def policy_engine(app: Flask) -> PolicyEngine:
    """The application's policy engine (embedded)."""
    return app.extensions["gatehouse.policy_engine"]  # type: ignore[no-any-return]


def row_counts(engine: sa.Engine) -> dict[str, int]:
    """Rows per evidence table and in the ledger."""
    with session_scope(engine) as session:
        return {
            str(table.__tablename__): session.exec(select(func.count()).select_from(table)).one()
            for table in EVIDENCE_TABLES
        }


@pytest.fixture
def counts(engine: sa.Engine) -> Any:
    """``counts()``: rows per evidence table and in the ledger, now."""
    return lambda: row_counts(engine)
