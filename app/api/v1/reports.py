"""Signed reports: generate, list, download (ledgered), verify an uploaded PDF.

Compliance officers, model risk and admins generate; every report reader (auditors
included) lists, downloads and verifies. Rendering takes seconds, so generation reads
the registry in one unit of work, renders outside any transaction, and records the
report in a second one.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from flask import Blueprint, current_app
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session

from app.api.v1.common import Answer, ListQuery, page_of, public, route
from app.api.v1.file_parts import FilePart
from app.auth.guard import current_principal
from app.auth.roles import REPORT_GENERATORS, REPORT_READERS
from app.db import unit_of_work
from app.downloads import report_download
from app.models.base import RowId
from app.models.evidence import Report, ReportPublic
from app.registry.records import get_record, list_records
from app.reports import service as report_service
from app.reports.kind import report_kind, report_kinds
from app.reports.prepared import Period, ReportRequest
from app.reports.service import (
    MAX_VERIFY_BYTES,
    read_upload,
    report_filename,
    verify_upload,
)

bp = Blueprint("api_reports", __name__, url_prefix="/api/v1/reports")


class ReportCreate(BaseModel):
    """What to report on: a registry object by id, or a period for the periodic report."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(
        description="a registered report kind: model_card, dataset_sheet, audit_report, "
        "promotion_evidence, periodic_compliance, or one an extension registers"
    )
    subject_id: RowId | None = None
    period_start: date | None = None
    period_end: date | None = None

    @model_validator(mode="after")
    def _subject_matches_kind(self) -> ReportCreate:
        kinds = report_kinds()
        if self.kind not in kinds:
            raise ValueError(f"kind must be one of {', '.join(kinds)}")
        kind = kinds[self.kind]
        if kind.about_a_period:
            if self.period_start is None or self.period_end is None:
                raise ValueError(f"{self.kind} needs period_start and period_end")
        elif self.subject_id is None:
            raise ValueError(
                f"{self.kind} needs subject_id (a {kind.subject_type.replace('_', ' ')} id)"
            )
        return self

    def request(self) -> ReportRequest:
        """The report asked for."""
        if report_kind(self.kind).about_a_period:
            return ReportRequest(
                self.kind, period=Period.between(self.period_start, self.period_end)
            )
        return ReportRequest(self.kind, subject_id=self.subject_id)


class ReportListQuery(ListQuery):
    """Filters for reports."""

    kind: str | None = None
    subject_type: str | None = None
    subject_id: RowId | None = None


class ReportDetail(ReportPublic):
    """A report with the file name it downloads as."""

    filename: str


def _body(report: Report) -> ReportDetail:
    return public(ReportDetail, report, filename=report_filename(report))


@route(
    bp,
    "POST",
    "",
    REPORT_GENERATORS,
    status=201,
    answer=ReportDetail,
    refusals=(502, 504),
)
def generate(session: Session, json: ReportCreate) -> Answer:
    """Generate, sign, store and record a report (takes a few seconds)."""
    # Rendering takes seconds: the service reads in its own short unit of work first, and
    # records in this one (not begun before), which commits with the answer.
    report = report_service.generate(
        sessions=unit_of_work,
        settings=current_app.config["GATEHOUSE"],
        request=json.request(),
        actor=current_principal().username,
        record_in=session,
    )
    return _body(report)


@route(bp, "GET", "", REPORT_READERS, answer=page_of(ReportDetail))
def list_reports(session: Session, query: ReportListQuery) -> Answer:
    """Reports, oldest first, filtered by kind and subject."""
    filters = query.model_dump(exclude={"after", "limit"})
    page = list_records(
        session=session, model=Report, filters=filters, after=query.after, limit=query.limit
    )
    return page_of(ReportDetail)(items=[_body(r) for r in page.items], next_after=page.next_after)


@route(bp, "GET", "/<int:report_id>", REPORT_READERS, answer=ReportDetail)
def get_report(session: Session, report_id: int) -> Answer:
    """One report's record."""
    return _body(get_record(session=session, model=Report, record_id=report_id))


@route(
    bp,
    "GET",
    "/<int:report_id>/download",
    REPORT_READERS,
    answer=None,
    file_type="application/pdf",
)
def download(_session: Session, report_id: int) -> Answer:
    """The signed PDF as an attachment; the download is ledgered with the user."""
    return report_download(report_id)


class VerifyForm(BaseModel):
    """The PDF to verify, as the multipart part ``file``."""

    #: A larger body is refused (413) before its form is read: the PDF's limit and room
    #: for the multipart framing.
    max_body_bytes: ClassVar[int] = MAX_VERIFY_BYTES + 64 * 1024

    file: FilePart


class UploadVerificationPublic(BaseModel):
    """An uploaded PDF's signature verdict and whether this registry issued it."""

    verdict: str
    intact: bool
    trust: str
    sha256: str
    expected_sha256: str | None
    sha256_matches: bool | None
    problems: list[str]
    signatures: list[dict[str, Any]]
    installation_signer: bool | None
    ledger: dict[str, Any] | None
    registry: dict[str, Any]


# Verification changes nothing, but every non-GET API call needs a mutating scope.
@route(
    bp,
    "POST",
    "/verify",
    REPORT_READERS,
    answer=UploadVerificationPublic,
)
def verify(session: Session, form: VerifyForm) -> Answer:
    """Verify an uploaded PDF (multipart ``file``): signature, signer, trust, registry match."""
    data = read_upload(form.file.stream)
    outcome = verify_upload(session=session, settings=current_app.config["GATEHOUSE"], data=data)
    return outcome.as_dict()
