"""Errors of the policy layer.

Engines never raise to the caller of ``decide`` (they answer deny instead); these
errors are for setting the layer up: a missing policy directory, unreadable policy
data, an unknown engine kind.
"""

from __future__ import annotations

from app.errors import GatehouseError, ValidationError

__all__ = ["PolicyBundleError", "PolicyError", "UnknownEngineError"]


class PolicyError(GatehouseError):
    """Root of the policy layer's errors."""

    title = "Policy error"


class PolicyBundleError(PolicyError):
    """The policy directory or its data cannot be read."""

    title = "Policy bundle unreadable"


class UnknownEngineError(PolicyError, ValidationError):
    """The configured engine kind is neither ``embedded`` nor ``opa``."""

    title = "Unknown policy engine"
