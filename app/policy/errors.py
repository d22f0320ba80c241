"""Errors of the policy layer.

Engines never raise to the caller of ``decide`` (they answer deny instead); these
errors are for setting the layer up (a missing policy directory, unreadable policy
data, an unknown engine kind) and for what an engine turns into a deny (the OPA server
refusing a request or holding content that is not Gatehouse's bundle).
"""

from __future__ import annotations

from app.errors import GatehouseError, ValidationError

__all__ = [
    "CompiledPolicyError",
    "OpaAccessError",
    "OpaContentMismatchError",
    "OpaServerError",
    "OpaStartError",
    "PolicyBundleError",
    "PolicyError",
    "PolicyTimeout",
    "UnknownEngineError",
    "WasmPolicyError",
]


class PolicyError(GatehouseError):
    """Root of the policy layer's errors."""

    title = "Policy error"


class PolicyBundleError(PolicyError):
    """The policy directory or its data cannot be read."""

    title = "Policy bundle unreadable"


class UnknownEngineError(PolicyError, ValidationError):
    """The configured engine kind is neither ``embedded`` nor ``opa``."""

    title = "Unknown policy engine"


class OpaServerError(PolicyError):
    """The OPA server could not be reached, refused a request or gave no decision."""

    title = "OPA server error"


class OpaAccessError(OpaServerError):
    """The OPA server refused Gatehouse's credentials (HTTP 401 or 403)."""

    title = "OPA refused access"


class OpaContentMismatchError(OpaServerError):
    """The OPA server holds policies or data that are not exactly Gatehouse's bundle."""

    title = "OPA content differs from the bundle"


class CompiledPolicyError(PolicyBundleError):
    """The compiled policy is missing, altered, stale, or could not be built."""

    title = "Compiled policy unusable"


class OpaStartError(PolicyError):
    """The OPA server did not become healthy in time."""


class WasmPolicyError(Exception):
    """The module is unusable, aborted, trapped, or its decision is undefined.

    Not a :class:`GatehouseError`: it never reaches a door, the embedded engine turns
    it into a deny that says why.
    """


class PolicyTimeout(WasmPolicyError):
    """The evaluation ran past its deadline and wasmtime interrupted it."""
