"""PAdES B-T and B-LT against a real (local) RFC 3161 timestamp authority."""

from __future__ import annotations

import datetime as dt
import io
import socket

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from app.reports import SignatureLevel, SigningIdentity, SigningOptions, Verdict, verify_pdf
from app.reports.errors import SigningError, TimestampError
from app.reports.generation import generate_report
from tests.reports.conftest import TimestampAuthority
from tests.reports.contexts import dataset_sheet_context


def test_b_t_signature_carries_a_timestamp_that_is_reported(
    identity: SigningIdentity, timestamp_authority: TimestampAuthority
) -> None:
    before = dt.datetime.now(dt.UTC)
    requests_before = len(timestamp_authority.requests)
    report = generate_report(
        kind="dataset_sheet",
        context=dataset_sheet_context(),
        identity=identity,
        tsa_url=timestamp_authority.url,
    )
    # A TSA URL without a level asks for B-T: no validation data is gathered.
    assert report.signature_level is SignatureLevel.B_T
    assert len(timestamp_authority.requests) > requests_before
    result = verify_pdf(
        report.pdf, trust_roots=[identity.certificate, timestamp_authority.certificate]
    )
    assert result.verdict is Verdict.VERIFIED
    (check,) = result.signatures
    assert check.timestamp is not None
    assert before - dt.timedelta(seconds=5) <= check.timestamp <= dt.datetime.now(dt.UTC)
    assert check.timestamp_intact and check.timestamp_trusted
    assert "Gatehouse Test TSA" in (check.timestamp_authority or "")
    # Without the TSA's root the signature is still intact; the timestamp is not trusted.
    untrusted_tsa = verify_pdf(report.pdf, trust_roots=[identity.certificate])
    assert untrusted_tsa.intact
    assert untrusted_tsa.signatures[0].timestamp_trusted is False


def test_b_lt_embeds_validation_data_and_stays_intact(
    identity: SigningIdentity, timestamp_authority: TimestampAuthority
) -> None:
    report = generate_report(
        kind="dataset_sheet",
        context=dataset_sheet_context(),
        identity=identity,
        tsa_url=timestamp_authority.url,
        signing_options=SigningOptions(
            level=SignatureLevel.B_LT, extra_trust_roots=(timestamp_authority.certificate,)
        ),
    )
    assert report.signature_level is SignatureLevel.B_LT
    reader = PdfFileReader(io.BytesIO(report.pdf))
    assert "/DSS" in reader.root  # the document security store holds the validation data
    result = verify_pdf(
        report.pdf, trust_roots=[identity.certificate, timestamp_authority.certificate]
    )
    assert result.verdict is Verdict.VERIFIED
    (check,) = result.signatures
    # The DSS is appended after the signature: a permitted update, not a modification.
    assert check.coverage.value == "permitted_updates"
    assert check.timestamp is not None


def test_b_lt_with_a_timestamp_authority_nobody_trusts_is_refused_not_downgraded(
    identity: SigningIdentity, timestamp_authority: TimestampAuthority
) -> None:
    """The TSA's root is not among the signer's roots, so its chain cannot be validated
    for the validation data: B-LT was asked for, so signing fails (no B-T instead)."""
    with pytest.raises(SigningError, match="cannot sign at PAdES-B-LT"):
        generate_report(
            kind="dataset_sheet",
            context=dataset_sheet_context(),
            identity=identity,
            tsa_url=timestamp_authority.url,
            signing_options=SigningOptions(level=SignatureLevel.B_LT),
        )


def test_a_level_above_b_b_without_a_timestamp_authority_is_refused(
    identity: SigningIdentity,
) -> None:
    with pytest.raises(SigningError, match="needs a timestamp authority"):
        generate_report(
            kind="dataset_sheet",
            context=dataset_sheet_context(),
            identity=identity,
            signing_options=SigningOptions(level=SignatureLevel.B_LTA),
        )


def test_unreachable_timestamp_authority_fails_loudly(identity: SigningIdentity) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(TimestampError):
        generate_report(
            kind="dataset_sheet",
            context=dataset_sheet_context(),
            identity=identity,
            tsa_url=f"http://127.0.0.1:{closed_port}/tsa",
            signing_options=SigningOptions(tsa_timeout_seconds=2),
        )
