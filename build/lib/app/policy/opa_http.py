"""The few OPA REST calls Gatehouse makes, with its bearer token and no retries.

Gatehouse talks to OPA through exactly these requests, which are also what the
shipped authorization policy (``opa/system/authz.rego``) lets Gatehouse's identity do:
list the modules (``GET /v1/policies``), load and delete its own modules
(``/v1/policies/gatehouse/...``), load its data (``PUT /v1/data/gatehouse``) and ask
questions (``POST /v1/query``). Every failure raises an ``OpaServerError`` whose text
names the request and OPA's own message; the token never appears in it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import requests

from app.policy.errors import OpaAccessError, OpaServerError

__all__ = ["OpaHttpClient"]


def _base_url(url: str) -> str:
    """``scheme://host:port`` of an OPA URL, or an OpaServerError naming the bad URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OpaServerError(f"OPA URL {url!r} is not http(s)://host:port")
    port = parts.port or (443 if parts.scheme == "https" else 8181)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def _opa_message(response: requests.Response) -> str:
    """OPA's error message from a response body, first line, at most 200 characters."""
    try:
        body = response.json()
        message = str(body.get("message", body)) if isinstance(body, dict) else str(body)
    except ValueError:
        message = response.text
    return (message.strip().splitlines() or [response.reason or "no message"])[0][:200]


class OpaHttpClient:
    """One HTTP session to one OPA server, presenting Gatehouse's token when it has one."""

    def __init__(self, *, url: str, token: str | None, timeout_s: float) -> None:
        self.url = _base_url(url)
        self._has_token = bool(token)
        self._timeout_s = timeout_s
        self._session = requests.Session()
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request; raise OpaServerError / OpaAccessError on any failure."""
        try:
            response = self._session.request(
                method, self.url + path, timeout=self._timeout_s, **kwargs
            )
        except requests.RequestException as error:
            raise OpaServerError(
                f"OPA at {self.url} did not answer {method} {path}: {type(error).__name__}: {error}"
            ) from error
        if response.status_code in (401, 403):
            credentials = (
                "Gatehouse's token was not accepted"
                if self._has_token
                else "Gatehouse has no OPA token (set GATEHOUSE_OPA_TOKEN or GATEHOUSE_OPA_TOKEN_FILE)"
            )
            raise OpaAccessError(
                f"OPA refused {method} {path} ({response.status_code}): {credentials}"
            )
        if response.status_code >= 400:
            raise OpaServerError(
                f"OPA answered {response.status_code} to {method} {path}: {_opa_message(response)}"
            )
        return response

    def policies(self) -> dict[str, str]:
        """Every module the server holds: policy id -> source text, exactly as loaded."""
        body = self._request("GET", "/v1/policies").json()
        return {module["id"]: module["raw"] for module in body.get("result", [])}

    def put_policy(self, policy_id: str, source: str) -> None:
        """Create or replace module ``policy_id`` (OPA compiles it on arrival)."""
        self._request(
            "PUT",
            f"/v1/policies/{quote(policy_id)}",
            data=source.encode("utf-8"),
            headers={"Content-Type": "text/plain"},
        )

    def delete_policy(self, policy_id: str) -> None:
        """Remove module ``policy_id``."""
        self._request("DELETE", f"/v1/policies/{quote(policy_id)}")

    def put_data(self, member: str, value: Any) -> None:
        """Replace the top-level data document ``member``."""
        self._request("PUT", f"/v1/data/{quote(member)}", json=value)

    def query(self, query: str, document: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Evaluate an ad-hoc query; the bindings of its first result, or None when undefined."""
        payload: dict[str, Any] = {"query": query}
        if document is not None:
            payload["input"] = document
        results = self._request("POST", "/v1/query", json=payload).json().get("result") or []
        first = results[0] if results else None
        return first if isinstance(first, dict) else None

    def close(self) -> None:
        """Close the HTTP session."""
        self._session.close()
