"""Bind one policy engine to the application, built from settings at start-up (the
bundle is compiled once per process)."""

from __future__ import annotations

from app.extensions import SettingsBinding
from app.policy.engine import PolicyEngine
from app.policy.factory import engine_from_settings

__all__ = ["current_policy_engine", "init_app"]

_ENGINE: SettingsBinding[PolicyEngine] = SettingsBinding(
    "gatehouse.policy_engine", engine_from_settings
)
init_app = _ENGINE.init_app
current_policy_engine = _ENGINE.current
