"""What every API resource shares: one way to declare a route, its answer, and pages.

Every view is registered with :func:`route`, which stacks what each route needs in the
same order: the URL rule, the roles and token scope (deny by default), the request
validation spectree reads from the view's ``json``/``query``/``form`` annotations, the
declared answer model, one unit of work handed to the view (for a POST sent with an
``Idempotency-Key``, at most once per key: ``app.api.v1.idempotency``), and the JSON answer.

An answer is built from the resource's ``XPublic`` model (``app.models``), never from the
table row: :func:`public` reads only the fields the public model declares, so a column
that must not leave (a webhook's secret) cannot reach a body. The same models are the
OpenAPI response schemas (``answer=`` on :func:`route`). An answer built from an instance
of its declared model was validated when the instance was built; spectree checks every
other answer (a dict, a page) against its model, and in the tests every answer
(``app.api.v1.spec``).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlmodel import Session, SQLModel

from app.api.v1.idempotency import answer_once
from app.api.v1.request_bounds import bounded
from app.api.v1.spec import answers, built_from_model, spec
from app.auth.guard import allow
from app.auth.roles import READERS
from app.registry.records import MAX_PAGE_SIZE, Page, list_records

#: What a view answers: its answer model, a JSON body, or a finished response (a
#: problem, a 204, a file, an answer with another status: :func:`answered`).
Answer = BaseModel | dict[str, Any] | Response
View = Callable[..., Answer]
_REQUEST_PARTS = ("json", "query", "form")
P = TypeVar("P", bound=BaseModel)


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
    scope: str | None = None,
    status: int = 200,
    answer: type[BaseModel] | None = None,
    other_answers: Mapping[int, type[BaseModel] | None] | None = None,
    refusals: Iterable[int] = (),
    file_type: str | None = None,
) -> Callable[[View], View]:
    """Register ``view`` on ``bp`` for ``method rule``, callable by ``roles``, documented
    under the blueprint's resource tag. A token needs ``scope``: by default the read scope
    for a GET and the write scope for any other method (every other method changes or
    records something, so a read-only token never reaches it).

    The view is called with a session as its first argument and commits when it returns,
    also when it returns a finished response: a refusal answered as a problem body keeps
    what was recorded before it. A model or dict it returns is sent as JSON with
    ``status``; ``answer`` is the model of that body (and ``other_answers`` those of other
    statuses the view answers with :func:`answered`), the OpenAPI response schemas.
    Error statuses are documented with a problem body: those every operation of its kind
    may answer (:func:`~app.api.v1.spec.problem_statuses`) and its own ``refusals``; a
    view that answers a file (a download) names its media type in ``file_type``.
    """
    tag = bp.name.removeprefix("api_")
    scope = scope or ("read" if method == "GET" else "write")
    frozen_roles = tuple(roles)
    declared = {status: answer, **(other_answers or {})}

    def register(view: View) -> View:
        @functools.wraps(view)
        def respond(**kwargs: Any) -> Response:
            def produce(session: Session) -> Response:
                body = view(session, **kwargs)
                if isinstance(body, Response):
                    return body
                if isinstance(body, BaseModel):
                    response = answered(body, status)
                else:
                    response = jsonify(body)
                    response.status_code = status
                if type(body) is declared[status]:
                    # Validated when the instance was built: spectree need not check it again.
                    built_from_model(response)
                return response

            return answer_once(method, produce)

        # spectree reads the request models from these annotations, resolved here in the
        # view's module (the wrapper's own module does not import them).
        hints = typing.get_type_hints(view)
        respond.__annotations__ = {name: hints[name] for name in _REQUEST_PARTS if name in hints}
        documented = answers(
            declared,
            method=method,
            rule=rule,
            request_parts=respond.__annotations__,
            refusals=refusals,
            file_types={status: file_type} if file_type else {},
        )
        validated = spec.validate(tags=[tag], resp=documented)(respond)
        checked = bounded(respond.__annotations__, validated)
        bp.add_url_rule(
            rule, view_func=allow(*frozen_roles, scope=scope)(checked), methods=[method]
        )
        return view

    return register


def public(model: type[P], record: SQLModel, **extra: Any) -> P:
    """``record`` as ``model`` (plus ``extra`` fields the model declares), nothing more."""
    values = {
        name: getattr(record, name)
        for name in model.model_fields
        if name not in extra and hasattr(record, name)
    }
    return model.model_validate({**values, **extra})


def dump(instance: BaseModel) -> dict[str, Any]:
    """The JSON form of an answer model."""
    return instance.model_dump(mode="json")


def answered(instance: BaseModel, status: int) -> Response:
    """``instance`` sent with ``status`` (declare its model in ``other_answers``).

    pydantic writes the JSON text from the instance in one pass. Dumping it to Python
    values for Flask's encoder to walk again cost about four times as much for a gate
    decision (15 KB); the text is the same JSON, its members in the model's order.
    """
    return current_app.response_class(
        instance.model_dump_json(), status=status, mimetype="application/json"
    )


@cache
def page_of(model: type[BaseModel]) -> type[BaseModel]:
    """The answer model of a page of ``model`` (one class per model, for OpenAPI)."""
    return create_model(
        f"{model.__name__}Page",
        __doc__=f"One page of {model.__name__}; pass next_after as after for the next.",
        items=(list[model], ...),  # type: ignore[valid-type]
        next_after=(int | None, None),
    )


def page_body(
    page: Page[Any], model: type[BaseModel], item_extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON form of a page, each item as ``model`` (with ``item_extra`` fields)."""
    return {
        "items": [dump(public(model, item, **(item_extra or {}))) for item in page.items],
        "next_after": page.next_after,
    }


def list_page(
    session: Session,
    table: type[SQLModel],
    model: type[BaseModel],
    query: ListQuery,
    item_extra: Mapping[str, Any] | None = None,
    **fixed_filters: Any,
) -> dict[str, Any]:
    """One page of ``table`` as ``model``, filtered by the query's fields (and
    ``fixed_filters``); ``item_extra`` sets fields every item shares."""
    filters = {**query.model_dump(exclude={"after", "limit"}), **fixed_filters}
    page = list_records(
        session=session, model=table, filters=filters, after=query.after, limit=query.limit
    )
    return page_body(page, model, item_extra)


def list_route(
    bp: Blueprint,
    rule: str,
    table: type[SQLModel],
    query_model: type[ListQuery],
    *,
    model: type[BaseModel],
    name: str,
    summary: str,
) -> None:
    """Register ``GET rule`` for every reader: one page of ``table`` as ``model`` filtered
    by ``query_model``'s fields; ``name`` is the endpoint, ``summary`` its documentation."""

    def view(session: Session, query: ListQuery) -> Answer:
        return list_page(session, table, model, query)

    view.__name__ = view.__qualname__ = name
    view.__doc__ = summary
    view.__annotations__ = {"session": Session, "query": query_model, "return": Answer}
    route(bp, "GET", rule, READERS, answer=page_of(model))(view)
