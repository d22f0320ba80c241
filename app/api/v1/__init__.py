"""JSON API v1: one blueprint per resource, plus the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from app.api.v1 import approvals, datasets, deployments, gates, ledger, lineage, models, runs
from app.api.v1.attestations import bp as attestations_bp
from app.api.v1.audits import bp as audits_bp
from app.api.v1.evaluations import bp as evaluations_bp
from app.api.v1.reports import bp as reports_bp
from app.api.v1.spec import spec
from app.auth.guard import public

meta = Blueprint("api_meta", __name__, url_prefix="/api/v1")

#: Every resource blueprint; later areas (gates, approvals, audits, reports) add theirs here.
RESOURCE_BLUEPRINTS: list[Blueprint] = [
    datasets.bp,
    runs.bp,
    models.bp,
    deployments.bp,
    lineage.bp,
    ledger.bp,
    gates.bp,
    approvals.bp,
    attestations_bp,
    reports_bp,
    audits_bp,
    evaluations_bp,
]


@meta.get("/openapi.json")
@public
def openapi_document() -> Any:
    """The OpenAPI 3 document generated from the views."""
    return jsonify(spec.spec)


@meta.get("/docs/")
@public
def api_docs() -> Any:
    """Swagger UI for humans, served from the packaged bundle (nothing from the network)."""
    return render_template("api_docs.html")


@meta.get("/docs/assets/<path:filename>")
@public
def api_docs_asset(filename: str) -> Any:
    """Swagger UI's static files; ``send_from_directory`` refuses paths outside the bundle."""
    return send_from_directory(swagger_ui_path, filename)


def init_app(app: Flask) -> None:
    """Register the API blueprints and the generated documentation pages."""
    for blueprint in RESOURCE_BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(meta)
    spec.register(app)
    # spectree caches the document of the first application it generated it for; this
    # process may build several (each test does), so each registration starts afresh.
    vars(spec).pop("_spec", None)
    # spectree's own document route is public like ours.
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("openapi"):
            public(view)
