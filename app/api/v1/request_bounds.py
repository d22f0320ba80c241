"""What the API accepts before a request model sees it: the declared content type, JSON of
bounded size and depth, whole numbers the database can store, text without control
characters; then the JSON body is validated strictly (:mod:`app.api.v1.strict_requests`).

Checked ahead of spectree's validation, so a form posted to a JSON route is a 415, a
body of 100,000 ``[`` or with a ``NaN`` is a 400 instead of a RecursionError or a null,
and an id of 2^64 is a 422 naming where it stands instead of an OverflowError from the
driver: every such request gets a problem body and changes nothing. Path ids are bounded by
:class:`DatabaseIntegerConverter`, which replaces Flask's ``int`` converter app-wide (the
portal's URLs too): a larger id cannot name a row, so the URL matches nothing (404).

The body is parsed once, by Flask's ``get_json`` with :class:`StandardJsonProvider`;
spectree and the view read the value it cached.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from app.api.v1.errors import (
    MalformedFormError,
    MalformedJsonError,
    RequestValidationError,
    UnsupportedMediaTypeError,
)
from app.api.v1.strict_requests import (
    bound_form_size,
    bound_json_size,
    check_text,
    validate_strictly,
)
from app.models.base import LARGEST_ROW_ID

#: The largest whole number a request may carry (a signed 64-bit integer): larger ones
#: overflow the database driver before the database sees them.
LARGEST_ID = 2**63 - 1
#: Deeper JSON than any Gatehouse request model nests is refused before it is walked.
MAX_JSON_DEPTH = 32
#: The media type each request part needs.
MEDIA_TYPES = {
    "json": ("application/json",),
    "form": ("multipart/form-data", "application/x-www-form-urlencoded"),
}


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:...>`` for ids: a larger one than a row can have (2^31 - 1) names nothing (404).

    Not a converter ``max``: Werkzeug then takes the URL for another method's rule and
    answers 405 with a wrong ``Allow`` (a DELETE of ``/audit-schedules/2^40``, say).
    """

    def to_python(self, value: str) -> Any:
        """The id, or 404 when no row can have it."""
        number = super().to_python(value)
        if number > LARGEST_ROW_ID:
            raise NotFound(f"no record has an id beyond {LARGEST_ROW_ID}")
        return number


class StandardJsonProvider(DefaultJSONProvider):
    """Flask's JSON, reading standard JSON only: NaN and Infinity are refused (JSON has
    neither, and they would be stored and sent back as null)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s``; a ValueError names a non-standard constant."""
        return json.loads(s, parse_constant=_refuse_constant, **kwargs)


class BoundedRequest(Request):
    """A request whose unreadable JSON body is a 400 problem saying what is wrong."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Flask's answer for a body of another media type; ours for one that does not parse."""
        if e is None:
            return super().on_json_loading_failed(e)
        raise MalformedJsonError(f"the request body is not valid JSON: {e}") from None


def init_app(app: Flask) -> None:
    """Bound path ids and read standard JSON; call before any blueprint is registered."""
    app.url_map.converters["int"] = DatabaseIntegerConverter
    app.json = StandardJsonProvider(app)
    app.request_class = BoundedRequest


def bounded(parts: Mapping[str, Any], view: Callable[..., Any]) -> Callable[..., Any]:
    """``view`` preceded by the checks for the request ``parts`` it declares (each part's
    name, ``json``, ``query`` or ``form``, to its request model)."""
    declared = dict(parts)

    @functools.wraps(view)
    def checked(**kwargs: Any) -> Any:
        for part in declared:
            _check_media_type(part)
        if "json" in declared:
            bound_json_size()
            _check_values(_json_body(), "body")
            validate_strictly(declared["json"])
        if "query" in declared:
            _check_query()
        if "form" in declared:
            bound_form_size(declared["form"])
            _check_part_names()
            for name, text in request.form.items(multi=True):
                check_text(text, f"form.{name}")
        return view(**kwargs)

    return checked


def _check_part_names() -> None:
    """Refuse a multipart part whose name the form parser could not read (it is then None):
    such a part belongs to no field, and later steps (the idempotency fingerprint sorts the
    parts by name) must not have to guess what it was."""
    parts = [*request.form.keys(), *request.files.keys()]
    if None in parts:
        raise MalformedFormError(
            "a part of the multipart body has no readable name "
            "(its Content-Disposition header could not be read)"
        )


def _check_media_type(part: str) -> None:
    accepted = MEDIA_TYPES.get(part)
    if accepted and request.mimetype not in accepted:
        sent = request.mimetype or "no Content-Type"
        raise UnsupportedMediaTypeError(
            f"this operation takes {' or '.join(accepted)}; the request sent {sent}"
        )


def _json_body() -> Any:
    """The parsed body, cached for spectree and the view (None when there is none)."""
    if not request.get_data(cache=True):
        return None
    try:
        return request.get_json()
    except RecursionError:
        raise MalformedJsonError("the JSON body nests too deeply") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_values(body: Any, where: str) -> None:
    """Refuse nesting beyond the bound, whole numbers beyond :data:`LARGEST_ID`, numbers
    too large to be finite (``1e999``, which Python reads as infinity) and text (member
    names too) with a control character."""
    stack: list[tuple[Any, str, int]] = [(body, where, 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise MalformedJsonError(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > LARGEST_ID:
            raise _out_of_range(path)
        if isinstance(value, float) and not math.isfinite(value):
            raise _not_finite(path)
        if isinstance(value, str):
            check_text(value, path)
        if isinstance(value, dict):
            for key in value:
                check_text(key, f"{path}.{key}")
            stack.extend((member, f"{path}.{key}", depth + 1) for key, member in value.items())
        elif isinstance(value, list):
            stack.extend((member, f"{path}[{i}]", depth + 1) for i, member in enumerate(value))


def _check_query() -> None:
    for name, text in request.args.items(multi=True):
        check_text(text, f"query.{name}")
        digits = text.lstrip("+-")
        if digits.isdigit() and int(digits) > LARGEST_ID:
            raise _out_of_range(f"query.{name}")


def _out_of_range(where: str) -> RequestValidationError:
    message = f"a whole number beyond the database's range (at most {LARGEST_ID})"
    return RequestValidationError(
        f"{where}: {message}", [{"loc": where.split("."), "msg": message, "type": "range"}]
    )


def _not_finite(where: str) -> RequestValidationError:
    message = "a number too large to be finite; JSON numbers here must be finite"
    return RequestValidationError(
        f"{where}: {message}", [{"loc": where.split("."), "msg": message, "type": "finite_number"}]
    )
