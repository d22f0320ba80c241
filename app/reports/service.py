"""The registry's report service: generate, record, download and verify signed reports.

:func:`generate` is the one way every door (portal, API, CLI, demo) makes a report. It
takes three steps so the database transaction stays short: :func:`build_context` reads
the registry in one unit of work, :func:`render_report` renders and signs (seconds, no
database), :func:`record_report` stores the PDF content-addressed under
``storage_dir/reports`` (moved to its address as its row commits) and records and ledgers the :class:`~app.models.evidence.Report`
row in a second unit of work. Every download is ledgered with the user; an uploaded PDF
is verified offline and matched against the registry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from asn1crypto import x509 as asn1_x509
from sqlmodel import Session, select

from app.config import Settings
from app.errors import UploadTooLargeError, ValidationError
from app.ledger import append_record_event
from app.ledger.anchors import (
    LedgerReference,
    LedgerReferenceCheck,
    check_reference,
    current_reference,
    read_reference,
)
from app.models.base import utc_now
from app.models.evidence import Report
from app.registry.records import get_record, ledger_payload, write_record
from app.reports.errors import ReportFileMissingError
from app.reports.generation import GeneratedReport, generate_report
from app.reports.identity import passphrase_path
from app.reports.kind import report_kind
from app.reports.prepared import Period, PreparedReport, ReportRequest
from app.reports.reader import load_reader
from app.reports.signing_setup import configured_trust_roots, signing_identity, signing_options
from app.reports.verification import VerificationResult, verify_pdf
from app.storage import stage_stream
from app.storage_commit import promote_on_commit

__all__ = [
    "MAX_VERIFY_BYTES",
    "Period",
    "ReportDownload",
    "ReportRequest",
    "UploadVerification",
    "build_context",
    "generate",
    "read_upload",
    "record_download",
    "record_report",
    "render_report",
    "report_filename",
    "signing_identity",
    "stored_pdf",
    "verify_upload",
]

#: Largest PDF accepted for verification (a 30-page evidence pack is well under 1 MiB).
MAX_VERIFY_BYTES = 25 * 1024 * 1024

#: Folder under ``storage_dir`` holding the signed PDFs.
_REPORTS_FOLDER = "reports"
#: Largest report file the store accepts (a guard, far above any real report).
_MAX_REPORT_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class ReportDownload:
    """A registered report's file, checked against its recorded SHA-256."""

    report: Report
    data: bytes
    filename: str
    """A safe file name generated from the record (never from user input)."""


