"""Portal page for auditors: export a period's evidence bundle as a zip.

The zip is built in a private temporary folder and sent as a download; the export (a
signed checkpoint and the ``evidence.exported`` event with the user) commits only when
the zip was built, so a failure leaves nothing behind and is shown on the page.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, render_template
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import DataRequired

from app.auth.guard import allow, current_principal
from app.auth.roles import EVIDENCE_EXPORTERS
from app.db import unit_of_work
from app.downloads import attachment
from app.errors import GatehouseError
from app.reports.prepared import Period
from app.web.pages import flash_form_errors

bp = Blueprint("web_bundles", __name__)


class BundleForm(FlaskForm):
    """The period whose evidence to export (both days included)."""

    start = DateField("From", validators=[DataRequired()])
    end = DateField("To", validators=[DataRequired()])


def _page(form: BundleForm, status: int = 200) -> Any:
    return render_template("web/evidence_bundles.html", form=form), status


@bp.get("/evidence-bundles")
@allow(*EVIDENCE_EXPORTERS)
def bundles() -> Any:
    """The export form, with what a bundle holds and how to verify it."""
    return _page(BundleForm())


@bp.post("/evidence-bundles")
@allow(*EVIDENCE_EXPORTERS)
def export() -> Any:
    """Build the period's bundle and send it; problems come back on the same page."""
    # Imported here so the portal starts without the OSCAL models loaded (they take ~1 s).
    from app.evidence.bundle import export_bundle

    form = BundleForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _page(form, 400)
    try:
        period = Period(form.start.data, form.end.data)
        with tempfile.TemporaryDirectory(prefix="gatehouse-bundle-") as folder:
            out = Path(folder) / "bundle.zip"
            with unit_of_work() as session:
                export_bundle(
                    session=session,
                    settings=current_app.config["GATEHOUSE"],
                    period=period,
                    out=out,
                    actor=current_principal().username,
                )
            data = out.read_bytes()
    except GatehouseError as error:
        flash(str(error), "error")
        return _page(form, error.status)
    filename = f"evidence-{period.start.isoformat()}-{period.end.isoformat()}.zip"
    return attachment(data, filename, mimetype="application/zip")
