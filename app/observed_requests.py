"""Every request observed: a request id, one JSON log line, and its latency in ``/metrics``.

- **Request id.** A caller's ``X-Request-Id`` is kept when it is a plain token (letters,
  digits and ``-._:``, at most 128 characters), so a pipeline can follow its own id
  through Gatehouse's logs; anything else is replaced by a fresh one. The id is echoed in
  the response's ``X-Request-Id`` and carried by every log line written while the request
  runs (errors included), through :class:`RequestContextFilter`.
- **One JSON line per request** (logger ``app.requests``): method, the route's template
  (``/api/v1/runs/<int:run_id>``, never the raw path or the query string), status,
  duration in milliseconds, request id and the actor's username once authenticated.
  Never headers, tokens, cookies, bodies or form values.
- **Latency** into ``app.metrics.REQUEST_SECONDS`` by method, route template and status.

:func:`configure_json_logging` makes the process write every log record as one JSON line
on stderr. The production doors call it (``create_app()`` from the environment, which
gunicorn and every ``gatehouse`` command use); an application built with explicit
settings (tests, the demo's helpers) leaves logging to its caller.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from app.metrics import REQUEST_SECONDS

__all__ = [
    "REQUEST_ID_HEADER",
    "JsonLineFormatter",
    "RequestContextFilter",
    "configure_json_logging",
    "init_app",
]

REQUEST_ID_HEADER = "X-Request-Id"
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: Members a record may carry into its JSON line (set through ``extra=``).
_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "actor")

log = logging.getLogger("app.requests")


def _request_id() -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if _ACCEPTED_ID.match(offered) else uuid.uuid4().hex


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = _request_id()


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # a request that failed before its own start (not ours to time)
        return response
    duration = time.perf_counter() - started
    template = request.url_rule.rule if request.url_rule is not None else None
    principal = g.get("principal")
    REQUEST_SECONDS.labels(
        method=request.method, endpoint=template or "<unmatched>", status=str(response.status_code)
    ).observe(duration)
    log.info(
        "request",
        extra={
            "method": request.method,
            "path": template,
            "status": response.status_code,
            "duration_ms": round(duration * 1000, 3),
            "actor": principal.username if principal is not None else None,
        },
    )
    response.headers[REQUEST_ID_HEADER] = g.request_id
    return response


class RequestContextFilter(logging.Filter):
    """Gives every record written during a request that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add ``request_id`` (None outside a request); never drops a record."""
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and the request fields.

    An exception is written as its type and stack frames, without its message: messages
    of unexpected errors may carry data that must not reach the logs.
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
            line["stack"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(line, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (not when built)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_json_logging(level: int = logging.INFO) -> None:
    """Make this process log JSON lines on stderr (once; the root logger's only handler)."""
    root = logging.getLogger()
    if any(isinstance(handler, _StderrHandler) for handler in root.handlers):
        return
    handler = _StderrHandler()
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(RequestContextFilter())
    root.handlers = [handler]
    root.setLevel(level)
    # The development server's own access lines would repeat each request line, raw path
    # and query string included; its warnings and errors still come through.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    """Observe every request of ``app``."""
    app.before_request(_start)
    app.after_request(_finish)
