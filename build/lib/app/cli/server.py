"""``gatehouse serve``: the portal and API on a development server."""

from __future__ import annotations

import click

from app.cli.base import with_app_context

__all__ = ["serve"]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_app_context
def serve(host: str, port: int) -> None:
    """Serve the portal and API (production: run under a WSGI server instead)."""
    from flask import current_app
    from werkzeug.serving import run_simple

    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]
