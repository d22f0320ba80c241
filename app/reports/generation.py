"""One call from plain data to a signed report: the entry point the registry uses.

``generate_report`` picks the kind's template from the registry
(:mod:`app.reports.kind`), draws the kind's charts from the context, renders the PDF in the time-limited worker and signs it. It reads no database
and knows no web framework: the registry's report service gathers the context (see
:mod:`app.reports.contexts`), calls this, then records and ledgers the result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.reports.attachments import EvidenceFile, with_manifest
from app.reports.errors import ReportContextError
from app.reports.identity import SigningIdentity
from app.reports.kind import report_kind as registered_kind
from app.reports.rendering import PdfAttachment, RenderOptions, render_html, render_pdf
from app.reports.signing import SignatureLevel, SigningOptions, sign_pdf

if TYPE_CHECKING:  # the ledger imports the reports' signing identity at run time
    from app.ledger.anchors import LedgerReference

__all__ = ["GeneratedReport", "generate_report", "report_html"]


@dataclass(frozen=True)
class GeneratedReport:
    """A signed report, with what the registry records about it."""

    kind: str
    pdf: bytes
    sha256: str
    """SHA-256 of ``pdf`` (hex): what ``verify_pdf(expected_sha256=...)`` compares."""
    signer_subject: str
    signer_fingerprint_sha256: str
    signer_certificate_pem: str
    self_signed: bool
    signature_level: SignatureLevel
    page_count: int
    render_seconds: float
    sign_seconds: float


def report_html(
    *,
    kind: str,
    context: Mapping[str, Any],
    identity: SigningIdentity,
    tsa_url: str | None = None,
    ledger_reference: LedgerReference | None = None,
    evidence: Sequence[EvidenceFile] = (),
) -> str:
    """The HTML a report is rendered from (the PDF's content before WeasyPrint).

    Templates see the kind's ``evidence`` files as ``attached_evidence`` (name,
    description, SHA-256), so a page can say what it embeds instead of printing it.
    """
    report_kind = registered_kind(kind)
    try:
        figures = report_kind.figures(context)
    except KeyError as error:
        raise ReportContextError(f"{kind}: the context lacks {error.args[0]!r}") from error
    signing = {
        "subject": identity.subject,
        "fingerprint_sha256": identity.fingerprint_sha256,
        "self_signed": identity.self_signed,
        "timestamped": tsa_url is not None,
        "tsa_url": tsa_url,
    }
    return render_html(
        report_kind.template,
        {
            **context,
            **figures,
            "signing": signing,
            "kind_label": report_kind.label,
            "ledger_reference": None if ledger_reference is None else ledger_reference.as_context(),
            "attached_evidence": [
                {"name": item.name, "description": item.description, "sha256": item.sha256}
                for item in evidence
            ],
        },
        template_dirs=report_kind.template_dirs,
    )


def _pdf_attachments(
    files: Sequence[EvidenceFile], *, kind: str, created: dt.datetime
) -> tuple[PdfAttachment, ...]:
    """The evidence files and their manifest as PDF/A-3 associated files (none: none)."""
    if not files:
        return ()
    return tuple(
        PdfAttachment(
            name=item.name, data=item.text.encode(), description=item.description, created=created
        )
        for item in with_manifest(files, created=created, report_kind=kind)
    )


def generate_report(
    *,
    kind: str,
    context: Mapping[str, Any],
    identity: SigningIdentity,
    tsa_url: str | None = None,
    render_options: RenderOptions | None = None,
    signing_options: SigningOptions | None = None,
    ledger_reference: LedgerReference | None = None,
    evidence: Sequence[EvidenceFile] = (),
) -> GeneratedReport:
    """Render the ``kind`` report from ``context`` and sign it with ``identity``.

    With ``tsa_url`` (or ``signing_options.tsa_url``) the signature is timestamped (PAdES
    B-T, B-LT when the chain can be validated offline); without, it is PAdES B-B. A
    ``ledger_reference`` (the ledger head and latest checkpoint) is printed on the cover
    and embedded as an attachment under the signature, so verification can check it.
    The ``evidence`` files (:mod:`app.reports.attachments`) are embedded beside it, with a
    manifest of their SHA-256s, all inside the signed byte range.
    """
    render_options = render_options or RenderOptions()
    signing_options = signing_options or SigningOptions()
    if tsa_url is not None:
        signing_options = dataclasses.replace(signing_options, tsa_url=tsa_url)
    html = report_html(
        kind=kind,
        context=context,
        identity=identity,
        tsa_url=signing_options.tsa_url,
        ledger_reference=ledger_reference,
        evidence=evidence,
    )
    files = list(evidence)
    if ledger_reference is not None:
        files.append(
            EvidenceFile(
                ledger_reference.attachment_name,
                "Gatehouse ledger head and latest signed checkpoint",
                ledger_reference.to_json(),
            )
        )
    attachments = _pdf_attachments(files, kind=kind, created=context["meta"]["generated_at"])
    started = time.perf_counter()
    rendered = render_pdf(html, options=render_options, attachments=attachments)
    rendered_at = time.perf_counter()
    signed = sign_pdf(
        rendered.data, identity=identity, options=signing_options, box=rendered.signature_box
    )
    signed_at = time.perf_counter()
    return GeneratedReport(
        kind=kind,
        pdf=signed.data,
        sha256=hashlib.sha256(signed.data).hexdigest(),
        signer_subject=identity.subject,
        signer_fingerprint_sha256=identity.fingerprint_sha256,
        signer_certificate_pem=identity.certificate_pem,
        self_signed=identity.self_signed,
        signature_level=signed.level,
        page_count=rendered.page_count,
        render_seconds=rendered_at - started,
        sign_seconds=signed_at - rendered_at,
    )
