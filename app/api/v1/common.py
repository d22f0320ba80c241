"""What every API resource shares: response models, pages and list queries.

A response is built from the resource's ``XPublic`` model (``app.models``), never from
the table row: :func:`public` reads only the fields the public model declares, so a
column that must not leave (a webhook's secret) cannot reach a body. The same models
are the OpenAPI response schemas (``resp=responses(...)`` on each view).
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from flask import Response, jsonify
from pydantic import BaseModel, ConfigDict, Field, create_model
from spectree import Response as ResponseSpec
from sqlmodel import SQLModel

from app.db import unit_of_work
from app.registry.records import MAX_PAGE_SIZE, Page, list_records

P = TypeVar("P", bound=BaseModel)


class ListQuery(BaseModel):
    """Keyset pagination: pass the previous page's ``next_after`` as ``after``."""

    model_config = ConfigDict(extra="forbid")

    after: int | None = Field(default=None, ge=0)
    limit: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)


def public(model: type[P], record: SQLModel, **extra: Any) -> P:
    """``record`` as ``model`` (plus ``extra`` fields the model declares), nothing more."""
    values = {
        name: getattr(record, name)
        for name in model.model_fields
        if name not in extra and hasattr(record, name)
    }
    return model.model_validate({**values, **extra})


def body(instance: BaseModel) -> dict[str, Any]:
    """The JSON form of a response model."""
    return instance.model_dump(mode="json")


@cache
def page_of(model: type[BaseModel]) -> type[BaseModel]:
    """The response model of a page of ``model`` (one class per model, for OpenAPI)."""
    return create_model(
        f"{model.__name__}Page",
        __doc__=f"One page of {model.__name__}; pass next_after as after for the next.",
        items=(list[model], ...),  # type: ignore[valid-type]
        next_after=(int | None, None),
    )


def page_body(page: Page[Any], model: type[BaseModel]) -> dict[str, Any]:
    """The JSON form of a page, each item as ``model``."""
    return {
        "items": [body(public(model, item)) for item in page.items],
        "next_after": page.next_after,
    }


def responses(
    ok: type[BaseModel] | None = None, *, created: type[BaseModel] | None = None
) -> ResponseSpec:
    """The declared success responses of a view (200 and/or 201), for spectree."""
    codes: dict[str, Any] = {}
    if ok is not None:
        codes["HTTP_200"] = ok
    if created is not None:
        codes["HTTP_201"] = created
    return ResponseSpec(**codes)


def created(content: dict[str, Any]) -> Response:
    """A 201 response with ``content``."""
    response = jsonify(content)
    response.status_code = 201
    return response


def list_response(
    table: type[SQLModel], public_model: type[BaseModel], query: ListQuery, **fixed_filters: Any
) -> Response:
    """One page of ``table`` filtered by the query's fields (and ``fixed_filters``)."""
    filters = {**query.model_dump(exclude={"after", "limit"}), **fixed_filters}
    with unit_of_work() as session:
        page = list_records(
            session=session, model=table, filters=filters, after=query.after, limit=query.limit
        )
        return jsonify(page_body(page, public_model))