@dataclass(frozen=True)
class UploadVerification:
    """What an uploaded PDF is: the signature verdict and its place in the registry."""

    result: VerificationResult
    report: Report | None
    """The registered report with the same SHA-256, if any."""
    installation_signer: bool | None
    """Whether the signer is this installation's signing identity (``None``: no identity yet)."""
    ledger: LedgerReferenceCheck | None = None
    """The embedded ledger head and checkpoint checked against this ledger (``None``: none)."""

    @property
    def registered(self) -> bool:
        """Whether this exact file was issued by this registry."""
        return self.report is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the API."""
        report = self.report
        return {
            **self.result.as_dict(),
            "installation_signer": self.installation_signer,
            "ledger": None if self.ledger is None else self.ledger.as_dict(),
            "registry": {
                "registered": report is not None,
                "report_id": report.id if report else None,
                "kind": report.kind if report else None,
                "subject_type": report.subject_type if report else None,
                "subject_id": report.subject_id if report else None,
                "created_at": report.created_at.isoformat() if report else None,
                "created_by": report.created_by if report else None,
            },
        }


def render_report(
    *,
    settings: Settings,
    prepared: PreparedReport,
    ledger_reference: LedgerReference | None = None,
) -> GeneratedReport:
    """Render and sign a prepared report (no database; takes seconds).

    ``ledger_reference`` (read with the context, see :func:`generate`) is embedded in the
    signed PDF, so verifying the report later proves the ledger still holds it.
    """
    return generate_report(
        kind=prepared.kind,
        context=prepared.context,
        identity=signing_identity(settings),
        signing_options=signing_options(settings),
        ledger_reference=ledger_reference,
        evidence=prepared.evidence,
    )


def record_report(
    *,
    session: Session,
    settings: Settings,
    prepared: PreparedReport,
    generated: GeneratedReport,
    actor: str,
) -> Report:
    """Stage the signed PDF, record the Report row and ledger it; the PDF reaches its
    content address as the session commits, before the row is visible
    (``app.storage_commit``), so no report is listed without its file."""
    root = settings.storage_dir / _REPORTS_FOLDER
    stored = stage_stream(
        io.BytesIO(generated.pdf), root=root, max_bytes=_MAX_REPORT_BYTES, suffix=".pdf"
    )
    promote_on_commit(session=session, staged=stored)
    report = Report(
        kind=prepared.kind,
        subject_type=prepared.subject_type,
        subject_id=prepared.subject_id,
        pdf_sha256=generated.sha256,
        storage_path=stored.target.relative_to(settings.storage_dir).as_posix(),
        signer_subject=generated.signer_subject,
        signature_level=generated.signature_level.value,
        self_signed=generated.self_signed,
        page_count=generated.page_count,
        created_by=actor,
    )
    period = prepared.period
    return write_record(
        session=session,
        record=report,
        action="report.generated",
        actor=actor,
        payload={
            **ledger_payload(report.model_dump(exclude={"id", "created_at"})),
            "signer_fingerprint_sha256": generated.signer_fingerprint_sha256,
            **(
                {"period_start": period.start.isoformat(), "period_end": period.end.isoformat()}
                if period is not None
                else {}
            ),
        },
    )


#: Opens a unit of work: ``with sessions() as session`` commits on success.
SessionFactory = Callable[[], AbstractContextManager[Session]]


def build_context(
    *,
    session: Session,
    settings: Settings,
    request: ReportRequest,
    actor: str,
    generated_at: dt.datetime | None = None,
) -> PreparedReport:
    """Gather the context of the requested report from the registry (reads only).

    Raises a not-found error for an unknown subject and
    :class:`~app.reports.errors.ReportSubjectNotReadyError` when the subject lacks what
    its report shows.
    """
    kind = report_kind(request.kind)
    reader = load_reader(session=session, settings=settings)
    stamp = {"actor": actor, "generated_at": generated_at or utc_now()}
    if kind.about_a_period:
        if request.period is None:
            raise ValidationError(f"a {kind.label.lower()} needs a period (start and end)")
        context = kind.build(reader, period=request.period, **stamp)
        evidence = tuple(kind.evidence(reader, context))
        return PreparedReport(kind.name, kind.subject_type, None, request.period, context, evidence)
    if request.subject_id is None:
        raise ValidationError(
            f"a {kind.name} report needs the id of its {kind.subject_type.replace('_', ' ')}"
        )
    context = kind.build(reader, subject_id=request.subject_id, **stamp)
    evidence = tuple(kind.evidence(reader, context))
    return PreparedReport(kind.name, kind.subject_type, request.subject_id, None, context, evidence)


def generate(
    *,
    sessions: SessionFactory,
    settings: Settings,
    request: ReportRequest,
    actor: str,
    record_in: Session | None = None,
) -> Report:
    """Build, render, sign, store, record and ledger one report: what every door calls.

    The registry is read in one unit of work from ``sessions`` and the report recorded in
    a second, so no transaction stays open while the PDF renders. A door that must
    commit the report with something of its own (the API's stored answer to an
    ``Idempotency-Key``) passes its session as ``record_in`` and commits it.
    """
    with sessions() as session:
        prepared = build_context(session=session, settings=settings, request=request, actor=actor)
        # The head and latest checkpoint as of the same read: what the report pins.
        reference = current_reference(session=session)
    generated = render_report(settings=settings, prepared=prepared, ledger_reference=reference)
    recorder = sessions() if record_in is None else nullcontext(record_in)
    with recorder as session:
        return record_report(
            session=session, settings=settings, prepared=prepared, generated=generated, actor=actor
        )


def report_filename(report: Report) -> str:
    """``<kind>-<subject>-<date>-<sha prefix>.pdf`` from the record's own fields only."""
    subject = (
        f"{report.subject_type}-{report.subject_id}"
        if report.subject_id is not None
        else report.subject_type
    )
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in f"{report.kind}-{subject}")
    return f"{safe}-{report.created_at:%Y%m%d}-{report.pdf_sha256[:12]}.pdf"


