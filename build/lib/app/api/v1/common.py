"""What every API resource shares: serialising records, pages and list queries."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import SQLModel

from app.db import unit_of_work
from app.registry.records import MAX_PAGE_SIZE, Page, list_records


class ListQuery(BaseModel):
    """Keyset pagination: pass the previous page's ``next_after`` as ``after``."""

    model_config = ConfigDict(extra="forbid")

    after: int | None = Field(default=None, ge=0)
    limit: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)


def to_public(record: SQLModel, **extra: Any) -> dict[str, Any]:
    """The JSON form of a record (secrets never live on these tables)."""
    return {**record.model_dump(mode="json"), **extra}


def page_body(page: Page[Any]) -> dict[str, Any]:
    """The JSON form of a page."""
    return {"items": [to_public(item) for item in page.items], "next_after": page.next_after}


def created(body: dict[str, Any]) -> Response:
    """A 201 response with ``body``."""
    response = jsonify(body)
    response.status_code = 201
    return response


def list_response(model: type[SQLModel], query: ListQuery, **fixed_filters: Any) -> Response:
    """One page of ``model`` filtered by the query's fields (and ``fixed_filters``)."""
    filters = {**query.model_dump(exclude={"after", "limit"}), **fixed_filters}
    with unit_of_work() as session:
        page = list_records(
            session=session, model=model, filters=filters, after=query.after, limit=query.limit
        )
        return jsonify(page_body(page))
