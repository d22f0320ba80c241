"""A job context on the test database (the scheduler process builds the same one)."""

from __future__ import annotations

from typing import Any

import pytest

from app.jobs.definitions import JobContext


@pytest.fixture
def job_context(app: Any, engine: Any, settings: Any) -> JobContext:
    """Database, settings and the embedded policy engine, as the leader gives its jobs."""
    return JobContext(
        engine=engine, settings=settings, policy_engine=app.extensions["gatehouse.policy_engine"]
    )
