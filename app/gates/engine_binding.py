"""Bind one policy engine to the application, built from settings at start-up."""

from __future__ import annotations

from flask import Flask, current_app

from app.policy.engine import PolicyEngine
from app.policy.factory import engine_from_settings

_KEY = "gatehouse.policy_engine"


def init_app(app: Flask) -> None:
    """Build the configured engine once; the bundle is compiled once per process."""
    app.extensions[_KEY] = engine_from_settings(app.config["GATEHOUSE"])


def current_policy_engine() -> PolicyEngine:
    """The engine of the running application."""
    engine: PolicyEngine = current_app.extensions[_KEY]
    return engine
