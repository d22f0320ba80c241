"""Choosing and building the policy engine from settings.

``build_engine(kind="embedded" | "opa", ...)`` reads the policy bundle once and
returns the engine. ``app.config`` maps ``GATEHOUSE_POLICY_ENGINE``,
``GATEHOUSE_OPA_URL``, ``GATEHOUSE_POLICY_TIMEOUT_S``, ``GATEHOUSE_POLICY_DIR``,
``GATEHOUSE_COMPILED_POLICY_DIR``, ``GATEHOUSE_POLICY_DATA_OVERRIDE`` (the
per-installation data file) and the OPA server's token, authorization policy and
re-check interval onto its arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.policy.bundle import load_bundle
from app.policy.compiled import DEFAULT_COMPILED_DIR
from app.policy.embedded import EmbeddedEngine
from app.policy.engine import DEFAULT_TIMEOUT_S, PolicyEngine
from app.policy.errors import PolicyBundleError, UnknownEngineError
from app.policy.opa_server import DEFAULT_RECHECK_S, OpaServerEngine

if TYPE_CHECKING:
    from app.config import Settings

__all__ = ["ENGINE_KINDS", "build_engine", "engine_from_settings"]

#: The engine kinds ``build_engine`` accepts.
ENGINE_KINDS = ("embedded", "opa")


def build_engine(
    *,
    kind: str,
    policy_dir: Path,
    opa_url: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    extra_data_path: Path | None = None,
    compiled_dir: Path = DEFAULT_COMPILED_DIR,
    opa_token: str | None = None,
    opa_authz_policy: Path | None = None,
    opa_recheck_s: float = DEFAULT_RECHECK_S,
) -> PolicyEngine:
    """Build the engine ``kind`` over the bundle in ``policy_dir`` (+ data overrides).

    Raises PolicyBundleError when the policies cannot be read (CompiledPolicyError,
    a subclass, when the embedded engine's compiled policy in ``compiled_dir`` is
    missing or stale) and UnknownEngineError for an unknown kind or an OPA engine
    without a URL; once built, an engine never raises from ``decide``.
    """
    bundle = load_bundle(policy_dir=policy_dir, extra_data_path=extra_data_path)
    if kind == "embedded":
        return EmbeddedEngine(
            bundle=bundle, policy_dir=policy_dir, compiled_dir=compiled_dir, timeout_s=timeout_s
        )
    if kind == "opa":
        if not opa_url:
            raise UnknownEngineError("the OPA engine needs GATEHOUSE_OPA_URL")
        return OpaServerEngine(
            bundle=bundle,
            url=opa_url,
            token=opa_token,
            timeout_s=timeout_s,
            recheck_s=opa_recheck_s,
            system_sources=_system_sources(opa_authz_policy),
        )
    raise UnknownEngineError(f"unknown policy engine {kind!r}; choose one of {ENGINE_KINDS}")


def engine_from_settings(settings: Settings) -> PolicyEngine:
    """The engine the settings configure: the web application and the scheduler each
    build theirs here, so both decide with the same engine and options."""
    return build_engine(
        kind=settings.policy_engine,
        policy_dir=settings.policy_dir,
        opa_url=settings.opa_url,
        timeout_s=settings.policy_timeout_s,
        extra_data_path=settings.policy_data_override,
        compiled_dir=settings.compiled_policy_dir,
        opa_token=settings.opa_token,
        opa_authz_policy=settings.opa_authz_policy,
        opa_recheck_s=settings.opa_recheck_s,
    )


def _system_sources(authz_policy: Path | None) -> tuple[str, ...]:
    """The authorization policy's text, which the OPA server may hold beside the bundle."""
    if authz_policy is None:
        return ()
    try:
        return (authz_policy.read_text(encoding="utf-8"),)
    except OSError as error:
        raise PolicyBundleError(
            f"OPA authorization policy {authz_policy} is unreadable: {error.strerror}"
        ) from error
