"""PAdES B-LT and B-LTA against a real local CA (CRLs over HTTP) and a real ``openssl ts``.

An evidence pack is signed at B-T, B-LT and B-LTA while the CA and the timestamp
authority are online (:mod:`tests.support.local_pki`); then both are stopped and every
check runs offline, with only the PDF and the two roots, at a simulated clock after
the signing CA's certificate (and the signer's) expired.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from app.cli.reports import cli_group
from app.reports import SignatureLevel, SigningOptions, Verdict, verify_pdf
from app.reports.errors import SigningError
from app.reports.generation import generate_report
from app.reports.identity import SigningIdentity, load_signing_identity
from app.reports.verification import TrustStatus, VerificationResult
from tests.reports.contexts import promotion_evidence_context
from tests.support.local_pki import LocalPki, local_pki

PASSPHRASE = b"local test pki"


@dataclasses.dataclass(frozen=True)
class SignedPacks:
    """Evidence packs signed at each level while the PKI was online, and the PKI."""

    pki: LocalPki
    by_level: dict[SignatureLevel, bytes]

    @property
    def after_ca_expired(self) -> dt.datetime:
        """A simulated clock a week past the signing CA's (and the signer's) expiry."""
        return self.pki.signing_ca_expires + dt.timedelta(days=7)


def _sign(pki: LocalPki, identity: SigningIdentity, level: SignatureLevel) -> bytes:
    return generate_report(
        kind="promotion_evidence",
        context=promotion_evidence_context(),
        identity=identity,
        signing_options=SigningOptions(
            level=level, tsa_url=pki.tsa_url, extra_trust_roots=(pki.timestamp_root_certificate,)
        ),
    ).pdf


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedPacks]:
    """Sign at B-T, B-LT and B-LTA online, then take the CA and the TSA offline."""
    with local_pki(tmp_path_factory.mktemp("pki")) as pki:
        identity = load_signing_identity(pki.signer_pkcs12(PASSPHRASE), passphrase=PASSPHRASE)
        signed = {
            level: _sign(pki, identity, level)
            for level in (SignatureLevel.B_T, SignatureLevel.B_LT, SignatureLevel.B_LTA)
        }
    yield SignedPacks(pki=pki, by_level=signed)


def _offline(pki: LocalPki) -> bool:
    """Nothing answers where the CA published its CRLs and the TSA stamped."""
    address = urlsplit(pki.base_url)
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((address.hostname or "", address.port or 0)) != 0


def _verify(packs: SignedPacks, level: SignatureLevel, **kwargs: object) -> VerificationResult:
    return verify_pdf(packs.by_level[level], trust_roots=packs.pki.trust_roots, **kwargs)  # type: ignore[arg-type]


def test_signing_used_the_real_timestamp_authority_and_crls(packs: SignedPacks) -> None:
    # One query per signature timestamp, one per document timestamp, and pyHanko's
    # probes for the TSA's certificate while it gathers validation data.
    assert len(packs.pki.timestamp_requests) >= 4
    result = _verify(packs, SignatureLevel.B_LTA)
    (check,) = result.signatures
    assert (
        check.timestamp_authority is not None and "Gatehouse Test TSA" in check.timestamp_authority
    )
    assert [stamp.authority for stamp in result.document_timestamps] == [check.timestamp_authority]


def test_b_lta_verifies_offline_today_at_b_lta(packs: SignedPacks) -> None:
    assert _offline(packs.pki)
    result = _verify(packs, SignatureLevel.B_LTA)
    assert result.verdict is Verdict.VERIFIED
    assert result.level is SignatureLevel.B_LTA
    (check,) = result.signatures
    assert check.level_gaps == ()
    (stamp,) = result.document_timestamps
    assert stamp.sound and stamp.trusted
    assert check.timestamp is not None and stamp.time is not None
    assert check.timestamp <= stamp.time


def test_b_lta_verifies_offline_after_the_ca_certificate_expired(packs: SignedPacks) -> None:
    assert _offline(packs.pki)
    later = packs.after_ca_expired
    assert later > packs.pki.signing_ca.certificate.not_valid_after_utc
    result = _verify(packs, SignatureLevel.B_LTA, validation_time=later)
    assert result.verdict is Verdict.VERIFIED, result.problems
    assert result.level is SignatureLevel.B_LTA
    assert result.validation_time == later
    (check,) = result.signatures
    # Trusted through the document timestamp's proof, not because the chain is valid now.
    assert check.long_term and check.trust is TrustStatus.TRUSTED


def test_b_t_only_report_is_not_trusted_after_the_ca_expired_and_says_why(
    packs: SignedPacks,
) -> None:
    today = _verify(packs, SignatureLevel.B_T)
    assert today.verdict is Verdict.VERIFIED
    assert today.level is SignatureLevel.B_T
    assert today.signatures[0].level_gaps == (
        "no validation data embedded (no document security store with revocation data)",
    )
    later = _verify(packs, SignatureLevel.B_T, validation_time=packs.after_ca_expired)
    assert later.verdict is Verdict.INTACT_UNTRUSTED
    assert later.trust is TrustStatus.UNKNOWN
    (problem,) = later.problems
    assert "the signer's certificate expired on" in problem
    assert "no long-term validation (PAdES B-LTA)" in problem


def test_b_lt_report_names_the_missing_document_timestamp(packs: SignedPacks) -> None:
    today = _verify(packs, SignatureLevel.B_LT)
    assert today.verdict is Verdict.VERIFIED
    assert today.level is SignatureLevel.B_LT
    assert today.signatures[0].level_gaps == ("no document timestamp after the signature",)
    # Revocation data alone does not outlive the CA: nothing proves when it existed.
    later = _verify(packs, SignatureLevel.B_LT, validation_time=packs.after_ca_expired)
    assert later.verdict is Verdict.INTACT_UNTRUSTED


def test_without_the_timestamp_roots_the_level_stops_at_b_b(packs: SignedPacks) -> None:
    result = verify_pdf(
        packs.by_level[SignatureLevel.B_LTA], trust_roots=[packs.pki.signing_ca_certificate]
    )
    assert result.level is SignatureLevel.B_B
    assert "its authority does not chain to a given root" in result.signatures[0].level_gaps[0]


def _revision_ends(pdf: bytes) -> list[int]:
    """Offsets just after each ``%%EOF`` (the end of every incremental revision)."""
    ends, start = [], 0
    while (found := pdf.find(b"%%EOF", start)) != -1:
        ends.append(found + len(b"%%EOF"))
        start = found + 1
    return ends


@pytest.mark.parametrize("where", ["signed content", "validation data after the signature"])
def test_one_changed_byte_anywhere_fails_the_b_lta_report(packs: SignedPacks, where: str) -> None:
    pdf = bytearray(packs.by_level[SignatureLevel.B_LTA])
    ends = _revision_ends(bytes(pdf))
    assert len(ends) >= 3  # rendered + signed, validation data, document timestamp
    # The middle of the first revision, or of the revision holding the DSS (which only
    # the document timestamp covers).
    position = ends[0] // 2 if where == "signed content" else (ends[-3] + ends[-2]) // 2
    pdf[position] ^= 0x01
    result = verify_pdf(bytes(pdf), trust_roots=packs.pki.trust_roots)
    assert result.verdict is Verdict.TAMPERED, where
    assert result.problems


def test_a_revoked_signer_is_refused_at_signing(tmp_path: Path) -> None:
    with local_pki(tmp_path / "pki") as pki:
        identity = load_signing_identity(pki.signer_pkcs12(PASSPHRASE), passphrase=PASSPHRASE)
        pki.revoke_signer()
        for level in (SignatureLevel.B_LT, SignatureLevel.B_LTA):
            with pytest.raises(SigningError, match="revoked"):
                _sign(pki, identity, level)


def test_an_unreachable_crl_refuses_b_lta_rather_than_downgrading(tmp_path: Path) -> None:
    with local_pki(tmp_path / "pki") as pki:
        identity = load_signing_identity(pki.signer_pkcs12(PASSPHRASE), passphrase=PASSPHRASE)
        pki.publishing_crls = False
        with pytest.raises(SigningError, match="cannot sign at PAdES-B-LTA"):
            _sign(pki, identity, SignatureLevel.B_LTA)
        # The TSA still answers: B-T needs no revocation data and is still possible.
        assert _sign(pki, identity, SignatureLevel.B_T)


def test_report_verify_prints_the_level_and_why_not_higher(
    packs: SignedPacks, tmp_path: Path
) -> None:
    roots = []
    for index, root in enumerate(packs.pki.trust_roots):
        path = tmp_path / f"root-{index}.der"
        path.write_bytes(root.dump())
        roots += ["--trust", str(path)]
    runner = CliRunner()
    for level, expected in (
        (SignatureLevel.B_LTA, "PAdES-B-LTA"),
        (SignatureLevel.B_T, "PAdES-B-T (not higher: no validation data embedded"),
    ):
        path = tmp_path / f"{level.short_name}.pdf"
        path.write_bytes(packs.by_level[level])
        result = runner.invoke(cli_group, ["verify", str(path), *roots])
        assert result.exit_code == 0, result.output
        assert f"level        {expected}" in result.output
    at = packs.after_ca_expired.strftime("%Y-%m-%dT%H:%M:%S")
    lta = tmp_path / "b-lta.pdf"
    result = runner.invoke(
        cli_group, ["verify", str(lta), *roots, "--at", at, "--require-trust", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["verdict"] == "verified" and body["level"] == "PAdES-B-LTA"
    assert body["validation_time"].startswith(at)
    bt = tmp_path / "b-t.pdf"
    result = runner.invoke(cli_group, ["verify", str(bt), *roots, "--at", at, "--require-trust"])
    assert result.exit_code == 1
    assert "the signer's certificate expired on" in result.output
