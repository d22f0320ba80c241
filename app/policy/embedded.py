"""The embedded engine: the OPA-compiled policy (wasm) evaluated in process, the default.

The policies are compiled by the real OPA (``gatehouse policy build``, see
``app.policy.compiled``) and run here through wasmtime (``app.policy.wasm_abi``), so
the embedded engine has OPA's own semantics: the compiler that also serves the
OPA-server engine decides what every rule means.

The module is compiled by wasmtime once per process (``shared_module``). Instances (each with the policy
data, ``data.json`` merged with the installation's overrides, parsed into its memory)
wait in a pool: a decision takes one, evaluates in the caller's thread and puts it
back, so concurrent requests each get their own and a quiet process keeps only as
many as it ever needed at once. The deadline is enforced inside wasmtime (the
evaluation is interrupted), and a decision that took longer than the deadline is a
deny even when it finished. An instance that failed (a trap, an abort) is dropped:
its memory may be inconsistent after the failure.
"""

from __future__ import annotations

import queue
from pathlib import Path
from typing import Any

import orjson

from app.policy.bundle import PolicyBundle
from app.policy.compiled import entrypoint, load_compiled_policy
from app.policy.decision import Decision
from app.policy.engine import DEFAULT_TIMEOUT_S, decide_fail_closed
from app.policy.errors import PolicyTimeout
from app.policy.host_builtins import HOST_BUILTINS
from app.policy.wasm_abi import PolicyInstance, shared_module

__all__ = ["EmbeddedEngine"]


class EmbeddedEngine:
    """The compiled policy in process; a pool of wasm instances, one per evaluation."""

    name = "embedded"

    def __init__(
        self,
        *,
        bundle: PolicyBundle,
        policy_dir: Path,
        compiled_dir: Path,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        """Verify and load the compiled policy for ``policy_dir`` (CompiledPolicyError
        when it is missing or stale), and start one instance to prove it runs.
        """
        compiled = load_compiled_policy(policy_dir=policy_dir, compiled_dir=compiled_dir)
        self.bundle = bundle
        self.bundle_hash = bundle.hash
        self.timeout_s = timeout_s
        self._module = shared_module(compiled.wasm, builtins=HOST_BUILTINS)
        self._data = orjson.dumps(bundle.data)
        self._pool: queue.SimpleQueue[PolicyInstance] = queue.SimpleQueue()
        self._pool.put(self._module.instantiate(self._data))

    def evaluate(self, gate: str, document: dict[str, Any]) -> Any:
        """The raw policy result for ``document`` (PolicyTimeout past the deadline)."""
        try:
            instance = self._pool.get_nowait()
        except queue.Empty:
            instance = self._module.instantiate(self._data)
        result = instance.evaluate(
            entrypoint(gate), orjson.dumps(document), timeout_s=self.timeout_s
        )
        # Only an instance that finished cleanly goes back to the pool.
        self._pool.put(instance)
        return result

    def decide(self, gate: str, document: dict[str, Any]) -> Decision:
        """Evaluate ``data.gates.<gate>.decision``; deny on error, timeout or bad shape."""
        return decide_fail_closed(
            gate,
            engine=self.name,
            bundle_hash=self.bundle_hash,
            timeout_s=self.timeout_s,
            evaluate=lambda: self.evaluate(gate, document),
            timeouts=(PolicyTimeout,),
        )

    def unready_reason(self) -> str | None:
        """Always ready: the policy runs in process and answered once at construction."""
        return None

    def close(self) -> None:
        """Drop the idle instances (the compiled module stays for the process)."""
        while True:
            try:
                self._pool.get_nowait()
            except queue.Empty:
                return
