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


class PolicyError(GatehouseError, title="Policy error"):
    """Root of the policy layer's errors."""


class PolicyBundleError(PolicyError, title="Policy bundle unreadable"):
    """The policy directory or its data cannot be read."""


class UnknownEngineError(PolicyError, ValidationError, title="Unknown policy engine"):
    """The configured engine kind is neither ``embedded`` nor ``opa``."""


class OpaServerError(PolicyError, title="OPA server error"):
    """The OPA server could not be reached, refused a request or gave no decision."""


class OpaAccessError(OpaServerError, title="OPA refused access"):
    """The OPA server refused Gatehouse's credentials (HTTP 401 or 403)."""


class OpaContentMismatchError(OpaServerError, title="OPA content differs from the bundle"):
    """The OPA server holds policies or data that are not exactly Gatehouse's bundle."""


class CompiledPolicyError(PolicyBundleError, title="Compiled policy unusable"):
    """The compiled policy is missing, altered, stale, or could not be built."""


class OpaStartError(PolicyError):
    """The OPA server did not become healthy in time."""


class WasmPolicyError(Exception):
    """The module is unusable, aborted, trapped, or its decision is undefined.

    Not a :class:`GatehouseError`: it never reaches a door, the embedded engine turns
    it into a deny that says why.
    """


class PolicyTimeout(WasmPolicyError):
    """The evaluation ran past its deadline and wasmtime interrupted it."""
