"""The answer of a gate: the ``Decision`` every engine returns.

The policy's result has the DESIGN shape plus the per-control outcomes::

    {"allow": bool, "violations": [{control, regulation, citation, severity, message}],
     "warnings": [...same shape...], "required_approvals": [{role, count}],
     "controls": [{control_id, status, reason, violations, warnings}]}

``decision_from_result`` checks that shape before trusting it: a result that is not
exactly this shape is a malformed answer and becomes a deny (fail closed), as does any
engine error or timeout (``engine_failure``). The failure violation names control
``GATEHOUSE-ENGINE`` and says what failed.

A decision's ``outcome`` keeps those failures apart from the policy's own denies: it is
``indeterminate`` exactly when no policy answer was used (``error`` is set), never
because of what the policy said. Indeterminate still allows nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from app.models.vocabulary import DecisionOutcome, GateName

__all__ = [
    "ENGINE_FAILURE_CONTROL",
    "GATES",
    "Decision",
    "decision_from_result",
    "engine_failure",
]

log = logging.getLogger(__name__)

#: The gates the policy bundle answers (``data.gates.<gate>.decision``).
GATES: tuple[GateName, ...] = tuple(GateName)

#: The control id of the violation that reports an engine failure.
ENGINE_FAILURE_CONTROL = "GATEHOUSE-ENGINE"

_FINDING_KEYS = frozenset({"control", "regulation", "citation", "severity", "message"})
_OUTCOME_KEYS = frozenset({"control_id", "status", "reason", "violations", "warnings"})
_RESULT_KEYS = frozenset({"allow", "violations", "warnings", "required_approvals", "controls"})


@dataclass(frozen=True)
class Decision:
    """One gate decision, allow or deny, with what the engine reported."""

    #: True only when every applicable control passed and the engine answered well.
    allow: bool
    #: Violations, each {control, regulation, citation, severity, message}.
    violations: tuple[dict[str, Any], ...]
    #: Warnings (same shape); they never block.
    warnings: tuple[dict[str, Any], ...]
    #: Sign-offs the subject needs, each {role, count}.
    required_approvals: tuple[dict[str, Any], ...]
    #: Per-control outcomes, each {control_id, status, reason, violations, warnings}.
    controls: tuple[dict[str, Any], ...]
    #: Which engine answered: "embedded" or "opa".
    engine: str
    #: sha256 of the policy bundle that answered.
    bundle_hash: str
    #: Wall time of the evaluation in milliseconds.
    latency_ms: float
    #: Why the engine failed (then allow is False), or None.
    error: str | None = None

    @property
    def outcome(self) -> DecisionOutcome:
        """Allowed, denied by the policy, or indeterminate (the engine gave no answer)."""
        if self.error is not None:
            return DecisionOutcome.INDETERMINATE
        return DecisionOutcome.ALLOWED if self.allow else DecisionOutcome.DENIED

    def result(self) -> dict[str, Any]:
        """The policy result in the DESIGN shape (plus ``controls``), for storage and APIs."""
        return {
            "allow": self.allow,
            "violations": list(self.violations),
            "warnings": list(self.warnings),
            "required_approvals": list(self.required_approvals),
            "controls": list(self.controls),
        }


def engine_failure(*, engine: str, bundle_hash: str, latency_ms: float, reason: str) -> Decision:
    """A deny that says the engine failed and why (fail closed).

    The reason is cut to its first line and 300 characters: engine errors can be long
    (OPA's carry the whole compile error).
    """
    reason = (reason.strip().splitlines() or ["unknown error"])[0][:300]
    # Operators see every decision nobody made (the request's id rides along in a request).
    log.warning("policy engine %s gave no answer (indeterminate, denied): %s", engine, reason)
    violation = {
        "control": ENGINE_FAILURE_CONTROL,
        "regulation": "GATEHOUSE",
        "citation": "Gatehouse fail-closed rule: an engine failure denies",
        "severity": "high",
        "message": f"policy engine {engine} failed: {reason}",
    }
    return Decision(
        allow=False,
        violations=(violation,),
        warnings=(),
        required_approvals=(),
        controls=(),
        engine=engine,
        bundle_hash=bundle_hash,
        latency_ms=latency_ms,
        error=reason,
    )


def _is_finding(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == _FINDING_KEYS
        and all(isinstance(value[key], str) for key in _FINDING_KEYS)
    )


def _is_outcome(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == _OUTCOME_KEYS
        and isinstance(value["control_id"], str)
        and value["status"] in ("pass", "fail", "not_applicable")
        and isinstance(value["reason"], str)
        and isinstance(value["violations"], list)
        and all(_is_finding(item) for item in value["violations"])
        and isinstance(value["warnings"], list)
        and all(_is_finding(item) for item in value["warnings"])
    )


def _is_requirement(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"role", "count"}
        and isinstance(value["role"], str)
        and isinstance(value["count"], int)
        and not isinstance(value["count"], bool)
    )


def _shape_problem(result: Any) -> str | None:
    """What is wrong with a policy result's shape, or None when it is well formed."""
    if not isinstance(result, dict):
        return f"the result is {type(result).__name__}, not an object"
    if set(result) != _RESULT_KEYS:
        return f"the result has members {sorted(result)}, expected {sorted(_RESULT_KEYS)}"
    if not isinstance(result["allow"], bool):
        return "allow is not a boolean"
    checks = {
        "violations": _is_finding,
        "warnings": _is_finding,
        "required_approvals": _is_requirement,
        "controls": _is_outcome,
    }
    for member, check in checks.items():
        items = result[member]
        if not isinstance(items, list) or not all(check(item) for item in items):
            return f"{member} is malformed"
    if result["allow"] and result["violations"]:
        return "allow is true despite violations"
    return None


def decision_from_result(
    result: Any, *, engine: str, bundle_hash: str, latency_ms: float
) -> Decision:
    """Trust a policy result only if it has exactly the decision shape; else deny."""
    problem = _shape_problem(result)
    if problem is not None:
        return engine_failure(
            engine=engine,
            bundle_hash=bundle_hash,
            latency_ms=latency_ms,
            reason=f"malformed result: {problem}",
        )
    return Decision(
        allow=result["allow"],
        violations=tuple(result["violations"]),
        warnings=tuple(result["warnings"]),
        required_approvals=tuple(result["required_approvals"]),
        controls=tuple(result["controls"]),
        engine=engine,
        bundle_hash=bundle_hash,
        latency_ms=latency_ms,
    )
