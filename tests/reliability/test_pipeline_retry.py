"""The pipeline commands resend their POST with the same ``Idempotency-Key``.

A real application is served on loopback behind a small proxy that forwards the first
promotion request and then drops the connection without an answer, as a crash or a
network cut after the commit would. ``gatehouse promote`` must send the same key again,
get the first answer replayed, and leave one approval request.
"""

from __future__ import annotations

import http.server
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import select

from app.cli import cli
from app.cli.pipeline import EXIT_DONE
from app.db import session_scope
from app.models.governance import ApprovalRequest
from tests.approvals.conftest import Registry

_FORWARDED = ("Authorization", "Content-Type", "Accept", "Idempotency-Key")


@contextmanager
def _cutting_proxy(upstream: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A proxy to ``upstream`` that drops the answer to the first POST; its URL and a log
    of the POSTs it forwarded (key, status, replayed)."""
    posts: list[dict[str, Any]] = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = urllib.request.Request(
                upstream + self.path,
                method=self.command,
                data=self.rfile.read(length) if self.command == "POST" else None,
                headers={h: self.headers[h] for h in _FORWARDED if self.headers.get(h)},
            )
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    status, headers, body = response.status, response.headers, response.read()
            except urllib.error.HTTPError as error:
                status, headers, body = error.code, error.headers, error.read()
            if self.command == "POST":
                posts.append(
                    {
                        "key": self.headers.get("Idempotency-Key"),
                        "status": status,
                        "replayed": headers.get("Idempotent-Replayed"),
                    }
                )
                if len(posts) == 1:
                    self.close_connection = True  # committed upstream, never answered here
                    return
            self.send_response(status)
            self.send_header("Content-Type", headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _forward

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", posts
    finally:
        server.shutdown()
        thread.join(10)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_promote_resends_its_key_and_opens_one_request(
    live_url: str, registry: Registry, people: dict[str, Any], engine: Any
) -> None:
    with _cutting_proxy(live_url) as (url, posts):
        result = CliRunner().invoke(
            cli,
            ["promote", str(registry.model_id), "--to", "production"],
            env={"GATEHOUSE_URL": url, "GATEHOUSE_TOKEN": people["pipeline"].token},
            catch_exceptions=False,
        )
    assert result.exit_code == EXIT_DONE, result.output
    assert "pending (not waiting)" in result.output
    first, retry = posts
    assert first["key"] and retry["key"] == first["key"]
    assert (first["status"], first["replayed"]) == (201, None)
    assert (retry["status"], retry["replayed"]) == (201, "true")
    with session_scope(engine) as session:
        assert len(session.exec(select(ApprovalRequest)).all()) == 1
