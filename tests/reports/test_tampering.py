"""Any change to a signed report is caught: by verify_pdf and by `report verify`."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader

from app.cli.reports import cli_group
from app.reports import (
    GeneratedReport,
    SigningIdentity,
    Verdict,
    ensure_self_signed_identity,
    verify_pdf,
)
from app.reports.rendering import render_pdf
from app.reports.signing import SigningOptions, sign_pdf

BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def _byte_range(pdf: bytes) -> tuple[int, int, int, int]:
    match = BYTE_RANGE.search(pdf)
    assert match is not None
    start, first_length, second_start, second_length = (int(value) for value in match.groups())
    return start, first_length, second_start, second_length


def _content_stream_offset(pdf: bytes) -> int:
    """Offset of a byte inside page 1's (compressed) content stream."""
    contents = PdfReader(io.BytesIO(pdf)).pages[0].raw_get("/Contents")
    number = contents[0].idnum if isinstance(contents, list) else contents.idnum
    header = re.search(rb"(?<![0-9])%d 0 obj" % number, pdf)
    assert header is not None
    stream_start = pdf.index(b"stream", header.end()) + len(b"stream\n")
    return stream_start + 40


def _signed_positions(pdf: bytes) -> dict[str, int]:
    """Positions to flip, all inside the signed byte range."""
    _, first_length, second_start, second_length = _byte_range(pdf)
    return {
        "header": 5,
        "content stream": _content_stream_offset(pdf),
        "middle of the document": first_length // 2,
        "signature dictionary": first_length - 60,
        "after the signature value": second_start + 10,
        "final trailer": second_start + second_length - 10,
    }


def _flip(pdf: bytes, position: int) -> bytes:
    return pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]


def _cli_verify(tmp_path: Path, pdf: bytes, *arguments: str) -> int:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    result = CliRunner().invoke(cli_group, ["verify", str(path), *arguments])
    return result.exit_code


@pytest.fixture(scope="module")
def evidence_pack(reports: dict[str, GeneratedReport]) -> GeneratedReport:
    return reports["promotion_evidence"]


def test_untouched_report_verifies_and_cli_exits_zero(
    evidence_pack: GeneratedReport, tmp_path: Path
) -> None:
    assert verify_pdf(evidence_pack.pdf).intact
    assert _cli_verify(tmp_path, evidence_pack.pdf, "--expected-sha256", evidence_pack.sha256) == 0


@pytest.mark.parametrize(
    "where",
    [
        "header",
        "content stream",
        "middle of the document",
        "signature dictionary",
        "after the signature value",
        "final trailer",
    ],
)
def test_flipping_one_signed_byte_is_tampering(
    evidence_pack: GeneratedReport, tmp_path: Path, where: str
) -> None:
    position = _signed_positions(evidence_pack.pdf)[where]
    start, first_length, second_start, second_length = _byte_range(evidence_pack.pdf)
    assert (
        start <= position < first_length or second_start <= position < second_start + second_length
    )
    tampered = _flip(evidence_pack.pdf, position)
    result = verify_pdf(tampered)
    assert result.verdict is Verdict.TAMPERED, result.problems
    assert not result.intact
    assert result.problems
    assert _cli_verify(tmp_path, tampered) == 1


def test_flipping_a_byte_of_the_signature_value_is_tampering(
    evidence_pack: GeneratedReport,
) -> None:
    _, first_length, _, _ = _byte_range(evidence_pack.pdf)
    # first_length ends at '<' of /Contents; the hex digits of the CMS blob follow.
    tampered = _flip(evidence_pack.pdf, first_length + 200)
    assert verify_pdf(tampered).verdict is Verdict.TAMPERED


def test_valid_alone_is_not_trusted_for_the_verdict(evidence_pack: GeneratedReport) -> None:
    # The DESIGN fact: with one document byte flipped the CMS signature still verifies.
    tampered = _flip(evidence_pack.pdf, _signed_positions(evidence_pack.pdf)["content stream"])
    (check,) = verify_pdf(tampered).signatures
    assert check.valid is True
    assert check.intact is False
    assert verify_pdf(tampered).verdict is Verdict.TAMPERED


