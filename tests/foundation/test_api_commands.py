"""A declared API command refuses, when it is registered, a keyword its service does not take.

``command()`` hands the path's ids, the body's fields and what it reads from the running
application (``app_keywords``) to the service by name; a name the service does not take
would otherwise fail only when the route is first called.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Blueprint
from pydantic import BaseModel
from sqlmodel import Session

from app.api.v1.resources import command
from app.auth.roles import REGISTRARS


class Reason(BaseModel):
    """A body with one field."""

    reason: str = ""


class Moved(BaseModel):
    """An answer."""

    id: int


def _move(*, session: Session, thing_id: int, actor: str, reason: str = "") -> Any:
    """A service that takes no engine."""
    raise AssertionError("never called: registration fails first")


@pytest.mark.parametrize(
    ("rule", "options", "named"),
    [
        ("/things/<int:thing_id>/move", {"app_keywords": {"engine": object}}, "engine"),
        ("/things/<int:other_id>/move", {}, "other_id"),
    ],
)
def test_a_keyword_the_service_does_not_take_fails_at_registration(
    rule: str, options: dict[str, Any], named: str
) -> None:
    bp = Blueprint("api_fixture_things", __name__, url_prefix="/api/v1")
    with pytest.raises(TypeError, match=f"_move takes no {named}"):
        command(
            bp,
            "POST",
            rule,
            REGISTRARS,
            _move,
            body=Reason,
            answer=Moved,
            summary="Move.",
            **options,
        )
