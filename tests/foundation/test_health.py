"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from app import create_app
from app.migrations import downgrade


def test_health_and_ready(client: Any) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    assert ready.get_json()["policy_engine"] == "embedded: ready"


def test_not_ready_when_migrations_are_behind(settings: Any, database_url: str) -> None:
    downgrade(database_url, "base")
    response = create_app(settings).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["migration"] is None


def test_not_ready_when_database_is_unreachable(settings: Any) -> None:
    broken = settings.with_overrides(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = create_app(broken).test_client().get("/readyz")
    assert response.status_code == 503 and "unreachable" in response.get_json()["database"]
