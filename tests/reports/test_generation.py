"""Each report kind, generated from realistic data, read back: text, metadata, fonts, pages."""

from __future__ import annotations

import io
import subprocess
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from app.reports import (
    GeneratedReport,
    SignatureLevel,
    SigningIdentity,
    TrustStatus,
    Verdict,
    generate_report,
    verify_pdf,
)
from app.reports.errors import ReportContextError, UnknownReportKindError
from app.reports.kind import report_kind
from tests.reports.conftest import ARTIFACTS, pdf_text, require_binary
from tests.reports.contexts import (
    BUILDERS,
    GENERATED_AT,
    ORGANISATION,
    audit_report_context,
    model_card_context,
)

KINDS = list(BUILDERS)


def _outline_titles(outline: list[Any]) -> list[str]:
    """Bookmark titles in document order, nested levels flattened."""
    titles: list[str] = []
    for item in outline:
        titles.extend(_outline_titles(item) if isinstance(item, list) else [item.title])
    return titles


def _expected_phrases(kind: str) -> list[str]:
    """Figures and names the context holds that the PDF must show."""
    context = BUILDERS[kind]()
    phrases = [ORGANISATION, context["meta"]["generated_by"], "2026-11-26 07:30:00 UTC"]
    if kind == "model_card":
        phrases += [
            "credit-limit-advisor v3.2",
            "Llama-3.1-8B-Instruct",
            "Intended use",
            "Out-of-scope use",
            "Ethical considerations",
            "Caveats and recommendations",
            "Mortgage underwriting",
            "0.8537",
            context["training_datasets"][0]["sha256"][:32],
        ]
    elif kind == "dataset_sheet":
        phrases += [
            "loan-applications-eu 2026-09",
            "Art. 6(1)(f) legitimate interests",
            "DPIA-2026-031",
            "2029-09-30",
            "PHONE_NUMBER",
            "1,204",
            "j***@example.org",
            "missing 'output' field",
            "40211",
        ]
    elif kind == "audit_report":
        phrases += [
            "aud-2026-1187",
            "Verdict of the gate: PASS",
            "0.8312",
            "0.105\u20130.122",  # en dash between the interval bounds
            "10,860",
            "capital-gain",
            "0.4117",
            "app-77120",
            "False-positive rate for Male",
            "Selection rate by sex and race (intersectional)",
            "groups with fewer than 30 members are not shown",
        ]
    elif kind == "promotion_evidence":
        phrases += [
            "production_promotion: ALLOW",
            "GDPR-ART22",
            "Regulation (EU) 2016/679 Art. 22(3)",
            "45 CFR 164.514(b)",
            "not applicable",
            "Tomasz Wójcik",
            "2026-11-25 10:12:00 UTC",
            "Ingrid Halvorsen",
            "run-311",
            context["ledger"][-1]["hash"][:32],
            "The ledger hash chain verified",
        ]
    elif kind == "periodic_compliance":
        phrases += [
            "Q4 2026 (to date)",
            "discharge-summary-drafter v1.4",
            "clinical-notes v3",
            "212: 160 allowed, 48 denied, 4 indeterminate",
            "PHI is de-identified before training",
            "gatehouse-periodic-decisions.json",
            "contains PHI and is not de-identified",
            "2026-12-03 00:00:00 UTC",
        ]
    return phrases


@pytest.mark.parametrize("kind", KINDS)
def test_pdf_text_holds_the_figures_and_names_of_its_context(
    reports: dict[str, GeneratedReport], kind: str
) -> None:
    text = pdf_text(reports[kind].pdf)
    missing = [phrase for phrase in _expected_phrases(kind) if phrase not in text]
    assert not missing, f"{kind} lacks {missing}"


@pytest.mark.parametrize("kind", KINDS)
def test_report_names_its_self_signed_signer(
    reports: dict[str, GeneratedReport], identity: SigningIdentity, kind: str
) -> None:
    text = pdf_text(reports[kind].pdf)
    assert "Self-signed identity." in text
    assert identity.fingerprint_sha256[:40] in text.replace(" ", "")
    assert reports[kind].self_signed
    assert reports[kind].signer_subject == identity.subject


@pytest.mark.parametrize("kind", KINDS)
def test_pyhanko_reports_the_signature_intact_and_covering_the_file(
    reports: dict[str, GeneratedReport], identity: SigningIdentity, kind: str
) -> None:
    report = reports[kind]
    assert report.signature_level is SignatureLevel.B_B
    reader = PdfFileReader(io.BytesIO(report.pdf))
    (signature,) = reader.embedded_signatures
    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=[identity.certificate])
    )
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage is not None and status.coverage.name == "ENTIRE_FILE"


