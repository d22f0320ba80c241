"""Every report kind, as signed, passes veraPDF for PDF/A-3a and PDF/UA-1.

veraPDF (the PDF Association's reference validator) runs as a real Java process over
the signed files: one report of every kind signed PAdES B-B, and one signed B-LTA
through a local CA and timestamp authority with the ledger reference embedded as a
PDF/A-3 associated file, so the incremental updates pyHanko appends (signature,
document security store, document timestamp) are checked too. Any failed rule fails
the test, and the validator's summary and every failed rule are printed.

The jars come from ``scripts/fetch-verapdf`` (``scripts/test`` runs it), found at
``$GATEHOUSE_VERAPDF_LIB`` or under ``.tools/``.
"""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.ledger.anchors import LedgerReference
from app.ledger.chain import ChainPosition
from app.reports import GeneratedReport, SigningIdentity, generate_report, load_signing_identity
from app.reports.rendering import RenderOptions
from app.reports.signing import SignatureLevel, SigningOptions
from tests.reports.conftest import require_binary
from tests.reports.contexts import model_card_context, promotion_evidence_context, sha
from tests.support.local_pki import local_pki

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Validation:
    """veraPDF's verdict on one file under one profile."""

    file: str
    profile: str
    compliant: bool
    passed_rules: int
    failed_rules: int
    failures: tuple[str, ...]
    """``clause-test: description (n checks)`` per failed rule."""


def _verapdf_lib() -> Path:
    """The directory of veraPDF's jars; a clear failure (never a skip) without them."""
    configured = os.environ.get("GATEHOUSE_VERAPDF_LIB")
    candidates = [Path(configured)] if configured else sorted(ROOT.glob(".tools/verapdf-*/lib"))
    for lib in reversed(candidates):
        if any(lib.glob("*.jar")):
            return lib
    pytest.fail("veraPDF is required for this test: run scripts/fetch-verapdf (scripts/test does)")


def _validations(report_xml: bytes) -> list[Validation]:
    """One :class:`Validation` per job of a veraPDF XML report."""
    results = []
    for job in ElementTree.fromstring(report_xml).iter("job"):
        name = job.findtext("item/name", default="?")
        report = job.find("validationReport")
        if report is None:
            problem = job.findtext(".//exceptionMessage", default="no validation report")
            results.append(Validation(name, "?", False, 0, 0, (f"not validated: {problem}",)))
            continue
        details = report.find("details")
        assert details is not None
        failures = tuple(
            f"{rule.get('clause')}-{rule.get('testNumber')}: "
            f"{(rule.findtext('description') or '').strip()} ({rule.get('failedChecks')} checks)"
            for rule in details.iter("rule")
            if rule.get("status") == "failed"
        )
        results.append(
            Validation(
                file=Path(name).name,
                profile=report.get("profileName", "?"),
                compliant=report.get("isCompliant") == "true",
                passed_rules=int(details.get("passedRules", "0")),
                failed_rules=int(details.get("failedRules", "0")),
                failures=failures,
            )
        )
    return results


def run_verapdf(files: list[Path], *, flavour: str) -> list[Validation]:
    """Validate ``files`` with veraPDF's command line under ``flavour`` (e.g. ``ua1``)."""
    java = require_binary("java", package="default-jre-headless")
    completed = subprocess.run(
        [
            java,
            "-cp",
            f"{_verapdf_lib()}/*",
            "org.verapdf.apps.GreenfieldCliWrapper",
            "--flavour",
            flavour,
            "--format",
            "xml",
            *map(str, files),
        ],
        capture_output=True,
        check=False,
        timeout=600,
    )
    # Exit code 1 means "some file is not compliant": the report says which.
    if completed.returncode not in (0, 1):
        pytest.fail(f"veraPDF failed ({completed.returncode}): {completed.stderr.decode()[-2000:]}")
    return _validations(completed.stdout)


@pytest.fixture(scope="module")
def signed_files(
    reports: dict[str, GeneratedReport], tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    """Every kind signed B-B, plus an evidence pack signed B-LTA (validation data and a
    document timestamp from a local CA and ``openssl ts``) with its ledger attachment."""
    folder = tmp_path_factory.mktemp("conformance")
    with local_pki(folder / "pki") as pki:
        long_term = generate_report(
            kind="promotion_evidence",
            context=promotion_evidence_context(),
            identity=load_signing_identity(pki.signer_pkcs12(b"pki"), passphrase=b"pki"),
            signing_options=SigningOptions(
                level=SignatureLevel.B_LTA,
                tsa_url=pki.tsa_url,
                extra_trust_roots=(pki.timestamp_root_certificate,),
            ),
            ledger_reference=LedgerReference(
                head=ChainPosition(350, sha("ledger head")), checkpoint=None
            ),
        )
    assert long_term.signature_level is SignatureLevel.B_LTA
    named = {f"{kind}.pdf": report.pdf for kind, report in reports.items()}
    named["promotion_evidence-b-lta-with-ledger.pdf"] = long_term.pdf
    paths = []
    for name, data in named.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


@pytest.mark.parametrize(
    ("flavour", "profile"), [("3a", "PDF/A-3a"), ("ua1", "PDF/UA-1")], ids=["pdf-a-3a", "pdf-ua-1"]
)
def test_every_signed_report_kind_passes_verapdf(
    signed_files: list[Path], flavour: str, profile: str
) -> None:
    validations = run_verapdf(signed_files, flavour=flavour)
    for validation in validations:
        print(
            f"veraPDF {validation.profile}: {validation.file}: "
            f"{'PASS' if validation.compliant else 'FAIL'} "
            f"({validation.passed_rules} rules passed, {validation.failed_rules} failed)"
        )
        for failure in validation.failures:
            print(f"  {failure}")
    assert sorted(validation.file for validation in validations) == sorted(
        path.name for path in signed_files
    )
    assert all(validation.profile.startswith(profile) for validation in validations)
    failed = [validation for validation in validations if not validation.compliant]
    assert not failed, "\n".join(
        f"{validation.file}: {'; '.join(validation.failures)}" for validation in failed
    )


def test_verapdf_catches_an_untagged_report(identity: SigningIdentity, tmp_path: Path) -> None:
    """The check has teeth: the same report rendered as before (PDF/A-3b, untagged,
    no PDF/UA identification) fails PDF/UA-1, and the failed rules are named."""
    untagged = generate_report(
        kind="model_card",
        context=model_card_context(),
        identity=identity,
        render_options=RenderOptions(pdf_variant="pdf/a-3b", pdf_ua=False),
    )
    path = tmp_path / "untagged.pdf"
    path.write_bytes(untagged.pdf)
    [validation] = run_verapdf([path], flavour="ua1")
    assert not validation.compliant
    clauses = {failure.split("-")[0] for failure in validation.failures}
    assert {"5", "7.1"} <= clauses  # no PDF/UA identification; content not tagged
