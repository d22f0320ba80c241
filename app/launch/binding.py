"""Bind the configured launcher to the application, built once from settings."""

from __future__ import annotations

from flask import Flask, current_app

from app.launch.launcher import Launcher
from app.launch.registry import build_launcher

_KEY = "gatehouse.launcher"


def init_app(app: Flask) -> None:
    """Build the launcher named by ``GATEHOUSE_LAUNCHER``."""
    app.extensions[_KEY] = build_launcher(app.config["GATEHOUSE"])


def current_launcher() -> Launcher:
    """The launcher of the running application."""
    launcher: Launcher = current_app.extensions[_KEY]
    return launcher
