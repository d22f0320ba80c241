"""CONTRIBUTING's "add an API route" recipe, followed once with a test-only resource.

A resource is one blueprint in ``RESOURCE_BLUEPRINTS``; each route is declared with
``route(...)``: its roles and scope, and its schemas read from the view's annotations. With that one registration the route
is served behind the guard (other roles get a problem body), validated, and listed in
the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Blueprint
from pydantic import BaseModel, Field
from sqlmodel import Session

from app import create_app
from app.api import v1
from app.api.v1.common import Answer, route
from app.auth.roles import DATA_STEWARDS
from app.config import Settings

bp = Blueprint("api_fixture_notes", __name__, url_prefix="/api/v1/fixture-notes")


class NoteCreate(BaseModel):
    """A note to echo back."""

    text: str = Field(min_length=1, max_length=100)


@route(bp, "POST", "", DATA_STEWARDS, scope="write", status=201)
def create_note(_session: Session, json: NoteCreate) -> Answer:
    """Echo the note (a fixture resource)."""
    return {"text": json.text}


def test_one_blueprint_in_the_list_serves_a_guarded_validated_documented_route(
    settings: Settings, make_actor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(v1, "RESOURCE_BLUEPRINTS", [*v1.RESOURCE_BLUEPRINTS, bp])
    app = create_app(settings)
    client = app.test_client()
    officer = make_actor("compliance_officer")
    engineer = make_actor("ml_engineer")

    def post(actor: Any, body: dict[str, Any]) -> Any:
        return client.post(
            "/api/v1/fixture-notes",
            json=body,
            headers={"Authorization": f"Bearer {actor.token}"},
        )

    made = post(officer, {"text": "hello"})
    assert made.status_code == 201 and made.get_json() == {"text": "hello"}
    refused = post(engineer, {"text": "hello"})
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    invalid = post(officer, {"text": ""})
    assert invalid.status_code == 422
    anonymous = client.post("/api/v1/fixture-notes", json={"text": "hello"})
    assert anonymous.status_code == 401
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/fixture-notes" in document["paths"]
