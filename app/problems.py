"""Errors for humans and for machines, kept apart.

The API answers every error with one ``application/problem+json`` body (RFC 9457: type,
title, status, detail) and never a traceback; the portal renders an HTML error page.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError, DBAPIError
from werkzeug.exceptions import HTTPException

from app.errors import GatehouseError, unreadable_by_the_driver

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://gatehouse.dev/problems/"
#: The media type of every API error body.
PROBLEM_MEDIA_TYPE = "application/problem+json"
#: Where the JSON API's paths begin.
API_PREFIX = "/api/"


class Problem(BaseModel):
    """An API error body (RFC 9457), the OpenAPI schema of every 4xx and 5xx answer.

    Extension members are allowed, as the RFC says: a refusal adds what a client needs
    to act on it (the decision behind a refused launch, the states a move may take).
    """

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="A short, stable summary of the kind of problem.")
    status: int = Field(ge=400, le=599, description="The HTTP status, repeated.")
    detail: str = Field(description="What went wrong with this request.")
    errors: list[dict[str, Any]] | None = Field(
        default=None,
        description="Each failure of an invalid request or file: where (loc or location) and why.",
    )
    current: str | None = Field(default=None, description="The state the object is in.")
    requested: str | None = Field(default=None, description="The state asked for.")
    allowed: list[str] | None = Field(
        default=None, description="The states the object may move to from here."
    )
    allow: bool | None = Field(
        default=None, description="Always false where present: nothing was allowed."
    )
    outcome: str | None = Field(
        default=None, description="indeterminate: the answer could not be decided."
    )


def is_api_request() -> bool:
    """True for requests to the JSON API, which get problem bodies."""
    return request.path.startswith(API_PREFIX)


def problem_response(status: int, title: str, detail: str, **extra: Any) -> Response:
    """A problem+json response."""
    slug = title.lower().replace(" ", "-")
    body = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_MEDIA_TYPE
    return response


def _render(status: int, title: str, detail: str, **extra: Any) -> Any:
    if is_api_request():
        return problem_response(status, title, detail, **extra)
    return render_template("error.html", status=status, title=title, detail=detail), status


def problem_for(error: GatehouseError, **extra: Any) -> Response:
    """The problem+json answer to ``error``: the one way a refusal becomes a problem body,
    whether it was raised (the error handler) or answered after a commit (a view that
    keeps what it recorded before refusing)."""
    for name in ("current", "requested", "allowed", "errors"):
        if hasattr(error, name):
            extra[name] = getattr(error, name)
    response = problem_response(error.status, error.title, str(error), **extra)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="gatehouse"'
    return response


def _on_gatehouse_error(error: GatehouseError) -> Any:
    if error.status >= 500:
        log.error("gatehouse error: %s", type(error).__name__)
    if is_api_request():
        return problem_for(error)
    return _render(error.status, error.title, str(error))


def _on_http_error(error: HTTPException) -> Any:
    if error.code is not None and 300 <= error.code < 400:
        return error
    answer = _render(error.code or 500, error.name, error.description or error.name)
    # Keep what the exception says in headers, e.g. a 405's ``Allow`` (RFC 9110 15.5.6).
    headers = {name: value for name, value in error.get_headers() if name != "Content-Type"}
    if isinstance(answer, Response):
        answer.headers.update(headers)
        return answer
    body, status = answer
    return body, status, headers


def _log_database_error(level: int, what: str, error: DBAPIError) -> None:
    # The driver's error type only: its message may quote the request's values.
    log.log(
        level,
        "%s handling %s %s: %s",
        what,
        request.method,
        request.path,
        type(error.orig).__name__,
    )


def _on_database_unavailable(error: DBAPIError) -> Any:
    # Fail closed: without the database no decision can be read or stored, so nothing is allowed.
    _log_database_error(logging.ERROR, "database unavailable", error)
    return _render(
        503,
        "Database unavailable",
        "the database did not answer; nothing was changed and no gate allows until it is back",
        allow=False,
        outcome="indeterminate",
    )


def _on_unstorable_value(error: DataError) -> Any:
    # The database answered, and refused a value of this request (a number beyond an
    # INTEGER column, a NUL character in text): the request's fault, not an outage, and
    # the unit of work rolled back, so nothing was stored.
    if error.statement is None:
        # Raised while a result was read, not while a statement ran: the driver cannot
        # read a stored value, so the database was changed outside Gatehouse.
        return _on_gatehouse_error(unreadable_by_the_driver())
    _log_database_error(logging.WARNING, "database refused a value", error)
    return _render(
        422,
        "Value beyond the database",
        "the database cannot store or compare a value of this request (a number beyond "
        "its range, or a NUL character in text); nothing was changed",
    )


def _on_unexpected(error: Exception) -> Any:
    # The type and the stack only: the messages of unexpected errors (and of the errors
    # they were raised from) may quote stored or submitted values we must not log.
    log.error(
        "unexpected error handling %s %s: %s\n%s",
        request.method,
        request.path,
        type(error).__name__,
        "".join(traceback.format_tb(error.__traceback__)).rstrip(),
    )
    return _render(
        500, "Internal error", "the server failed to handle this request; it has been logged"
    )


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(GatehouseError, _on_gatehouse_error)
    app.register_error_handler(HTTPException, _on_http_error)
    app.register_error_handler(DataError, _on_unstorable_value)
    app.register_error_handler(DBAPIError, _on_database_unavailable)
    app.register_error_handler(Exception, _on_unexpected)
