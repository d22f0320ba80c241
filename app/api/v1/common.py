"""What every API resource shares: one way to declare a route, serialise records and pages.

Every view is registered with :func:`route`, which stacks what each route needs in the
same order: the URL rule, the roles and token scope (deny by default), the request
validation spectree reads from the view's ``json``/``query``/``form`` annotations, one
unit of work handed to the view, and the JSON answer.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, SQLModel

from app.api.v1.spec import spec
from app.auth.guard import allow
from app.auth.roles import READERS
from app.db import unit_of_work
from app.registry.records import MAX_PAGE_SIZE, Page, list_records

#: What a view answers: a JSON body, or a finished response (a problem, a 204, a file).
Answer = dict[str, Any] | Response
View = Callable[..., Answer]
_REQUEST_PARTS = ("json", "query", "form")


class ListQuery(BaseModel):
    """Keyset pagination: pass the previous page's ``next_after`` as ``after``."""

    model_config = ConfigDict(extra="forbid")

    after: int | None = Field(default=None, ge=0)
    limit: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)


def route(
    bp: Blueprint,
    method: str,
    rule: str,
    roles: Iterable[str],
    *,
    scope: str,
    status: int = 200,
) -> Callable[[View], View]:
    """Register ``view`` on ``bp`` for ``method rule``, callable by ``roles`` (tokens need
    ``scope``), documented under the blueprint's resource tag.

    The view is called with a session as its first argument and commits when it returns,
    also when it returns a finished response: a refusal answered as a problem body keeps
    what was recorded before it. A dict it returns is sent as JSON with ``status``.
    """
    tag = bp.name.removeprefix("api_")
    frozen_roles = tuple(roles)

    def register(view: View) -> View:
        @functools.wraps(view)
        def answer(**kwargs: Any) -> Response:
            with unit_of_work() as session:
                body = view(session, **kwargs)
                if isinstance(body, Response):
                    return body
                response = jsonify(body)
                response.status_code = status
                return response

        # spectree reads the request models from these annotations, resolved here in the
        # view's module (the wrapper's own module does not import them).
        hints = typing.get_type_hints(view)
        answer.__annotations__ = {name: hints[name] for name in _REQUEST_PARTS if name in hints}
        validated = spec.validate(tags=[tag])(answer)
        bp.add_url_rule(
            rule, view_func=allow(*frozen_roles, scope=scope)(validated), methods=[method]
        )
        return view

    return register


def to_public(record: SQLModel, **extra: Any) -> dict[str, Any]:
    """The JSON form of a record (secrets never live on these tables)."""
    return {**record.model_dump(mode="json"), **extra}


def page_body(
    page: Page[Any], public: Callable[[Any], dict[str, Any]] = to_public
) -> dict[str, Any]:
    """The JSON form of a page, each item through ``public``."""
    return {"items": [public(item) for item in page.items], "next_after": page.next_after}


def list_page(
    session: Session,
    model: type[SQLModel],
    query: ListQuery,
    public: Callable[[Any], dict[str, Any]] = to_public,
    **fixed_filters: Any,
) -> dict[str, Any]:
    """One page of ``model`` filtered by the query's fields (and ``fixed_filters``)."""
    filters = {**query.model_dump(exclude={"after", "limit"}), **fixed_filters}
    page = list_records(
        session=session, model=model, filters=filters, after=query.after, limit=query.limit
    )
    return page_body(page, public)


def list_route(
    bp: Blueprint,
    rule: str,
    model: type[SQLModel],
    query_model: type[ListQuery],
    *,
    name: str,
    summary: str,
) -> None:
    """Register ``GET rule`` for every reader: one page of ``model`` filtered by
    ``query_model``'s fields; ``name`` is the endpoint, ``summary`` its documentation."""

    def view(session: Session, query: ListQuery) -> Answer:
        return list_page(session, model, query)

    view.__name__ = view.__qualname__ = name
    view.__doc__ = summary
    view.__annotations__ = {"session": Session, "query": query_model, "return": Answer}
    route(bp, "GET", rule, READERS, scope="read")(view)
