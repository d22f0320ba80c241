"""Gatehouse: governance and compliance control plane for LLM fine-tuning.

``create_app`` is the application factory; nothing does work at import time.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf import CSRFProtect

from app.config import PROJECT_ROOT, Settings, settings_from_environment

csrf = CSRFProtect()


def create_app(config: Settings | None = None) -> Flask:
    """Build the application for ``config`` (environment settings when omitted)."""
    from app import api, db, health, problems, web
    from app.auth import guard
    from app.gates import engine_binding
    from app.launch import binding as launch_binding

    settings = config or settings_from_environment()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "app" / "static"),
    )
    app.config.update(
        GATEHOUSE=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
    )
    app.config.update(settings.flask_overrides)
    db.init_app(app)
    engine_binding.init_app(app)
    launch_binding.init_app(app)
    problems.init_app(app)
    guard.init_app(app)
    csrf.init_app(app)
    api.init_app(app)
    app.register_blueprint(health.bp)
    web.init_app(app)
    guard.public(app.view_functions["static"])
    for name, view in app.view_functions.items():
        if name.startswith("api_") or name.startswith("openapi"):
            csrf.exempt(view)
    if settings.scheduler_in_web:
        from app.jobs.scheduler import SchedulerOptions, start_in_background

        # Shares the leader lock with any `gatehouse scheduler` process, so jobs run once.
        app.extensions["gatehouse.scheduler"] = start_in_background(settings, SchedulerOptions())
    return app