def test_incremental_update_that_changes_content_is_tampering(
    evidence_pack: GeneratedReport, tmp_path: Path
) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(evidence_pack.pdf))
    overlay = generic.StreamObject(stream_data=b"q 1 0 0 rg 40 600 300 120 re f Q")
    writer.add_stream_to_page(0, writer.add_object(overlay))
    output = io.BytesIO()
    writer.write(output)
    updated = output.getvalue()
    assert updated.startswith(evidence_pack.pdf)  # an append, the signed bytes untouched
    result = verify_pdf(updated)
    assert result.verdict is Verdict.TAMPERED
    (check,) = result.signatures
    assert check.intact and check.valid  # the signed revision itself is fine...
    assert check.coverage.value == "modified"  # ...but what follows it is not permitted
    assert _cli_verify(tmp_path, updated) == 1


def test_file_other_than_the_registered_one_is_tampering(
    evidence_pack: GeneratedReport, tmp_path: Path
) -> None:
    wrong = "0" * 64
    result = verify_pdf(evidence_pack.pdf, expected_sha256=wrong)
    assert result.verdict is Verdict.TAMPERED
    assert _cli_verify(tmp_path, evidence_pack.pdf, "--expected-sha256", wrong) == 1


def test_forgery_resigned_with_another_self_signed_key_is_not_verified(
    evidence_pack: GeneratedReport,
    identity: SigningIdentity,
    tmp_path: Path,
) -> None:
    forger = ensure_self_signed_identity(
        tmp_path / "forger.p12", organisation="Northwind Lending plc"
    )
    forged = sign_pdf(
        render_pdf("<h1>Promotion evidence pack</h1><p>ALLOW</p>").data,
        identity=forger,
        options=SigningOptions(),
    ).data
    result = verify_pdf(forged, trust_roots=[identity.certificate])
    assert result.verdict is Verdict.INTACT_UNTRUSTED
    assert result.signatures[0].signer_fingerprint_sha256 != identity.fingerprint_sha256
    root = tmp_path / "root.pem"
    root.write_text(evidence_pack.signer_certificate_pem)
    assert _cli_verify(tmp_path, forged, "--trust", str(root), "--require-trust") == 1
    assert _cli_verify(tmp_path, evidence_pack.pdf, "--trust", str(root), "--require-trust") == 0


def test_unsigned_pdf_is_rejected(tmp_path: Path) -> None:
    unsigned = render_pdf("<p>no signature here</p>").data
    assert verify_pdf(unsigned).verdict is Verdict.UNSIGNED
    assert _cli_verify(tmp_path, unsigned) == 1


def test_garbage_is_tampered_not_a_crash(tmp_path: Path) -> None:
    assert verify_pdf(b"not a pdf at all").verdict is Verdict.TAMPERED
    assert _cli_verify(tmp_path, b"not a pdf at all") == 1


def test_cli_usage_errors_exit_two(tmp_path: Path, evidence_pack: GeneratedReport) -> None:
    runner = CliRunner()
    assert runner.invoke(cli_group, ["verify", str(tmp_path / "missing.pdf")]).exit_code == 2
    bogus = tmp_path / "bogus.pem"
    bogus.write_bytes(b"not a certificate")
    assert _cli_verify(tmp_path, evidence_pack.pdf, "--trust", str(bogus)) == 2


def test_cli_json_output_reports_signer_and_hash(
    evidence_pack: GeneratedReport, identity: SigningIdentity, tmp_path: Path
) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(evidence_pack.pdf)
    result = CliRunner().invoke(cli_group, ["verify", str(path), "--json"])
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert document["verdict"] == "intact_untrusted"
    assert document["trust"] == "self-signed"
    assert document["sha256"] == evidence_pack.sha256
    assert document["signatures"][0]["signer_subject"] == identity.subject
    assert document["signatures"][0]["coverage"] == "entire_file"
