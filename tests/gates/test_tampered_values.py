"""A value changed in the database behind Gatehouse's back: the gate allows nothing and
says which column it could not read, other routes answer a problem, and no log line
quotes the value (it may be personal data). Real SQLite, values written with SQL as an
attacker with file access would."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import session_scope
from app.models.governance import PolicyDecision
from tests.approvals.conftest import Registry, build_registry

SECRET = "jane.doe@example.org 1970-01-01"


@pytest.fixture
def registry(engine: sa.Engine) -> Registry:
    with session_scope(engine) as session:
        return build_registry(session)


def _tamper(engine: sa.Engine, table: str, column: str, where: str, row_id: int) -> None:
    with engine.begin() as connection:
        changed = connection.exec_driver_sql(
            f"UPDATE {table} SET {column} = ? WHERE {where} = ?", (SECRET, row_id)
        )
    assert changed.rowcount > 0


def _answered_without_the_value(
    caplog: pytest.LogCaptureFixture, call: Callable[[], Any]
) -> tuple[Any, list[str]]:
    """The answer to ``call`` and every log line it wrote, none of them quoting the value."""
    with caplog.at_level(logging.INFO):
        answer = call()
    logged = [record.getMessage() for record in caplog.records]
    assert answer.content_type == "application/problem+json"
    assert SECRET not in answer.get_data(as_text=True)
    assert all(SECRET not in line for line in logged), logged
    return answer, logged


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_unreadable_stored_time_denies_the_gate_and_names_its_column(
    make_actor: Any, registry: Registry, engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    # An imported benchmark result's measurement time: the gate reads it for its model.
    _tamper(engine, "metric_result", "measured_at", "model_version_id", registry.model_id)
    pipeline = make_actor("pipeline")
    answer, _ = _answered_without_the_value(
        caplog,
        lambda: pipeline.post(
            "/api/v1/gates/production_promotion", json={"subject_id": registry.deployment_id}
        ),
    )
    problem = answer.get_json()
    assert answer.status_code == 500, problem
    assert problem["title"] == "Unreadable stored value"
    assert "column 'measured_at'" in problem["detail"] and "nothing" in problem["detail"]
    # Nothing was decided, so nothing was stored or ledgered as a decision.
    with session_scope(engine) as session:
        assert session.exec(sa.select(sa.func.count()).select_from(PolicyDecision)).one()[0] == 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_unexpected_error_logs_its_stack_without_its_message(
    make_actor: Any, registry: Registry, engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    _tamper(engine, "model_version", "created_at", "id", registry.model_id)
    reader = make_actor("auditor")
    answer, logged = _answered_without_the_value(
        caplog, lambda: reader.get(f"/api/v1/models/{registry.model_id}")
    )
    assert answer.status_code == 500
    assert any("unexpected error handling GET" in line and "File " in line for line in logged)
