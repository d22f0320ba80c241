"""Signed PDF reports: render (WeasyPrint), sign (pyHanko, PAdES), verify.

Each kind lives in one module under :mod:`app.reports.kinds` and registers itself once
(:mod:`app.reports.kind`); :func:`app.reports.service.generate` reads a kind's context
from the registry (shapes in :mod:`app.reports.contexts`), :func:`generate_report`
renders and signs it, and the service records, stores, ledgers and serves reports and
verifies uploads; anyone holding a PDF calls :func:`verify_pdf`.
"""

from app.reports.generation import GeneratedReport, generate_report
from app.reports.identity import (
    SigningIdentity,
    ensure_self_signed_identity,
    load_signing_identity,
)
from app.reports.signing import SignatureLevel, SigningOptions
from app.reports.verification import (
    Coverage,
    TrustStatus,
    Verdict,
    VerificationResult,
    load_certificate,
    verify_pdf,
)

__all__ = [
    "Coverage",
    "GeneratedReport",
    "SignatureLevel",
    "SigningIdentity",
    "SigningOptions",
    "TrustStatus",
    "Verdict",
    "VerificationResult",
    "ensure_self_signed_identity",
    "generate_report",
    "load_certificate",
    "load_signing_identity",
    "verify_pdf",
]