def _stored_file(settings: Settings, report: Report) -> Path:
    """Where a report's PDF lives; never outside the storage folder."""
    root = settings.storage_dir.resolve()
    path = (root / report.storage_path).resolve()
    if not path.is_relative_to(root):
        raise ReportFileMissingError(f"report {report.id} points outside the report storage")
    return path


def stored_pdf(settings: Settings, report: Report) -> bytes:
    """A report's stored PDF, checked against the SHA-256 recorded when it was issued."""
    try:
        data = _stored_file(settings, report).read_bytes()
    except OSError as error:
        raise ReportFileMissingError(
            f"the PDF of report {report.id} is missing from storage: {error.strerror}"
        ) from error
    if hashlib.sha256(data).hexdigest() != report.pdf_sha256:
        raise ReportFileMissingError(
            f"the stored PDF of report {report.id} no longer matches its recorded SHA-256"
        )
    return data


def record_download(
    *, session: Session, settings: Settings, report_id: int, actor: str
) -> ReportDownload:
    """Read a report's PDF, check it is the file that was issued, and ledger the download."""
    report = get_record(session=session, model=Report, record_id=report_id)
    data = stored_pdf(settings, report)
    append_record_event(
        session=session,
        record=report,
        action="report.downloaded",
        actor=actor,
        payload={"kind": report.kind, "pdf_sha256": report.pdf_sha256},
    )
    return ReportDownload(report=report, data=data, filename=report_filename(report))


def _installation_fingerprint(settings: Settings) -> str | None:
    """The fingerprint of this installation's signing identity, if it exists already."""
    path = settings.signing_identity_path
    if not path.exists():
        return None
    if not settings.signing_passphrase and not passphrase_path(path).exists():
        return None
    return signing_identity(settings).fingerprint_sha256


def _organisation_roots(settings: Settings) -> tuple[asn1_x509.Certificate, ...]:
    """The root of the organisation's configured certificate chain, which it trusts,
    and the roots configured beside it (``GATEHOUSE_SIGNING_TRUST_ROOTS``, e.g. the TSA's).

    The embedded self-signed identity is never made a trust root: its reports stay
    ``self-signed`` so nobody mistakes them for certificates an authority vouches for.
    """
    configured = configured_trust_roots(settings)
    if not settings.signing_passphrase:
        return configured
    identity = signing_identity(settings)
    return configured if identity.self_signed else (identity.trust_anchor, *configured)


def read_upload(stream: IO[bytes], *, max_bytes: int = MAX_VERIFY_BYTES) -> bytes:
    """Read an uploaded PDF into memory, refusing more than ``max_bytes`` (HTTP 413)."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadTooLargeError(
            f"the file exceeds the verification limit of {max_bytes // (1024 * 1024)} MiB"
        )
    return data


def verify_upload(*, session: Session, settings: Settings, data: bytes) -> UploadVerification:
    """Verify an uploaded PDF offline and look its SHA-256 up in the report registry.

    A registered file is also checked against its recorded digest; trust stays as the
    signature says (a self-signed installation is ``self-signed``, never ``trusted``).
    """
    digest = hashlib.sha256(data).hexdigest()
    report = session.exec(select(Report).where(Report.pdf_sha256 == digest)).first()
    result = verify_pdf(
        data,
        trust_roots=_organisation_roots(settings),
        expected_sha256=report.pdf_sha256 if report else None,
    )
    fingerprint = _installation_fingerprint(settings)
    signers = {check.signer_fingerprint_sha256 for check in result.signatures}
    reference = read_reference(data) if result.intact else None
    return UploadVerification(
        result=result,
        report=report,
        installation_signer=None if fingerprint is None else (signers == {fingerprint}),
        ledger=None
        if reference is None
        else check_reference(
            session=session, reference=reference, trust_roots=_organisation_roots(settings)
        ),
    )
