"""Bind one policy engine to the application, built from settings at start-up."""

from __future__ import annotations

from flask import Flask, current_app

from app.policy.engine import PolicyEngine
from app.policy.factory import build_engine

_KEY = "gatehouse.policy_engine"


def init_app(app: Flask) -> None:
    """Build the configured engine once; the bundle is compiled once per process."""
    settings = app.config["GATEHOUSE"]
    app.extensions[_KEY] = build_engine(
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


def current_policy_engine() -> PolicyEngine:
    """The engine of the running application."""
    engine: PolicyEngine = current_app.extensions[_KEY]
    return engine
