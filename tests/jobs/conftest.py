"""A job context on the test database (the scheduler process builds the same one)."""

from __future__ import annotations

from typing import Any

import pytest

from app.jobs.definitions import JobContext
from tests.audits_registry.conftest import register_decisions  # noqa: F401
from tests.gates import conftest as gates_fixtures

#: The demo registry before any audit (datasets, runs, models, a staging deployment).
seeded = gates_fixtures.seeded


@pytest.fixture
def job_context(app: Any, engine: Any, settings: Any) -> JobContext:
    """Database, settings and the embedded policy engine, as the leader gives its jobs."""
    return JobContext(
        engine=engine, settings=settings, policy_engine=app.extensions["gatehouse.policy_engine"]
    )
