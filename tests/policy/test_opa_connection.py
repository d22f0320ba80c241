"""Gatehouse's opa-python-client: errors name the request and OPA's message, never the
token, and a failing server is asked once (no retries)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.policy.errors import OpaAccessError, OpaServerError
from app.policy.opa_connection import GatehouseOpaClient
from tests.policy.conftest import OPA_TOKEN, OpaServer


def test_a_module_opa_rejects_names_the_request_and_opas_message(opa_server: OpaServer) -> None:
    client = GatehouseOpaClient(url=opa_server.url, token=OPA_TOKEN, timeout_s=30)
    try:
        with pytest.raises(OpaServerError) as raised:
            client.update_policy_from_string(
                "package gatehouse_broken\n\nx := \n", "gatehouse/broken.rego", rego_compat=False
            )
        message = str(raised.value)
        assert message.startswith("OPA answered 400 to PUT /v1/policies/gatehouse/broken.rego: ")
        assert "error" in message.lower() and OPA_TOKEN not in message
        assert "gatehouse/broken.rego" not in client.module_sources()
        sources = {"gatehouse/ok.rego": "package gatehouse_ok\n\nx := 1\n"}
        client.update_policy_from_string(sources["gatehouse/ok.rego"], "gatehouse/ok.rego")
        assert client.module_sources()["gatehouse/ok.rego"] == sources["gatehouse/ok.rego"]
        assert client.query("x := data.gatehouse_ok.x") == {"x": 1}
        client.delete_policy("gatehouse/ok.rego")
    finally:
        client.close_connection()


def test_a_wrong_token_is_refused_without_being_shown(opa_server: OpaServer) -> None:
    token = "wrong-token-that-must-not-leak"
    client = GatehouseOpaClient(url=opa_server.url, token=token, timeout_s=30)
    try:
        with pytest.raises(OpaAccessError) as raised:
            client.update_or_create_data({"x": 1}, "gatehouse")
        assert str(raised.value) == (
            "OPA refused PUT /v1/data/gatehouse (401): Gatehouse's token was not accepted"
        )
    finally:
        client.close_connection()


class _FailingOpa(BaseHTTPRequestHandler):
    """A server that answers every request 502, counting them."""

    requests_seen: list[str] = []

    def _fail(self) -> None:
        self.requests_seen.append(f"{self.command} {self.path}")
        body = b'{"code": "internal_error", "message": "upstream went away"}'
        self.send_response(502)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_DELETE = do_POST = _fail

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def failing_opa() -> Iterator[tuple[str, list[str]]]:
    _FailingOpa.requests_seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FailingOpa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _FailingOpa.requests_seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_failing_server_is_asked_once(failing_opa: tuple[str, list[str]]) -> None:
    # The library's default retries a 502 on an idempotent request; Gatehouse does not.
    url, seen = failing_opa
    client = GatehouseOpaClient(url=url, token=OPA_TOKEN, timeout_s=30)
    try:
        with pytest.raises(OpaServerError, match=r"^OPA answered 502 to DELETE /v1/policies/"):
            client.delete_policy("gatehouse/x.rego")
        with pytest.raises(OpaServerError, match="upstream went away"):
            client.module_sources()
    finally:
        client.close_connection()
    assert seen == ["DELETE /v1/policies/gatehouse/x.rego", "GET /v1/policies"]


def test_an_unreachable_server_and_a_bad_url_are_clear_errors() -> None:
    with pytest.raises(OpaServerError, match="is not http"):
        GatehouseOpaClient(url="ftp://opa", token=None, timeout_s=1)
    client = GatehouseOpaClient(url="http://127.0.0.1:9", token=OPA_TOKEN, timeout_s=5)
    try:
        with pytest.raises(OpaServerError) as raised:
            client.query("x := 1")
        assert str(raised.value).startswith(
            "OPA at http://127.0.0.1:9 did not answer POST /v1/query: ConnectionError"
        )
        assert OPA_TOKEN not in str(raised.value)
    finally:
        client.close_connection()
