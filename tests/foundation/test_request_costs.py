"""What every API request pays before and after its view, counted rather than timed: the
token check is one statement (token, account and roles joined), a refused token reaches no
view, an answer the production path sends without spectree's second validation is the
answer the tests' validating path sends, byte for byte, and a model answer is written once,
as the model's own JSON. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask, request, request_finished, session
from flask.sessions import NullSession

from app.api.v1.common import dump, public
from app.db import unit_of_work
from app.models.datasets import Dataset, DatasetPublic
from tests.foundation.helpers import make_lineage


@contextmanager
def counted(engine: sa.Engine) -> Iterator[list[str]]:
    """The SQL statements sent on ``engine`` while the block runs, transaction starts
    left out (SQLite's are statements, PostgreSQL's driver sends its own)."""
    statements: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _reads_the_token_holder(statement: str) -> bool:
    return all(table in statement for table in ("FROM api_token", "user_account", "role"))


def test_an_authenticated_read_costs_the_token_check_and_the_view_s_own_statement(
    app: Flask, engine: sa.Engine, make_actor: Any
) -> None:
    actor = make_actor("ml_engineer")
    deployment = make_lineage(actor)["deployment"]
    with counted(engine) as statements:
        response = actor.get(f"/api/v1/deployments/{deployment}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(statements) == 2, statements
    assert _reads_the_token_holder(statements[0]), statements[0]
    assert "FROM deployment" in statements[1], statements[1]


def test_a_refused_token_costs_one_statement_and_reaches_no_view(
    app: Flask, engine: sa.Engine, make_actor: Any
) -> None:
    actor = make_actor("ml_engineer")
    make_lineage(actor)
    with counted(engine) as statements:
        response = actor.client.get(
            "/api/v1/deployments/1", headers={"Authorization": "Bearer gth_not-a-token"}
        )
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert len(statements) == 1 and _reads_the_token_holder(statements[0]), statements


def _sent(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(name, value) for name, value in response.headers if name != "X-Request-Id"]
    return response.status_code, headers, response.get_data()


def test_an_answer_built_from_its_model_is_sent_alike_with_and_without_the_second_check(
    app: Flask, make_actor: Any
) -> None:
    actor = make_actor("ml_engineer")
    ids = make_lineage(actor)
    paths = [f"/api/v1/deployments/{ids['deployment']}", f"/api/v1/runs/{ids['run']}"]
    checked = [_sent(actor.get(path)) for path in paths]
    tests_settings = app.config["GATEHOUSE"]
    app.config["GATEHOUSE"] = tests_settings.with_overrides(testing=False)
    try:
        production = [_sent(actor.get(path)) for path in paths]
    finally:
        app.config["GATEHOUSE"] = tests_settings
    assert production == checked
    assert all(status == 200 for status, _, _ in production)


def test_an_answer_model_is_written_once_as_its_own_json(app: Flask, make_actor: Any) -> None:
    """A model answer is the model's JSON, written by pydantic in one pass: the same value
    as its Python dump (text beyond ASCII included), in the model's member order."""
    actor = make_actor("ml_engineer")
    created = actor.post(
        "/api/v1/datasets",
        json={
            "name": "notes",
            "owner": actor.username,
            "domain": "healthcare",
            "purpose": "Modèle 模型 ✓",
        },
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    read = actor.get(f"/api/v1/datasets/{created.get_json()['id']}")
    with app.app_context(), unit_of_work() as session:
        row = session.get(Dataset, created.get_json()["id"])
        expected = dump(public(DatasetPublic, row))
    for response in (created, read):
        assert response.mimetype == "application/json"
        assert response.get_json() == expected
        assert list(response.get_json()) == list(DatasetPublic.model_fields)
    assert "Modèle 模型 ✓".encode() in read.get_data()


def test_an_api_request_leaves_the_portal_session_unopened(app: Flask, login: Any) -> None:
    """The API authenticates bearer tokens only: its requests get Flask's null session, so
    a portal cookie sent along is never read (and never re-sent); the portal still reads it."""
    portal, actor = login("ml_engineer")
    sessions: dict[str, bool] = {}

    def note(_sender: Flask, response: Any, **_: Any) -> None:
        sessions[request.path] = isinstance(session, NullSession)

    with request_finished.connected_to(note, app):
        refused = portal.get("/api/v1/deployments")
        answered = portal.get(
            "/api/v1/deployments", headers={"Authorization": f"Bearer {actor.token}"}
        )
        page = portal.get("/")
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert answered.status_code == 200, answered.get_data(as_text=True)
    assert "Set-Cookie" not in refused.headers and "Set-Cookie" not in answered.headers
    assert page.status_code == 200
    assert sessions == {"/api/v1/deployments": True, "/": False}
