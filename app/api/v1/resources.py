"""One registration for an API resource's routine routes: list, get one, create, update,
and the commands that hand a request to a service.

Most entities answer these routes the same way: a filtered page of the table, one record
by id, and a create and an update that hand the body to the entity's service with the
caller as actor. Written out per resource, those views were the same few lines again and
again; a :class:`Resource` declares them from the table, the answer model and the service
functions (whose ``data`` annotation is the request model), so a resource module writes
out only its unusual routes. The OpenAPI document is the same as for the written-out
views: the path variable, the request and answer models, the statuses, and the summary.

A :func:`command` is the other routine route: a service acting on what the path names,
given the path's ids and the body's fields as its keywords, with the caller as actor (and
what it needs of the running application, such as the policy engine); a resource's
:meth:`Resource.command` answers with the record as its other routes do.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint
from pydantic import BaseModel
from sqlmodel import Session, SQLModel

from app.api.v1.common import Answer, ListQuery, list_route, public, route
from app.auth.guard import current_principal
from app.auth.roles import READERS
from app.registry.records import get_record

#: A service that creates or updates a record: keyword-only ``session``, ``data`` (the
#: request model), ``actor``, and for an update the record's id under its path variable.
Service = Callable[..., SQLModel]


@dataclass(frozen=True)
class Resource:
    """The routine routes of one table under ``rule`` of ``bp``, one record at
    ``rule/<int:key>``; each method registers one route with ``summary`` as its
    documentation, under an endpoint named after the key (``run_id``: ``list_runs``,
    ``get_run``, ``create_run``, ``update_run``)."""

    bp: Blueprint
    table: type[SQLModel]
    #: The path variable naming one record, also the update service's keyword (``run_id``).
    key: str
    #: The answer of get, create and update.
    answer: type[BaseModel]
    #: Who may create and update (nobody for a resource only read through the API).
    writers: Iterable[str] = ()
    #: Who may list and get.
    readers: Iterable[str] = READERS
    #: The collection's rule under the blueprint's prefix.
    rule: str = ""
    #: The answer of one record, when it carries more than the record's own fields.
    body: Callable[[Session, Any], BaseModel] | None = None

    def listing(self, query: type[ListQuery], model: type[BaseModel], summary: str) -> None:
        """``GET rule``: one page of the table as ``model``, filtered by ``query``."""
        name = f"list_{self._noun}s"
        list_route(self.bp, self.rule, self.table, query, model=model, name=name, summary=summary)

    def get(self, summary: str) -> None:
        """``GET rule/<key>``: one record."""

        def view(session: Session, **path: int) -> Answer:
            record = get_record(session=session, model=self.table, record_id=path[self.key])
            return self._answer(session, record)

        self._register(view, "GET", self._one, self.readers, summary)

    def create(self, service: Service, summary: str) -> None:
        """``POST rule``: ``service`` creates a record from the body; 201 with it."""

        def view(session: Session, json: BaseModel) -> Answer:
            actor = current_principal().username
            return self._answer(session, service(session=session, data=json, actor=actor))

        self._register(view, "POST", self.rule, self.writers, summary, json=service)

    def update(self, service: Service, summary: str) -> None:
        """``PATCH rule/<key>``: ``service`` changes the record from the body."""

        def view(session: Session, json: BaseModel, **path: int) -> Answer:
            actor = current_principal().username
            return self._answer(session, service(session=session, data=json, actor=actor, **path))

        self._register(view, "PATCH", self._one, self.writers, summary, json=service)

    def command(
        self, method: str, action: str, service: Callable[..., Any], summary: str, **options: Any
    ) -> None:
        """``method rule/<key>/action`` for the writers: a :func:`command` on one record
        (``options`` are that function's: ``name``, ``body``, ``app_keywords``,
        ``refusals``) whose answer is the record the service returns, as ``get`` answers it."""
        command(
            self.bp,
            method,
            f"{self._one}/{action}",
            self.writers,
            service,
            answer=self.answer,
            shown_as=self._answer,
            summary=summary,
            **options,
        )

    @property
    def _noun(self) -> str:
        return self.key.removesuffix("_id")

    @property
    def _one(self) -> str:
        return f"{self.rule}/<int:{self.key}>"

    def _answer(self, session: Session, record: SQLModel) -> BaseModel:
        return self.body(session, record) if self.body else public(self.answer, record)

    def _register(
        self,
        view: Callable[..., Answer],
        method: str,
        rule: str,
        roles: Iterable[str],
        summary: str,
        *,
        json: Service | None = None,
    ) -> None:
        """Register ``view`` as the endpoint ``<method's verb>_<noun>``; with ``json`` its
        body is validated against the ``data`` model that service takes."""
        verb = {"GET": "get", "POST": "create", "PATCH": "update"}[method]
        view.__name__ = view.__qualname__ = f"{verb}_{self._noun}"
        view.__doc__ = summary
        view.__annotations__ = {"session": Session, "return": Answer}
        if json is not None:
            view.__annotations__["json"] = typing.get_type_hints(json)["data"]
        status = 201 if method == "POST" else 200
        route(self.bp, method, rule, roles, status=status, answer=self.answer)(view)


def command(
    bp: Blueprint,
    method: str,
    rule: str,
    roles: Iterable[str],
    service: Callable[..., Any],
    *,
    answer: type[BaseModel],
    summary: str,
    body: type[BaseModel] | None = None,
    status: int = 200,
    name: str | None = None,
    shown_as: Callable[[Session, Any], Answer] | None = None,
    app_keywords: Mapping[str, Callable[[], Any]] | None = None,
    refusals: Iterable[int] = (),
) -> None:
    """Register ``method rule`` for ``roles``: ``service`` is called with the path's
    variables and the fields of ``body`` as its keywords and the caller as ``actor``, and
    what it returns is answered as ``answer`` (or as ``shown_as`` makes it of the session
    and that); a service that takes ``data`` gets the body whole, as the model it
    annotates. ``app_keywords`` name what else it takes from the running application, each
    read per call (``{"engine": current_policy_engine}``). The endpoint is ``name`` (by
    default the service's name), documented with ``summary`` and its own ``refusals``.

    The keywords are checked against the service's signature here, so a field the service
    does not take fails when the application starts, not when the route is first called.
    """
    takes_data = "data" in inspect.signature(service).parameters
    request_model = typing.get_type_hints(service)["data"] if takes_data else body
    fields = () if takes_data or body is None else tuple(body.model_fields)
    path = tuple(re.findall(r"<(?:\w+:)?(\w+)>", rule))
    from_app = dict(app_keywords or {})
    unknown = set(fields + path + tuple(from_app)) - set(inspect.signature(service).parameters)
    if unknown:
        raise TypeError(f"{service.__name__} takes no {', '.join(sorted(unknown))}")

    def view(session: Session, json: BaseModel | None = None, **ids: int) -> Answer:
        given = {field: getattr(json, field) for field in fields}
        if takes_data:
            given["data"] = json
        given.update({keyword: read() for keyword, read in from_app.items()})
        actor = current_principal().username
        result = service(session=session, actor=actor, **ids, **given)
        return shown_as(session, result) if shown_as else public(answer, result)

    view.__name__ = view.__qualname__ = name or service.__name__
    view.__doc__ = summary
    view.__annotations__ = {"session": Session, "return": Answer}
    if request_model is not None:
        view.__annotations__["json"] = request_model
    route(bp, method, rule, roles, status=status, answer=answer, refusals=refusals)(view)
