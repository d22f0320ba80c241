"""The policy engine interface and the deadline every engine answers within.

``PolicyEngine.decide(gate, document)`` asks gate ``gate`` about one input document
(see ``app.policy.input_document``) and always returns a ``Decision``. It never
raises: an engine error, a timeout or a malformed result is a deny whose violation
(control ``GATEHOUSE-ENGINE``) says what failed.

Evaluations run on a small pool of worker threads so the caller can stop waiting at
the deadline even when the evaluation itself cannot be interrupted (an HTTP read may
hang). The embedded engine does not need them: wasmtime interrupts its evaluation at
the deadline, so it evaluates in the caller's thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from typing import Any, Protocol, TypeVar

from app.policy.bundle import PolicyBundle
from app.policy.decision import GATES, Decision, decision_from_result, engine_failure

__all__ = ["DEFAULT_TIMEOUT_S", "DeadlineRunner", "PolicyEngine", "decide_fail_closed"]

T = TypeVar("T")

#: How long a decision may take before it is a deny.
DEFAULT_TIMEOUT_S = 2.0


class PolicyEngine(Protocol):
    """Answers gate questions from the policy bundle; denies on any failure."""

    #: "embedded" or "opa".
    name: str
    #: sha256 of the policy bundle this engine evaluates.
    bundle_hash: str
    #: The policy bundle itself (modules and data), e.g. to read its controls' METADATA.
    bundle: PolicyBundle

    def decide(self, gate: str, document: dict[str, Any]) -> Decision:
        """Evaluate ``data.gates.<gate>.decision`` for ``document``; never raises."""
        ...

    def unready_reason(self) -> str | None:
        """Why the engine cannot answer now (readiness), or None when it can; never raises."""
        ...

    def close(self) -> None:
        """Release threads and connections."""
        ...


def decide_fail_closed(
    gate: str,
    *,
    engine: str,
    bundle_hash: str,
    timeout_s: float,
    evaluate: Callable[[], Any],
    timeouts: tuple[type[Exception], ...],
    prepare: Callable[[], None] | None = None,
) -> Decision:
    """The one way every engine turns an evaluation into a decision, failing closed.

    An unknown gate, an error, one of ``timeouts``, or an answer that came later than
    ``timeout_s`` (counted after ``prepare``) is a deny whose reason says what failed;
    otherwise the result is read by ``decision_from_result`` (a bad shape is a deny too).
    """
    started = time.perf_counter()

    def failure(reason: str) -> Decision:
        return engine_failure(
            engine=engine,
            bundle_hash=bundle_hash,
            latency_ms=(time.perf_counter() - started) * 1000,
            reason=reason,
        )

    if gate not in GATES:
        return failure(f"unknown gate {gate!r}; gates are {', '.join(GATES)}")
    try:
        if prepare is not None:
            prepare()
            started = time.perf_counter()
        result = evaluate()
    except timeouts:
        return failure(f"no answer within {timeout_s:g} s")
    except Exception as error:  # fail closed: whatever went wrong is a deny
        return failure(f"{type(error).__name__}: {error}")
    elapsed = time.perf_counter() - started
    if elapsed > timeout_s:
        return failure(f"no answer within {timeout_s:g} s")
    return decision_from_result(
        result, engine=engine, bundle_hash=bundle_hash, latency_ms=elapsed * 1000
    )


class DeadlineRunner:
    """Runs one evaluation on a worker thread and turns every failure into a deny."""

    def __init__(self, *, engine: str, bundle_hash: str, timeout_s: float, workers: int) -> None:
        self.engine = engine
        self.bundle_hash = bundle_hash
        self.timeout_s = timeout_s
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=f"policy-{engine}"
        )

    def run(
        self,
        gate: str,
        document: dict[str, Any],
        evaluate: Callable[[str, dict[str, Any]], Any],
        prepare: Callable[[], None] | None = None,
    ) -> Decision:
        """Call ``evaluate(gate, document)`` within the deadline; deny on any failure.

        ``prepare`` (loading policies into a server) runs first, in the caller's
        thread and outside the deadline: it is slow once, not per decision, and
        bounds its own waiting.
        """

        return decide_fail_closed(
            gate,
            engine=self.engine,
            bundle_hash=self.bundle_hash,
            timeout_s=self.timeout_s,
            evaluate=lambda: self.within_deadline(lambda: evaluate(gate, document)),
            timeouts=(FutureTimeoutError,),
            prepare=prepare,
        )

    def within_deadline(self, work: Callable[[], T]) -> T:
        """``work()`` on a worker thread; FutureTimeoutError when it is not done in time."""
        future = self._executor.submit(work)
        try:
            return future.result(timeout=self.timeout_s)
        except FutureTimeoutError:
            future.cancel()
            raise

    def close(self) -> None:
        """Stop the worker threads (without waiting for a stuck evaluation)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
