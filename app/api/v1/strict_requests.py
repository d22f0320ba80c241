"""Request bodies read strictly: each JSON value of the type its field declares, text
without control characters, a body no larger than a request model needs.

pydantic's default (lax) mode converts what it can: ``0.0`` becomes ``False`` for a
boolean, ``false`` becomes ``0`` for an integer, ``"12"`` becomes 12. A pipeline sending
the wrong type has a bug, and the converted value is a decision it did not make, so every
JSON body is validated against its request model in pydantic's strict JSON mode, where a
field takes only the JSON type it declares (a string still stands for a date, a timestamp
or a vocabulary member: JSON has no other way to write them). The models themselves stay
lax for the portal's forms and the CLI, which read text and convert it on purpose.

Text anywhere in a request (body values and member names, form fields, query values)
carries no control character other than tab, line feed and carriage return, and no lone
surrogate: PostgreSQL refuses a NUL that SQLite would store, and neither belongs in a
name or a reason, so both databases get the same 422 naming the field.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import current_app, request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from app.api.v1.errors import BodyTooLargeError, RequestValidationError
from app.api.v1.spec import invalid_request

#: C0 and C1 control characters except tab, line feed and carriage return; DEL; and the
#: surrogate halves a JSON ``\\ud800`` escape can produce, which no encoding can store.
FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def bound_json_size() -> None:
    """Refuse a JSON body beyond ``max_json_bytes`` (413) before reading it."""
    limit = current_app.config["GATEHOUSE"].max_json_bytes
    bound_body_size(limit, "a JSON body (GATEHOUSE_MAX_JSON_BYTES)")


def bound_form_size(model: type[BaseModel]) -> None:
    """Refuse a form body beyond the ``max_body_bytes`` its model declares, if it does,
    before the form is read (413); others are bounded by the upload limit."""
    limit = getattr(model, "max_body_bytes", None)
    if limit is not None:
        bound_body_size(limit, "this operation's upload")


def bound_body_size(limit: int, what: str) -> None:
    """Refuse a body declared larger than ``limit`` (413); one sent without a length
    stops being read at the bound."""
    sent = request.content_length
    if sent is not None and sent > limit:
        raise BodyTooLargeError(f"the body has {sent:,} bytes; {what} takes at most {limit:,}")
    request.max_content_length = limit


def validate_strictly(model: type[BaseModel]) -> None:
    """Validate the JSON body against ``model`` without converting types (422 otherwise).

    An empty body is validated as ``{}``, as spectree does after this check.
    """
    try:
        _strict_validator(model).model_validate_json(
            request.get_data(cache=True) or b"{}", strict=True
        )
    except PydanticValidationError as error:
        raise invalid_request(error) from None


@cache
def _strict_validator(model: type[BaseModel]) -> type[BaseModel]:
    """``model``, or for a model with its own ``__init__`` a twin without it.

    pydantic hands a model that defines ``__init__`` (every SQLModel) the parsed values to
    validate itself, and SQLModel's ``__init__`` validates them laxly: ``strict=True`` would
    be ignored. The twin (same fields, validators and name, pydantic's own ``__init__``) is
    validated by pydantic directly, strictly; it only judges, the view gets ``model``.
    """
    if not model.__pydantic_custom_init__:
        return model
    namespace = {
        "__init__": BaseModel.__init__,
        "__module__": model.__module__,
        "__qualname__": model.__qualname__,
        "__doc__": model.__doc__,
    }
    metaclass: Any = type(model)
    twin: type[BaseModel] = metaclass(model.__name__, (model,), namespace)
    return twin


def check_text(text: str, where: str) -> None:
    """Refuse ``text`` found at ``where`` (``body.name``) when it holds a forbidden character."""
    found = FORBIDDEN_CHARACTERS.search(text)
    if found is None:
        return
    message = (
        f"contains the control character U+{ord(found.group()):04X} at position "
        f"{found.start()}; text may hold no control character but tab and line breaks"
    )
    raise RequestValidationError(
        f"{where}: {message}",
        [{"loc": where.split("."), "msg": message, "type": "control_character"}],
    )
