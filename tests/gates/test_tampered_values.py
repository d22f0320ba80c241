"""A value changed in the database behind Gatehouse's back: the gate allows nothing and
says which column it could not read, and so does every page and API route that reads it
through the ORM; no answer and no log line quotes the value (it may be personal data).
Real databases, values written with SQL as an attacker with database access would.

PostgreSQL refuses a date that is no date or JSON that does not parse when it is written
(its columns are typed), so those tampered values exist only on SQLite and their tests run
there alone; a string outside a vocabulary is a plain ``VARCHAR`` on both, so that test
runs on both."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import session_scope
from app.models.governance import PolicyDecision
from app.registry import model_versions
from tests.approvals.conftest import Registry, build_registry

SECRET = "jane.doe@example.org 1970-01-01"


@pytest.fixture
def registry(engine: sa.Engine) -> Registry:
    with session_scope(engine) as session:
        return build_registry(session)


def _tamper(engine: sa.Engine, table: str, column: str, where: str, row_id: int) -> None:
    with engine.begin() as connection:
        changed = connection.execute(
            sa.text(f"UPDATE {table} SET {column} = :value WHERE {where} = :row_id"),
            {"value": SECRET, "row_id": row_id},
        )
    assert changed.rowcount > 0


def _answered_without_the_value(
    caplog: pytest.LogCaptureFixture, call: Callable[[], Any]
) -> tuple[Any, list[str]]:
    """The answer to ``call`` and every log line it wrote, none of them quoting the value."""
    with caplog.at_level(logging.INFO):
        answer = call()
    logged = [record.getMessage() for record in caplog.records]
    assert SECRET not in answer.get_data(as_text=True)
    assert all(SECRET not in line for line in logged), logged
    return answer, logged


def _assert_unreadable(answer: Any, column: str) -> None:
    """``answer`` is the API's problem for an unreadable value of ``column``."""
    problem = answer.get_json()
    assert answer.status_code == 500, problem
    assert answer.content_type == "application/problem+json"
    assert problem["title"] == "Unreadable stored value"
    assert f"column '{column}'" in problem["detail"] and "nothing" in problem["detail"]


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
    _assert_unreadable(answer, "metric_result.measured_at")
    # Nothing was decided, so nothing was stored or ledgered as a decision.
    with session_scope(engine) as session:
        assert session.exec(sa.select(sa.func.count()).select_from(PolicyDecision)).one()[0] == 0


@pytest.mark.parametrize(
    "column",
    [
        pytest.param("created_at", id="timestamp"),
        pytest.param("developers", id="json"),
    ],
)
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_route_reading_through_the_orm_names_the_unreadable_column(
    column: str,
    make_actor: Any,
    registry: Registry,
    engine: sa.Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _tamper(engine, "model_version", column, "id", registry.model_id)
    reader = make_actor("auditor")
    answer, logged = _answered_without_the_value(
        caplog, lambda: reader.get(f"/api/v1/models/{registry.model_id}")
    )
    _assert_unreadable(answer, f"model_version.{column}")
    assert not any("unexpected error" in line for line in logged), logged


def test_a_string_outside_a_vocabulary_is_named_by_api_and_portal(
    make_actor: Any,
    login: Any,
    registry: Registry,
    engine: sa.Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _tamper(engine, "model_version", "platform", "id", registry.model_id)
    reader = make_actor("auditor")
    answer, _ = _answered_without_the_value(
        caplog, lambda: reader.get(f"/api/v1/models/{registry.model_id}")
    )
    _assert_unreadable(answer, "model_version.platform")

    portal, _ = login("auditor")
    page, _ = _answered_without_the_value(
        caplog, lambda: portal.get(f"/models/{registry.model_id}")
    )
    assert page.status_code == 500
    assert page.content_type.startswith("text/html")
    text = page.get_data(as_text=True)
    assert "Unreadable stored value" in text and "model_version.platform" in text


def test_an_unexpected_error_logs_its_stack_without_its_message(
    make_actor: Any,
    registry: Registry,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing(**_: Any) -> Any:
        raise ValueError(f"cannot use {SECRET!r}")

    monkeypatch.setattr(model_versions, "card_of", failing)
    reader = make_actor("auditor")
    answer, logged = _answered_without_the_value(
        caplog, lambda: reader.get(f"/api/v1/models/{registry.model_id}")
    )
    assert answer.status_code == 500
    assert answer.get_json()["title"] == "Internal error"
    assert any("unexpected error handling GET" in line and "File " in line for line in logged)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_timestamp_no_python_datetime_holds_is_the_databases_fault_not_the_requests(
    make_actor: Any, registry: Registry, engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL takes 'infinity' in a timestamp column; the driver cannot read it back.
    That is a stored value nobody can read (500), never the request's fault (422)."""
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE metric_result SET measured_at = 'infinity' WHERE model_version_id = :id"
            ),
            {"id": registry.model_id},
        )
    pipeline = make_actor("pipeline")
    with caplog.at_level(logging.INFO):
        answer = pipeline.post(
            "/api/v1/gates/production_promotion", json={"subject_id": registry.deployment_id}
        )
    problem = answer.get_json()
    assert answer.status_code == 500, problem
    assert problem["title"] == "Unreadable stored value"
    assert "changed outside Gatehouse" in problem["detail"] and "nothing" in problem["detail"]
    assert all("infinity" not in record.getMessage() for record in caplog.records)
    with session_scope(engine) as session:
        assert session.exec(sa.select(sa.func.count()).select_from(PolicyDecision)).one()[0] == 0
    # Read through the ORM rather than a prepared statement: the same answer.
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE deployment SET created_at = '-infinity' WHERE id = :id"),
            {"id": registry.deployment_id},
        )
    answer = pipeline.get(f"/api/v1/deployments/{registry.deployment_id}")
    assert answer.status_code == 500, answer.get_json()
    assert answer.get_json()["title"] == "Unreadable stored value"
