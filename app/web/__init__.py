"""The compliance officers' portal: server-rendered pages, one blueprint per area."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the portal's blueprints."""
    from app.web import (
        accounts,
        approvals,
        attestations,
        auth,
        decisions,
        registry,
        runs,
        stewardship,
    )
    from app.web.audits import bp as audits_bp
    from app.web.bundles import bp as bundles_bp
    from app.web.evidence import bp as evidence_bp
    from app.web.pages import may
    from app.web.reports import bp as reports_bp

    app.add_template_global(may)
    app.register_blueprint(auth.bp)
    app.register_blueprint(registry.bp)
    app.register_blueprint(approvals.bp)
    app.register_blueprint(decisions.bp)
    app.register_blueprint(runs.bp)
    app.register_blueprint(stewardship.bp)
    app.register_blueprint(attestations.bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(audits_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(bundles_bp)
    app.register_blueprint(accounts.bp)
