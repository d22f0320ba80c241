"""Portal pages for signed reports: the list with downloads, the generate form, verification.

Downloads are ledgered with the user, exactly as through the API; the verification page
says in words whether an uploaded PDF is intact, who signed it and when, how far its
signer can be trusted, and whether the registry issued that exact file.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional

from app.auth.guard import allow, current_principal
from app.auth.roles import REPORT_GENERATORS, REPORT_READERS
from app.db import unit_of_work
from app.downloads import report_download
from app.errors import GatehouseError
from app.models.evidence import Report
from app.registry.records import list_records
from app.reports import service as report_service
from app.reports.kind import report_kind, report_kinds
from app.reports.prepared import Period, ReportRequest
from app.reports.service import (
    MAX_VERIFY_BYTES,
    read_upload,
    report_filename,
    verify_upload,
)
from app.web.pages import after_cursor, flash_form_errors, holds

bp = Blueprint("web_reports", __name__)


class GenerateForm(FlaskForm):
    """Which report, about which registry object (or which period)."""

    kind = SelectField("Kind", validators=[DataRequired()])
    subject_id = IntegerField("Subject id", validators=[Optional(), NumberRange(min=1)])
    period_start = DateField("Period start", validators=[Optional()])
    period_end = DateField("Period end", validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Offer every registered kind (read when the form is built, not at import)."""
        super().__init__(*args, **kwargs)
        self.kind.choices = [
            SelectChoice(name, kind.label) for name, kind in report_kinds().items()
        ]

    def report_request(self) -> ReportRequest:
        """The report the form asks for."""
        if report_kind(self.kind.data or "").about_a_period:
            period = Period.between(self.period_start.data, self.period_end.data)
            return ReportRequest(self.kind.data or "", period=period)
        return ReportRequest(self.kind.data or "", subject_id=self.subject_id.data)


class VerifyForm(FlaskForm):
    """A PDF to verify."""

    file = FileField("Signed PDF", validators=[FileRequired()])


def _list_page(*, generate: GenerateForm | None = None, status: int = 200) -> Any:
    """The reports list with the generate and verify forms."""
    with unit_of_work() as session:
        page = list_records(
            session=session,
            model=Report,
            filters={"kind": request.args.get("kind") or None},
            after=after_cursor(),
        )
    return (
        render_template(
            "web/reports.html",
            page=page,
            filenames={report.id: report_filename(report) for report in page.items},
            labels={name: kind.label for name, kind in report_kinds().items()},
            subjects={name: kind.subject_type for name, kind in report_kinds().items()},
            generate=generate or (GenerateForm() if holds(REPORT_GENERATORS) else None),
            verify=VerifyForm(),
            max_mib=MAX_VERIFY_BYTES // (1024 * 1024),
        ),
        status,
    )


@bp.get("/reports")
@allow(*REPORT_READERS)
def reports() -> Any:
    """Every report, oldest first, with download links; generate and verify forms."""
    return _list_page()


@bp.post("/reports")
@allow(*REPORT_GENERATORS)
def generate() -> Any:
    """Generate a report from the form; problems come back on the same page."""
    form = GenerateForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _list_page(generate=form, status=400)
    try:
        report = report_service.generate(
            sessions=unit_of_work,
            settings=current_app.config["GATEHOUSE"],
            request=form.report_request(),
            actor=current_principal().username,
        )
    except GatehouseError as error:
        flash(str(error), "error")
        return _list_page(generate=form, status=error.status)
    flash(f"report {report.id} generated and signed ({report.page_count} pages)", "ok")
    return redirect(url_for("web_reports.reports"))


@bp.get("/reports/<int:report_id>/download")
@allow(*REPORT_READERS)
def download(report_id: int) -> Any:
    """The signed PDF; the download is ledgered with the user."""
    return report_download(report_id)


@bp.post("/reports/verify")
@allow(*REPORT_READERS)
def verify() -> Any:
    """Verify an uploaded PDF and show the outcome in words."""
    form = VerifyForm()
    if not form.validate_on_submit():
        flash("choose a PDF file to verify", "error")
        return _list_page(status=400)
    upload = form.file.data
    try:
        data = read_upload(upload.stream)
        with unit_of_work() as session:
            outcome = verify_upload(
                session=session, settings=current_app.config["GATEHOUSE"], data=data
            )
    except GatehouseError as error:
        flash(str(error), "error")
        return _list_page(status=error.status)
    return render_template(
        "web/reports_verify.html",
        outcome=outcome,
        result=outcome.result,
        filename=upload.filename or "upload.pdf",
        labels={name: kind.label for name, kind in report_kinds().items()},
    )
