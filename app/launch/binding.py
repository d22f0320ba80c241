"""Bind the launcher named by ``GATEHOUSE_LAUNCHER`` to the application, built once from
settings."""

from __future__ import annotations

from app.extensions import SettingsBinding
from app.launch.launcher import Launcher
from app.launch.registry import build_launcher

__all__ = ["current_launcher", "init_app"]

_LAUNCHER: SettingsBinding[Launcher] = SettingsBinding("gatehouse.launcher", build_launcher)
init_app = _LAUNCHER.init_app
current_launcher = _LAUNCHER.current
