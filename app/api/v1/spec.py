"""The OpenAPI document, generated from the views' declarations by spectree.

Request bodies and query strings are validated against pydantic models before a view
runs; a failure becomes a 4xx problem body through :func:`_refuse_invalid` instead of
spectree's default payload. Every operation documents its answers: the success model,
and a :class:`~app.problems.Problem` body (``application/problem+json``) for each error
status it can answer (:func:`problem_statuses`), so a client can be generated from the
document and a fuzzer can check every answer against it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, current_app, request
from pydantic import ValidationError as PydanticValidationError
from spectree import Response as ResponseSpec
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData
from spectree.plugins.flask_plugin import FlaskPlugin

from app.api.v1.errors import MalformedJsonError, RequestValidationError
from app.api.v1.idempotency import document_header
from app.problems import PROBLEM_MEDIA_TYPE, Problem

#: What each error status means, wherever an operation may answer it.
PROBLEM_STATUSES = {
    400: "The body is not valid JSON, or nests too deeply.",
    401: "No valid credentials: a bearer token or a portal session.",
    403: "The caller's role or token scope may not do this, or a rule refuses this caller.",
    404: "Something the request names does not exist.",
    409: "The request conflicts with the current state of what it names.",
    410: "A replayed answer carried a secret shown once, which is not kept for replays.",
    413: "The body or upload is larger than its limit, or an uploaded table is beyond one.",
    415: "The body is not of the media type this operation takes.",
    422: "The request does not match its schema or breaks a rule of the domain.",
    502: "A service this operation depends on failed; nothing was recorded as done.",
    503: "The database did not answer; nothing changed and no gate allows.",
    504: "The work did not finish within its time limit and was stopped.",
}
#: Statuses every operation may answer: credentials, role, schema, database.
_ALWAYS = (401, 403, 422, 503)
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def problem_statuses(
    method: str, rule: str, request_parts: Iterable[str], refusals: Iterable[int] = ()
) -> list[int]:
    """The error statuses an operation documents: those of every operation, 400, 413 and
    415 when it takes a body, 404 when its path names something or it writes (a body may name
    a record), 409 when it writes, and its own ``refusals`` (an upload's 413, a
    dependency's 502)."""
    statuses = set(_ALWAYS) | set(refusals)
    if {"json", "form"} & set(request_parts):
        statuses |= {400, 413, 415}
    if "<" in rule or method in _WRITES:
        statuses.add(404)
    if method in _WRITES:
        statuses.add(409)
    return sorted(statuses)


class AnswersSpec(ResponseSpec):
    """spectree's response declaration, with error bodies documented as
    ``application/problem+json`` (spectree writes ``application/json`` for every model)
    and file answers as binary content of their media type."""

    def __init__(self, *, file_types: Mapping[str, str], **code_models: Any) -> None:
        super().__init__(**code_models)
        self.file_types = dict(file_types)

    def generate_spec(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The OpenAPI ``responses`` object of one operation."""
        responses = super().generate_spec(*args, **kwargs)
        for code, answer in responses.items():
            content = answer.get("content", {})
            if int(code) >= 400 and "application/json" in content:
                answer["content"] = {PROBLEM_MEDIA_TYPE: content["application/json"]}
            if code in self.file_types:
                binary = {"schema": {"type": "string", "format": "binary"}}
                answer["content"] = {self.file_types[code]: binary}
        return responses


def answers(
    declared: dict[int, Any],
    *,
    method: str,
    rule: str,
    request_parts: Iterable[str],
    refusals: Iterable[int],
    file_types: Mapping[int, str],
) -> AnswersSpec:
    """The responses of one operation: ``declared`` success models (status to model; None
    for an answer without a JSON body), ``file_types`` the media type of statuses that
    answer a file, and a problem body for each of its :func:`problem_statuses`."""
    problems = {
        f"HTTP_{code}": (Problem, PROBLEM_STATUSES[code])
        for code in problem_statuses(method, rule, request_parts, refusals)
    }
    return AnswersSpec(
        file_types={str(code): media_type for code, media_type in file_types.items()},
        **problems,
        **{f"HTTP_{code}": model for code, model in declared.items()},
    )


def _describe(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:5]:
        where = (
            ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query")) or "body"
        )
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def invalid_request(error: PydanticValidationError) -> RequestValidationError:
    """The 422 problem of a request that failed its model: each error's place, message
    and type, the first five in the detail."""
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in error.errors()
    ]
    return RequestValidationError(_describe(errors), errors)


def _refuse_invalid(
    _req: Any, _resp: Any, error: Any, _instance: Any, _adapter: Any = None
) -> None:
    if request.data and request.is_json and request.get_json(silent=True) is None:
        raise MalformedJsonError("the request body is not valid JSON")
    if error is not None:
        raise invalid_request(error)


#: Marks an answer built from an instance of the model its status declares.
_BUILT_FROM_MODEL = "__gatehouse_built_from_model__"


def built_from_model(response: Response) -> Response:
    """Mark ``response`` as the JSON dump of an instance of the answer model its status
    declares (``app.api.v1.common.route`` marks it; nothing else may)."""
    setattr(response, _BUILT_FROM_MODEL, True)
    return response


class _AnswerCheckingPlugin(FlaskPlugin):
    """spectree's Flask plugin, which checks each answer against its declared model by
    parsing the body and validating it again, skipping that for an answer
    :func:`built_from_model` outside the tests.

    Such a body was validated when its model instance was built; the second validation
    (about a third of a millisecond for a gate decision, on every call) could only find a
    model whose own JSON does not validate against it, a serializer that drifted from its
    schema. The tests keep checking every such answer (``Settings.testing``), so drift is
    still caught where it is cheap; dicts and other answers are checked everywhere.
    """

    def validate_response(
        self,
        resp: Any,
        resp_model: ResponseSpec | None,
        skip_validation: bool,
        force_resp_serialize: bool,
    ) -> tuple[Any, Any]:
        """The answer as sent, and its validation error (None when it is valid)."""
        if getattr(resp, _BUILT_FROM_MODEL, False) and not current_app.config["GATEHOUSE"].testing:
            return resp, None
        return super().validate_response(resp, resp_model, skip_validation, force_resp_serialize)


class _SpecTree(SpecTree):
    """spectree, able to generate the document more than once in a process.

    spectree moves each model's nested definitions into the document's components and
    deletes them from the model it keeps, so a second document (the next application a
    process builds: each test builds one) lost them and referred to missing components.
    """

    def _generate_spec(self) -> dict[str, Any]:
        kept = copy.deepcopy(self.models)
        try:
            return document_header(super()._generate_spec())
        finally:
            self.models = kept


spec = _SpecTree(
    "flask",
    backend=_AnswerCheckingPlugin,
    title="Gatehouse API",
    version="v1",
    path="api/v1/docs",
    annotations=True,
    # Document only the API views decorated with this instance, not the portal.
    mode="strict",
    before=_refuse_invalid,
    validation_error_status=422,
    validation_error_model=Problem,
    security_schemes=[
        SecurityScheme(
            name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer")
        ),
    ],
    security={"bearer": []},
    # spectree's own pages load Swagger UI from a CDN; ours serves a packaged copy instead.
    page_templates={},
)
