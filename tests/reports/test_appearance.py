"""The visible signature on the cover: where it is, what it says, how it is tagged."""

from __future__ import annotations

import io
import re
import subprocess

from pyhanko.pdf_utils.reader import PdfFileReader

from app.reports import GeneratedReport, SigningIdentity, Verdict, verify_pdf
from tests.reports.conftest import require_binary


def _cover_text(pdf: bytes) -> str:
    """Page 1 as poppler reads it, annotation appearances included."""
    pdftotext = require_binary("pdftotext")
    return subprocess.run(
        [pdftotext, "-f", "1", "-l", "1", "-layout", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()


def test_the_cover_carries_a_visible_tagged_signature(
    reports: dict[str, GeneratedReport], identity: SigningIdentity
) -> None:
    report = reports["audit_report"]
    reader = PdfFileReader(io.BytesIO(report.pdf))
    [field] = [
        ref.get_object()
        for ref in reader.root["/AcroForm"]["/Fields"]
        if ref.get_object()["/T"] == "GatehouseSignature"
    ]
    x1, y1, x2, y2 = (float(value) for value in field["/Rect"])
    assert x2 - x1 > 400 and y2 - y1 > 90  # a real box on the page, not 0 x 0
    assert int(field["/F"]) & 4  # printed
    assert "/N" in field["/AP"]  # drawn by its own appearance stream
    first_page = reader.root["/Pages"]["/Kids"][0]
    assert field["/P"] == first_page
    assert first_page["/Tabs"] == "/S"

    # PDF/UA: the widget hangs in the structure tree as a Form element with alternate text.
    numbers = reader.root["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    parents = {int(numbers[i]): numbers[i + 1] for i in range(0, len(numbers), 2)}
    form = parents[int(field["/StructParent"])]
    assert form["/S"] == "/Form"
    assert form["/K"]["/Obj"] == field
    assert "signer, organisation, time, reason" in str(form["/Alt"])

    text = _cover_text(report.pdf)
    subject = identity.certificate.subject.native
    assert f"Digitally signed by {subject['common_name']}" in text
    assert f"Organisation: {subject['organization_name']}" in text
    assert re.search(
        r"Time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(the signer's clock; no timestamp "
        r"authority vouches for it\)",
        text,
    )
    assert "Reason: Gatehouse compliance report: issued and sealed against alteration" in text
    assert "Covers: this whole file as issued, every page and embedded file" in text
    assert "Verify: gatehouse report verify FILE" in text
    assert f"Signer certificate SHA-256: {identity.fingerprint_sha256}" in text

    # The field and its tagging were added in the signed revision: still intact and covered.
    result = verify_pdf(report.pdf, trust_roots=[identity.certificate])
    assert result.verdict is Verdict.VERIFIED
