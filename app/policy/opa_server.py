"""The OPA server engine: the real ``opa run --server``, locked and checked by content.

Gatehouse loads the bundle into the server itself through OPA's REST API with
opa-python-client (configured in ``app.policy.opa_connection``), presenting its bearer
token; the documented server runs with ``--authentication=token --authorization=basic``
and ``opa/system/authz.rego``, so nobody else can write. Independently of that lock, Gatehouse never trusts what the
server says it holds: it compares content (``app.policy.opa_content``).

- **Every decision** is one ad-hoc query that returns the gate's decision *and*
  ``data.gatehouse`` from the same evaluation; the data is compared with the bundle by
  value. This costs about as much as the decision alone.
- **Every decision that allows** also fetches every module's text
  (``GET /v1/policies``, after the evaluation and outside its deadline) and compares it
  with the bundle: a module replaced, added or removed is found before an allow leaves.
- **A full check** (modules, data, and the top-level names of ``data``, so that data
  written at a new path is found too) runs before the first decision and before any
  decision when the last one is older than ``recheck_s`` (5 s by default).

Any difference is a deny whose error begins "OPA holds policies/data that differ from
Gatehouse's bundle:" and names what differs, and an ``ALERT`` in the log. The next
decision then reloads the bundle (Gatehouse's modules and data) and checks again; a
difference Gatehouse cannot remove (a foreign module or data root, which its token may
not delete) keeps denying until an operator removes it. A server that holds nothing of
Gatehouse's (first start, OPA restarted) is loaded without an alert.

Loading happens before the first decision (outside its deadline: it takes about a
second), not at construction. Every failure is a deny, never an exception; a malformed
URL too (the process starts, and every decision and readiness probe names the URL).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeoutError
from typing import Any
from urllib.parse import quote

from app.policy.bundle import PolicyBundle
from app.policy.decision import Decision, engine_failure
from app.policy.engine import DEFAULT_TIMEOUT_S, DeadlineRunner
from app.policy.errors import OpaContentMismatchError, OpaServerError
from app.policy.opa_connection import GatehouseOpaClient
from app.policy.opa_content import (
    OPA_POLICY_PREFIX,
    data_differences,
    expected_content,
    looks_empty,
    mismatch_message,
    module_differences,
    root_differences,
)

__all__ = ["DEFAULT_RECHECK_S", "OPA_POLICY_PREFIX", "OpaServerEngine", "OpaServerError"]

log = logging.getLogger(__name__)

#: Seconds a full content check (modules and data roots) stays good for a deny.
DEFAULT_RECHECK_S = 5.0

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


class OpaServerEngine:
    """Asks a running OPA server; loads the bundle into it and checks what it holds."""

    name = "opa"

    def __init__(
        self,
        *,
        bundle: PolicyBundle,
        url: str,
        token: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        workers: int = 4,
        recheck_s: float = DEFAULT_RECHECK_S,
        system_sources: tuple[str, ...] = (),
    ) -> None:
        self.bundle = bundle
        self.bundle_hash = bundle.hash
        self.url = url
        self.recheck_s = recheck_s
        self._expected = expected_content(bundle, system_sources)
        # One query returns the data members by name: a missing member leaves it out.
        members = ", ".join(f"{json.dumps(member)}" for member in sorted(bundle.data))
        self._held_data = f"{{m: v | some m in [{members}]; v := data[m]}}"
        # The decision deadline is timeout_s; the HTTP timeout (twice that) only frees a
        # worker stuck on a silent server, and bounds the loading before a decision.
        try:
            self._connection: GatehouseOpaClient | None = GatehouseOpaClient(
                url=url, token=token, timeout_s=2 * timeout_s
            )
            self._unusable: str | None = None
        except OpaServerError as error:
            # A malformed URL: the process still starts, and every decision and readiness
            # probe says why the engine cannot answer (indeterminate, never an allow).
            self._connection, self._unusable = None, str(error)
        self._checked_at: float | None = None
        # False until the server first held the bundle, and again after an alert: the
        # next check then reloads the bundle instead of denying on what it finds.
        self._owned = False
        self._load_lock = threading.Lock()
        self._runner = DeadlineRunner(
            engine=self.name, bundle_hash=bundle.hash, timeout_s=timeout_s, workers=workers
        )

    @property
    def _client(self) -> GatehouseOpaClient:
        """The connection to the server; OpaServerError when the URL could not be used."""
        if self._connection is None:
            raise OpaServerError(self._unusable or "no OPA connection")
        return self._connection

    def _push(self, held_modules: dict[str, str]) -> None:
        """Drop stale Gatehouse modules, then load the data and every module (libraries first).

        Stale modules go first: a rule that moved from a removed file to a new one would
        otherwise conflict with its old definition and the new file could never load.
        """
        for policy_id in held_modules:
            if policy_id.startswith(OPA_POLICY_PREFIX) and policy_id not in self._expected.modules:
                self._client.delete_policy(quote(policy_id))
        for member, value in self.bundle.data.items():
            self._client.update_or_create_data(value, quote(member))
        pending = dict(load_order(self.bundle.modules))
        while pending:
            failures: dict[str, str] = {}
            for path, source in pending.items():
                try:
                    # No v0 "upgrade": the server must hold the bundle's text, byte for byte.
                    self._client.update_policy_from_string(
                        source, quote(OPA_POLICY_PREFIX + path), rego_compat=False
                    )
                except OpaServerError as error:  # retried next round; reported if no progress
                    failures[path] = str(error)
            if len(failures) == len(pending):
                path, reason = sorted(failures.items())[0]
                raise OpaServerError(f"OPA refused module {path}: {reason}")
            pending = {path: pending[path] for path in failures}

    def _held(self) -> tuple[dict[str, str], dict[str, Any], list[str]]:
        """What the server holds: modules (id -> text), data members, top-level names."""
        modules = self._client.module_sources()
        found = (
            self._client.query(f"held := {self._held_data}; roots := [k | some k; _ = data[k]]")
            or {}
        )
        return modules, found.get("held", {}), found.get("roots", [])

    def _full_check(self) -> tuple[list[str], dict[str, str], dict[str, Any]]:
        """The differences from the bundle, and the modules and data the server holds."""
        modules, data, roots = self._held()
        differences = (
            module_differences(self._expected, modules)
            + data_differences(self._expected, data)
            + root_differences(self._expected, roots)
        )
        return differences, modules, data

    def content_differences(self) -> list[str]:
        """Every difference between what the server holds and the bundle (a full check)."""
        return self._full_check()[0]

    def _mismatch(self, differences: list[str]) -> OpaContentMismatchError:
        """Alert, make the next check reload the bundle, and return the error to deny with."""
        message = mismatch_message(differences)
        log.error("ALERT: policy engine opa at %s: %s", self.url, message)
        self._owned = False
        self._checked_at = None
        return OpaContentMismatchError(message)

    def ensure_loaded(self) -> None:
        """Make sure the server holds exactly the bundle, by content; raise if it does not.

        A full check runs when the last one is older than ``recheck_s``. Differences on
        a server Gatehouse already loaded are tampering: alert and deny (the next call
        reloads). Otherwise (first load, a restarted or empty server, after an alert)
        load the bundle and check again.
        """
        if self._fresh():
            return
        with self._load_lock:
            if self._fresh():
                return
            differences, modules, data = self._full_check()
            if differences and self._owned and not looks_empty(self._expected, modules, data):
                raise self._mismatch(differences)
            if differences:
                self._push(modules)
                differences = self.content_differences()
                if differences:
                    raise self._mismatch(differences)
            self._owned = True
            self._checked_at = time.monotonic()

    def _fresh(self) -> bool:
        checked = self._checked_at
        return checked is not None and time.monotonic() - checked < self.recheck_s

    def _evaluate(self, gate: str, document: dict[str, Any]) -> Any:
        """The decision and the data it was made with, from one query (within the deadline)."""
        try:
            found = self._client.query(
                f"decision := data.gates.{gate}.decision; held := {self._held_data}", document
            )
            if found is None or "decision" not in found:
                # Say why: a server that lost everything (restarted) is reloaded next
                # time without an alert; one that holds something else is a mismatch.
                differences, modules, data = self._full_check()
                if differences and not looks_empty(self._expected, modules, data):
                    raise self._mismatch(differences)
                raise OpaServerError(f"the server has no decision for gate {gate}")
            differences = data_differences(self._expected, found.get("held", {}))
            if differences:
                raise self._mismatch(differences)
            return found["decision"]
        except OpaContentMismatchError:
            raise
        except Exception:
            # Whatever failed (connection, a restarted server), check fully next time.
            self._checked_at = None
            raise

    def _confirm_allow(self, decision: Decision) -> Decision:
        """Before an allow leaves, check every module again (outside the deadline)."""
        try:
            # The data was compared in the decision's own query; extra data roots cannot
            # change what exactly these modules decide, so the modules are what is left.
            differences = module_differences(self._expected, self._client.module_sources())
            if differences:
                raise self._mismatch(differences)
        except Exception as error:  # fail closed: an allow that cannot be confirmed denies
            return engine_failure(
                engine=self.name,
                bundle_hash=self.bundle_hash,
                latency_ms=decision.latency_ms,
                reason=f"{type(error).__name__}: {error}",
            )
        return decision

    def decide(self, gate: str, document: dict[str, Any]) -> Decision:
        """Evaluate ``data.gates.<gate>.decision`` on the server; deny on any failure."""
        decision = self._runner.run(gate, document, self._evaluate, prepare=self.ensure_loaded)
        return self._confirm_allow(decision) if decision.allow else decision

    def unready_reason(self) -> str | None:
        """Why the server cannot answer now (unreachable, hung past the deadline, refusing
        Gatehouse's token, holding other content), or None when it answers a query."""

        def probe() -> None:
            self.ensure_loaded()
            self._client.query("ready := true")

        try:
            self._runner.within_deadline(probe)
        except FutureTimeoutError:
            return f"no answer within {self._runner.timeout_s:g} s"
        except Exception as error:  # whatever failed, the engine cannot answer now
            return f"{type(error).__name__}: {error}"
        return None

    def close(self) -> None:
        """Stop the worker threads and close the HTTP session."""
        self._runner.close()
        if self._connection is not None:
            self._connection.close_connection()