@pytest.mark.parametrize("kind", KINDS)
def test_verify_pdf_trusts_only_with_the_root(
    reports: dict[str, GeneratedReport], identity: SigningIdentity, kind: str
) -> None:
    report = reports[kind]
    untrusted = verify_pdf(report.pdf, expected_sha256=report.sha256)
    assert untrusted.verdict is Verdict.INTACT_UNTRUSTED
    assert untrusted.trust is TrustStatus.SELF_SIGNED
    assert untrusted.sha256_matches is True
    trusted = verify_pdf(report.pdf, trust_roots=[identity.certificate])
    assert trusted.verdict is Verdict.VERIFIED
    (check,) = trusted.signatures
    assert check.signer_subject == identity.subject
    assert check.signer_fingerprint_sha256 == identity.fingerprint_sha256
    assert check.signing_time is not None
    assert check.timestamp is None


@pytest.mark.parametrize("kind", KINDS)
def test_pdf_metadata_pages_bookmarks_and_archive_variant(
    reports: dict[str, GeneratedReport], kind: str
) -> None:
    report = reports[kind]
    reader = PdfReader(io.BytesIO(report.pdf))
    info = reader.metadata
    assert info is not None
    assert info.title and info.title.startswith(report_kind(kind).label + ": ")
    assert info.author == ORGANISATION
    assert info.subject
    assert info.creation_date is not None
    assert info.creation_date.replace(tzinfo=GENERATED_AT.tzinfo) == GENERATED_AT
    assert len(reader.pages) == report.page_count
    bookmarks = _outline_titles(reader.outline)
    assert bookmarks[0] == info.title
    assert len(bookmarks) >= 5
    assert "Contents" not in bookmarks
    root: Any = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "pdfaid:part" in xmp and "3" in xmp


@pytest.mark.parametrize("kind", KINDS)
def test_page_one_renders_to_png_with_all_fonts_embedded(
    reports: dict[str, GeneratedReport], kind: str
) -> None:
    pdftoppm = require_binary("pdftoppm")
    pdffonts = require_binary("pdffonts")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf_path = ARTIFACTS / f"{kind}.pdf"
    pdf_path.write_bytes(reports[kind].pdf)
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf_path,
            ARTIFACTS / f"{kind}-page1",
        ],
        check=True,
    )
    png = ARTIFACTS / f"{kind}-page1.png"
    assert png.stat().st_size > 20_000  # a page with text, not a blank one
    listing = subprocess.run(
        [pdffonts, pdf_path], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert listing, "no fonts listed"
    for line in listing:
        assert line.split()[-5] == "yes", f"font not embedded: {line}"


def test_identical_context_renders_identical_pages(identity: SigningIdentity) -> None:
    first = generate_report(kind="model_card", context=model_card_context(), identity=identity)
    second = generate_report(kind="model_card", context=model_card_context(), identity=identity)
    assert pdf_text(first.pdf) == pdf_text(second.pdf)


def test_text_from_the_context_is_escaped_not_interpreted(identity: SigningIdentity) -> None:
    context = audit_report_context()
    context["audit"]["summary"] = "<b>bold</b> & <img src='http://example.com/x.png'>"
    report = generate_report(kind="audit_report", context=context, identity=identity)
    assert "<b>bold</b> & <img src='http://example.com/x.png'>" in pdf_text(report.pdf)


def test_figures_must_be_svg_from_the_chart_module(identity: SigningIdentity) -> None:
    context = audit_report_context()
    context["figures"] = [{"title": "x", "svg": "<script>alert(1)</script>"}]
    with pytest.raises(ReportContextError, match="svg"):
        generate_report(kind="audit_report", context=context, identity=identity)


def test_missing_context_field_is_named(identity: SigningIdentity) -> None:
    context: dict[str, Any] = dict(model_card_context())
    context["card"] = {k: v for k, v in context["card"].items() if k != "intended_use"}
    with pytest.raises(ReportContextError, match="intended_use"):
        generate_report(kind="model_card", context=context, identity=identity)


def test_unknown_kind_is_rejected(identity: SigningIdentity) -> None:
    with pytest.raises(UnknownReportKindError, match="model_card"):
        generate_report(kind="press_release", context={}, identity=identity)
