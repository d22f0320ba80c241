"""The ``Idempotency-Key`` request header on the API's POST operations.

A client that sends the header may retry the POST (after a timeout, a lost connection,
a crash of the server) without doing it twice:

- the first request runs, and its answer is stored in the transaction of its effect
  (``app.idempotency``); a crash before the commit leaves neither;
- the same key again with the same request (query string and body, a multipart file by
  its content) answers the stored answer, status and body, with ``Idempotent-Replayed:
  true``; nothing runs again;
- the same key with another request is refused (422), since it cannot be what the key
  promised;
- the same key while the first request still runs in this process is refused (409,
  retry later). Across processes the stored answer decides: the request that commits
  second is rolled back, effect and all, and replays the first one's answer.

An answer that carries a secret shown once (a new webhook's signing secret) is never
stored: the view answers an :class:`AnswerShownOnce`, and its key keeps a 410 problem
saying the request took effect and how to get a new secret, so a retry neither runs
again nor receives the secret from the database.

Keys are per caller (a token or a portal session's user), method and path, and expire
after a day (``idempotency-expiry`` job). A raised error is not stored: its transaction
rolled back, so a retry runs again. :func:`answer_once` is called by
``app.api.v1.common.route`` for every POST, so no view handles keys itself.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, request
from sqlmodel import Session

from app import idempotency
from app.api.v1.errors import (
    IdempotencyKeyInFlightError,
    IdempotencyKeyReusedError,
    InvalidIdempotencyKeyError,
)
from app.auth.guard import current_principal
from app.db import read_only_unit_of_work, unit_of_work
from app.models.idempotency import MAX_KEY_LENGTH

__all__ = ["HEADER", "REPLAYED_HEADER", "AnswerShownOnce", "answer_once", "document_header"]

HEADER = "Idempotency-Key"
#: Set on an answer that is a replay of a stored one.
REPLAYED_HEADER = "Idempotent-Replayed"
_CHUNK = 1024 * 1024

#: Keys of requests running in this process: (principal, method, path, key).
_running: set[tuple[str, str, str, str]] = set()
_running_lock = threading.Lock()


class AnswerShownOnce(Response):
    """An answer carrying a secret that must be seen once and never stored: a retry with
    its key is answered ``replay`` (a problem naming what the first request did)."""

    def __init__(self, answer: Response, *, replay: Response) -> None:
        super().__init__(answer.get_data(), status=answer.status_code, mimetype=answer.mimetype)
        self.replay = replay


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(0x21 <= ord(c) <= 0x7E for c in key)


def _file_digest(stream: Any) -> bytes:
    """SHA-256 of an uploaded part, read through and rewound for the view."""
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.digest()


def _request_parts() -> Iterator[bytes]:
    """What the request asked, for its fingerprint: query string, then body."""
    yield request.query_string
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        # The form was parsed before the view (the body stream is consumed).
        for name, value in sorted(request.form.items(multi=True)):
            yield f"{name}={value}".encode()
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            yield f"{name}:{upload.filename}".encode()
            yield _file_digest(upload.stream)
    else:
        yield request.get_data(cache=True)


def _claim(method: str) -> idempotency.Claim | None:
    """The keyed request being answered, or None when it carries no key (or is no POST)."""
    key = request.headers.get(HEADER)
    if method != "POST" or key is None:
        return None
    if not _valid_key(key):
        raise InvalidIdempotencyKeyError(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (a UUID, say)"
        )
    principal = current_principal()
    return idempotency.Claim(
        principal=f"{principal.via}:{principal.username}"[:120],
        method=method,
        path=request.path,
        key=key,
        fingerprint=idempotency.fingerprint(_request_parts()),
    )


@contextmanager
def _running_once(claim: idempotency.Claim) -> Iterator[None]:
    """Mark ``claim`` as running in this process; refuse a second one meanwhile."""
    marker = (claim.principal, claim.method, claim.path, claim.key)
    with _running_lock:
        if marker in _running:
            raise IdempotencyKeyInFlightError(
                f"a request with this {HEADER} is still running; retry when it has answered"
            )
        _running.add(marker)
    try:
        yield
    finally:
        with _running_lock:
            _running.discard(marker)


def _replay(claim: idempotency.Claim, stored: idempotency.Answer) -> Response:
    if stored.fingerprint != claim.fingerprint:
        raise IdempotencyKeyReusedError(
            f"this {HEADER} was used for a different request to {claim.path}; "
            "use a new key for a new request"
        )
    response = Response(stored.body, status=stored.status, mimetype=stored.media_type)
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _stored_answer(claim: idempotency.Claim) -> idempotency.Answer | None:
    with read_only_unit_of_work() as session:
        return idempotency.find(session=session, claim=claim)


def answer_once(method: str, produce: Callable[[Session], Response]) -> Response:
    """``produce(session)`` in one unit of work, at most once per idempotency key.

    Without a key (or for a method other than POST) this is just the unit of work.
    """
    claim = _claim(method)
    if claim is None:
        with unit_of_work() as session:
            return produce(session)
    with _running_once(claim):
        stored = _stored_answer(claim)
        if stored is not None:
            return _replay(claim, stored)
        with unit_of_work() as session:
            response = produce(session)
            if response.status_code >= 500 or response.direct_passthrough:
                return response
            kept = response.replay if isinstance(response, AnswerShownOnce) else response
            answer = idempotency.Answer(
                fingerprint=claim.fingerprint,
                status=kept.status_code,
                media_type=kept.mimetype or "application/json",
                body=kept.get_data(as_text=True),
            )
            if idempotency.remember(session=session, claim=claim, answer=answer):
                return response
        # Another process committed the same key first: this attempt was rolled back.
        stored = _stored_answer(claim)
        if stored is None:
            raise IdempotencyKeyInFlightError(
                f"a request with this {HEADER} is still running; retry when it has answered"
            )
        return _replay(claim, stored)


def document_header(document: dict[str, Any]) -> dict[str, Any]:
    """Add the header parameter to every POST operation of the OpenAPI ``document``."""
    parameter = {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": (
            "Makes the POST safe to retry: the first answer is stored with its effect and "
            f"replayed (with `{REPLAYED_HEADER}: true`) for the same key and request for "
            "24 hours; the same key with another request is a 422 problem, and while the "
            "first request still runs a 409 problem. An answer carrying a secret shown once "
            "(a new webhook's) is not kept: its replay is a 410 problem."
        ),
        # Visible ASCII only: a key is an opaque token (a UUID, say), never text to show.
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_KEY_LENGTH,
            "pattern": "^[!-~]+$",
        },
    }
    for operations in document.get("paths", {}).values():
        operation = operations.get("post")
        if operation is None:
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == HEADER and p.get("in") == "header" for p in parameters):
            parameters.append(parameter)
    return document
