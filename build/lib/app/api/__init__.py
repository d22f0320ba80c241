"""The JSON API (``/api/v1``) for release pipelines and integrations."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register API v1."""
    from app.api import v1

    v1.init_app(app)
