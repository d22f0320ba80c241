"""The OPA server engine: the real ``opa run --server``, through opa-python-client.

Gatehouse loads the bundle into the server itself through OPA's REST API, so the
server needs no files of its own (``opa run --server --addr 127.0.0.1:8181`` is
enough; set ``GATEHOUSE_OPA_URL``):

- each module is ``PUT /v1/policies/gatehouse/<path>``, libraries before the modules
  that import them (OPA compiles each module on arrival), and stale ``gatehouse/``
  modules of an older bundle are deleted;
- each top-level member of the merged policy data is ``PUT /v1/data/<member>``;
- ``data.gatehouse_bundle.hash`` records the bundle hash, so a second Gatehouse
  process with the same bundle does not push again.

Loading happens before the first decision (outside its deadline: it takes about a
second), not at construction, and again after any failed decision (a restarted OPA has lost the pushed policies: its answer is then
undefined, which is itself a deny). Every failure is a deny, never an exception.
"""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import urlsplit

from opa_client.errors import PolicyNotFoundError
from opa_client.opa import OpaClient

from app.policy.bundle import PolicyBundle
from app.policy.decision import Decision
from app.policy.engine import DEFAULT_TIMEOUT_S, DeadlineRunner

__all__ = ["OPA_POLICY_PREFIX", "OpaServerEngine", "OpaServerError"]

#: Policy ids Gatehouse owns on the server.
OPA_POLICY_PREFIX = "gatehouse/"
_BUNDLE_MARKER = "gatehouse_bundle"


_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
_IMPORT = re.compile(r"^import\s+data\.([\w.]+)", re.MULTILINE)


def load_order(modules: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """Modules ordered so that every imported package is loaded before its importers."""
    by_package: dict[str, list[tuple[str, str]]] = {}
    for path, source in modules:
        found = _PACKAGE.search(source)
        by_package.setdefault(found.group(1) if found else path, []).append((path, source))
    ordered: list[tuple[str, str]] = []
    placed: set[str] = set()

    def place(package: str, visiting: frozenset[str]) -> None:
        if package in placed or package in visiting or package not in by_package:
            return
        for _, source in by_package[package]:
            for imported in _IMPORT.findall(source):
                place(imported, visiting | {package})
        placed.add(package)
        ordered.extend(by_package[package])

    for package in sorted(by_package):
        place(package, frozenset())
    return ordered


class OpaServerError(Exception):
    """The OPA server refused the bundle or gave no decision."""


def client_for(url: str, *, timeout_s: float) -> OpaClient:
    """An OpaClient for ``http(s)://host:port`` that never retries (the deadline rules)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OpaServerError(f"OPA URL {url!r} is not http(s)://host:port")
    port = parts.port or (443 if parts.scheme == "https" else 8181)
    return OpaClient(
        host=parts.hostname,
        port=port,
        ssl=parts.scheme == "https",
        timeout=timeout_s,
        retries=0,
    )


class OpaServerEngine:
    """Asks a running OPA server; pushes the bundle into it when it lacks it."""

    name = "opa"

    def __init__(
        self,
        *,
        bundle: PolicyBundle,
        url: str,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        workers: int = 4,
    ) -> None:
        self.bundle = bundle
        self.bundle_hash = bundle.hash
        self.url = url
        # The decision deadline is timeout_s; the HTTP timeout (twice that) only frees a
        # worker stuck on a silent server, and bounds the loading before a decision.
        self._client = client_for(url, timeout_s=2 * timeout_s)
        self._loaded = False
        self._load_lock = threading.Lock()
        self._runner = DeadlineRunner(
            engine=self.name, bundle_hash=bundle.hash, timeout_s=timeout_s, workers=workers
        )

    def _server_bundle_hash(self) -> str | None:
        try:
            return self._client.get_data(f"{_BUNDLE_MARKER}/hash").get("result")
        except PolicyNotFoundError:
            return None

    def _push(self) -> None:
        """Load every module and the data into the server (libraries before users)."""
        for member, value in self.bundle.data.items():
            self._client.update_or_create_data(value, member)
        pending = dict(load_order(self.bundle.modules))
        while pending:
            failures: dict[str, str] = {}
            for path, source in pending.items():
                try:
                    self._client.update_policy_from_string(
                        source, OPA_POLICY_PREFIX + path, rego_compat=False
                    )
                except Exception as error:  # retried next round; reported if no progress
                    failures[path] = f"{type(error).__name__}: {error}"
            if len(failures) == len(pending):
                path, reason = sorted(failures.items())[0]
                raise OpaServerError(f"OPA refused module {path}: {reason}")
            pending = {path: pending[path] for path in failures}
        wanted = {OPA_POLICY_PREFIX + path for path, _ in self.bundle.modules}
        for policy_id in self._client.get_policies_list():
            if policy_id.startswith(OPA_POLICY_PREFIX) and policy_id not in wanted:
                self._client.delete_policy(policy_id)
        self._client.update_or_create_data({"hash": self.bundle_hash}, _BUNDLE_MARKER)

    def ensure_loaded(self) -> None:
        """Push the bundle unless the server already holds this bundle hash."""
        if self._loaded:
            return
        with self._load_lock:
            if self._loaded:
                return
            if self._server_bundle_hash() != self.bundle_hash:
                self._push()
            self._loaded = True

    def _evaluate(self, gate: str, document: dict[str, Any]) -> Any:
        try:
            response = self._client.query_rule(
                input_data=document, package_path=f"gates/{gate}", rule_name="decision"
            )
            if "result" not in response:
                raise OpaServerError(f"the server has no decision for gate {gate}")
            return response["result"]
        except Exception:
            # Whatever failed (connection, a restarted server), check again next time.
            self._loaded = False
            raise

    def decide(self, gate: str, document: dict[str, Any]) -> Decision:
        """Evaluate ``data.gates.<gate>.decision`` on the server; deny on any failure."""
        return self._runner.run(gate, document, self._evaluate, prepare=self.ensure_loaded)

    def close(self) -> None:
        """Stop the worker threads and close the HTTP session."""
        self._runner.close()
        self._client.close_connection()
