"""The OpenAPI document, generated from the views' declarations by spectree.

Request bodies and query strings are validated against pydantic models before a view
runs; a failure becomes a 4xx problem body through :func:`_refuse_invalid` instead of
spectree's default payload.
"""

from __future__ import annotations

from typing import Any

from flask import request
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from app.api.v1.errors import MalformedJsonError, RequestValidationError


def _describe(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:5]:
        where = (
            ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query")) or "body"
        )
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def _refuse_invalid(
    _req: Any, _resp: Any, error: Any, _instance: Any, _adapter: Any = None
) -> None:
    if request.data and request.is_json and request.get_json(silent=True) is None:
        raise MalformedJsonError("the request body is not valid JSON")
    if error is not None:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        raise RequestValidationError(_describe(errors), errors)


spec = SpecTree(
    "flask",
    title="Gatehouse API",
    version="v1",
    path="api/v1/docs",
    annotations=True,
    # Document only the API views decorated with this instance, not the portal.
    mode="strict",
    before=_refuse_invalid,
    validation_error_status=422,
    security_schemes=[
        SecurityScheme(
            name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer")
        ),
    ],
    security={"bearer": []},
    # spectree's own pages load Swagger UI from a CDN; ours serves a packaged copy instead.
    page_templates={},
)
