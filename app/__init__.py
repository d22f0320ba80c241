"""Gatehouse: governance and compliance control plane for LLM fine-tuning.

``create_app`` is the application factory; nothing does work at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from app.config import Settings


def create_app(config: Settings | None = None) -> Flask:
    """Build the application for ``config`` (environment settings when omitted)."""
    # Imported here, not at module level, so that ``import app`` (every ``gatehouse``
    # command) does not load Flask and the whole portal before it is needed.
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from app import api, db, health, metrics, observed_requests, problems, security_headers, web
    from app.api.v1 import request_bounds
    from app.auth import guard
    from app.config import PROJECT_ROOT, settings_from_environment
    from app.extensions import csrf
    from app.gates import engine_binding
    from app.launch import binding as launch_binding

    if config is None:
        # The production doors (gunicorn's app:create_app(), every gatehouse command) log
        # JSON lines; an application built with explicit settings leaves logging alone.
        observed_requests.configure_json_logging()
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
        SESSION_COOKIE_SECURE=settings.secure_cookies,
    )
    app.config.update(settings.flask_overrides)
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    observed_requests.init_app(app)  # first: it times and names every request, refused ones too
    request_bounds.init_app(app)  # before any route is added: it bounds <int:...> ids
    db.init_app(app)
    engine_binding.init_app(app)
    launch_binding.init_app(app)
    problems.init_app(app)
    security_headers.init_app(app)
    guard.init_app(app)
    csrf.init_app(app)
    api.init_app(app)
    app.register_blueprint(health.bp)
    metrics.init_app(app)
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
