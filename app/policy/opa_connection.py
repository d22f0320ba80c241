"""Gatehouse's connection to the OPA server: opa-python-client, configured for the lock.

``opa_client.OpaClient`` is how Gatehouse talks to OPA. It is created here with
Gatehouse's bearer token, its timeout and no retries (a retried write or query would
only hide a server that is failing, and push a decision past its deadline). Gatehouse
uses exactly the requests the shipped authorization policy (``opa/system/authz.rego``)
lets its identity make: list the modules (``GET /v1/policies``), load and delete its own
modules (``/v1/policies/gatehouse/...``), load its data (``PUT /v1/data/gatehouse``) and
ask questions (``POST /v1/query``).

Two things the library does not do, added on its own ``requests`` session rather than
beside it (there is one HTTP stack, the library's):

- **Errors that say what failed.** The library raises a different exception per method,
  and some lose the status code (a refused ``PUT`` becomes a ``RegoParseError``). The
  session's transport adapter is replaced by one with the library's own retry settings
  that turns every failure into an ``OpaServerError`` (or ``OpaAccessError`` for 401/403)
  naming the request and OPA's own message, before the library sees the response. The
  token never appears in these messages.
- **Every module's text in one call.** ``get_policies_list`` returns only ids, and
  ``get_policy`` one module per request; the content check needs all of them as loaded
  (the ``raw`` field of ``GET /v1/policies``), so :meth:`GatehouseOpaClient.module_sources`
  makes that one call through the library's session.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

import requests
from opa_client import OpaClient
from requests.adapters import HTTPAdapter

from app.policy.errors import OpaAccessError, OpaServerError

__all__ = ["GatehouseOpaClient"]


def _opa_message(response: requests.Response) -> str:
    """OPA's error message from a response body, first line, at most 200 characters."""
    try:
        body = response.json()
        message = str(body.get("message", body)) if isinstance(body, dict) else str(body)
    except ValueError:
        message = response.text
    return (message.strip().splitlines() or [response.reason or "no message"])[0][:200]


class _CheckedAdapter(HTTPAdapter):
    """The library's transport, raising Gatehouse's errors for every failed request."""

    def __init__(self, *, base_url: str, has_token: bool, max_retries: Any) -> None:
        super().__init__(max_retries=max_retries)
        self._base_url = base_url
        self._has_token = has_token

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        """Send one request; raise OpaServerError / OpaAccessError on any failure."""
        what = f"{request.method} {urlsplit(request.url or '').path}"
        try:
            response = super().send(request, *args, **kwargs)
        except requests.RequestException as error:
            raise OpaServerError(
                f"OPA at {self._base_url} did not answer {what}: {type(error).__name__}: {error}"
            ) from error
        if response.status_code < 400:
            return response
        message = _opa_message(response)  # reads the body, so the connection is reused
        if response.status_code in (401, 403):
            credentials = (
                "Gatehouse's token was not accepted"
                if self._has_token
                else "Gatehouse has no OPA token (set GATEHOUSE_OPA_TOKEN or GATEHOUSE_OPA_TOKEN_FILE)"
            )
            raise OpaAccessError(f"OPA refused {what} ({response.status_code}): {credentials}")
        raise OpaServerError(f"OPA answered {response.status_code} to {what}: {message}")


class GatehouseOpaClient(OpaClient):
    """An ``OpaClient`` for one OPA URL, with Gatehouse's token, timeout and errors."""

    def __init__(self, *, url: str, token: str | None, timeout_s: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OpaServerError(f"OPA URL {url!r} is not http(s)://host:port")
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 8181)
        # ssl=True makes the library verify certificates (REQUESTS_CA_BUNDLE for a private CA).
        super().__init__(
            host=parts.hostname, port=port, ssl=https, token=token, timeout=timeout_s, retries=0
        )
        self.url = f"{parts.scheme}://{parts.hostname}:{port}"
        session: requests.Session = self._session
        adapter = _CheckedAdapter(
            base_url=self.url,
            has_token=bool(token),
            # the Retry the library mounted (retries=0: none), kept as it is
            max_retries=cast(HTTPAdapter, session.get_adapter(self.url)).max_retries,
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)

    def module_sources(self) -> dict[str, str]:
        """Every module the server holds: policy id -> source text, exactly as loaded.

        Made through the library's session: ``get_policies_list`` gives only the ids.
        """
        response = self._session.get(f"{self.root_url}/policies", timeout=self.timeout)
        return {module["id"]: module["raw"] for module in response.json().get("result", [])}

    def query(self, query: str, document: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Evaluate an ad-hoc query; the bindings of its first result, or None when undefined."""
        results = self.ad_hoc_query(query, input_data=document).get("result") or []
        first = results[0] if results else None
        return first if isinstance(first, dict) else None
