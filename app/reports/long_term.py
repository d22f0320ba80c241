"""Which PAdES level a signature reaches for this verifier, and why not higher.

Offline, from what the PDF carries and the trust roots the verifier gives, and nothing
else (no fetching). The levels are cumulative; each is reached only when the one below
is and its own evidence holds:

* **B-B** — a sound signature (digest, signature value and coverage hold: the caller
  has checked that).
* **B-T** — a signature timestamp whose token verifies and whose authority chains to a
  trusted root: the signing time is proven, not just claimed.
* **B-LT** — the document security store holds the validation data for the signer's
  and the timestamp authority's chains: from it alone, with revocation data required
  for every certificate that names a CRL or OCSP source, both chains hold at the time
  the timestamp proves.
* **B-LTA** — a document timestamp after the signature, intact and trusted, and
  pyHanko's PAdES-LTA validation (ETSI EN 319 102-1 § 5.6.3,
  :func:`pyhanko.sign.validation.ades.ades_lta_validation`) passes at the validation
  time: the document timestamp proves the signature and its validation data existed
  while the certificates were valid, so the signature is trusted even after the
  signer's certificate and its CA's have expired.

The validation time is now unless a simulated clock is given; for B-LTA the time the
signature is validated at comes from the document timestamp (the algorithm's proof of
existence), not from that clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.validation import DocumentSecurityStore, EmbeddedPdfSignature
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    CertificateFetchingRule,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from app.reports.signing import SignatureLevel

__all__ = ["LongTermAssessment", "assess_level"]

# Revocation data is required for every certificate that says where to find it.
_DECLARED_REVOCATION = RevocationCheckingPolicy(
    ee_certificate_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
    intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
)


@dataclass(frozen=True)
class LongTermAssessment:
    """The level one signature reaches, and the reasons it reaches no higher."""

    level: SignatureLevel
    gaps: tuple[str, ...]
    """Why the next level up is not reached (empty at B-LTA)."""
    archival_trust: bool
    """The PAdES-LTA validation passed: the signer is trusted on the strength of the
    document timestamp, whatever the validation time (e.g. after the CA expired)."""
    proven_at: dt.datetime | None
    """When the LTA validation proved the signature existed (its best signature time)."""


def _stop(level: SignatureLevel, gap: str) -> LongTermAssessment:
    return LongTermAssessment(level=level, gaps=(gap,), archival_trust=False, proven_at=None)


def _embedded_context(
    signature: EmbeddedPdfSignature,
    trust_roots: Sequence[asn1_x509.Certificate],
    moment: dt.datetime,
) -> ValidationContext:
    """Only the DSS and the signature's own certificates, revocation data required.

    ``retroactive_revinfo``: a CRL issued after ``moment`` that does not list a
    certificate still shows it was not revoked at ``moment`` (validation data is
    gathered just after signing).
    """
    dss = DocumentSecurityStore.read_dss(signature.reader)
    return dss.as_validation_context(
        {
            "trust_roots": list(trust_roots),
            "other_certs": list(signature.other_embedded_certs),
            "moment": moment,
            "retroactive_revinfo": True,
            "revocation_mode": "hard-fail",
            "allow_fetching": False,
        }
    )


def _chain_problem(certificate: asn1_x509.Certificate, context: ValidationContext) -> str | None:
    """Why ``certificate``'s chain does not hold in ``context``, or ``None`` if it does."""
    validator = CertificateValidator(certificate, validation_context=context)
    try:
        asyncio.run(validator.async_validate_usage(set()))
    except (PathBuildingError, PathValidationError) as error:
        return str(error)
    return None


def _lta_spec(trust_roots: Sequence[asn1_x509.Certificate]) -> PdfSignatureValidationSpec:
    """PAdES-LTA validation from what the file holds: no fetching of anything.

    No difference analysis here: the caller has already checked what changed after the
    signature and after every document timestamp, and repeating it costs most of the
    time on a long report.
    """
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=list(trust_roots)),
        revinfo_policy=CertRevTrustPolicy(_DECLARED_REVOCATION),
    )
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY,
                certificate_fetching_rule=CertificateFetchingRule.NEVER_FETCH,
            ),
        ),
        diff_policy=None,
    )


def assess_level(
    signature: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    *,
    trust_roots: Sequence[asn1_x509.Certificate],
    document_timestamps: Sequence[tuple[EmbeddedPdfSignature, bool]],
    validation_time: dt.datetime,
) -> LongTermAssessment:
    """The level ``signature`` reaches (see module doc); the caller found it sound.

    ``document_timestamps`` are the file's document timestamps with whether each is
    sound and trusted; ``status`` is the signature's ordinary validation.
    """
    stamp = status.timestamp_validity
    if stamp is None:
        return _stop(
            SignatureLevel.B_B,
            "no signature timestamp: the signing time is only claimed by the signer",
        )
    if not (stamp.intact and stamp.valid and stamp.trusted):
        return _stop(
            SignatureLevel.B_B,
            "the signature timestamp is not trusted at the validation time: its authority "
            "does not chain to a given root (give the TSA's root) or its certificate has "
            "expired",
        )
    if "/DSS" not in signature.reader.root:
        return _stop(
            SignatureLevel.B_T,
            "no validation data embedded (no document security store with revocation data)",
        )
    context = _embedded_context(signature, trust_roots, stamp.timestamp)
    for who, certificate in (
        ("the signer's", signature.signer_cert),
        ("the timestamp authority's", stamp.signing_cert),
    ):
        problem = _chain_problem(certificate, context)
        if problem is not None:
            return _stop(
                SignatureLevel.B_T,
                f"the embedded validation data does not show {who} chain valid and "
                f"unrevoked when the signature was timestamped: {problem}",
            )
    later = [
        sound
        for document_stamp, sound in document_timestamps
        if document_stamp.signed_revision > signature.signed_revision
    ]
    if not later:
        return _stop(SignatureLevel.B_LT, "no document timestamp after the signature")
    if not all(later):
        return _stop(
            SignatureLevel.B_LT,
            "a document timestamp after the signature is altered or its authority untrusted",
        )
    timing = ValidationTimingInfo(
        validation_time=validation_time,
        best_signature_time=validation_time,
        point_in_time_validation=False,
    )
    result = asyncio.run(ades_lta_validation(signature, _lta_spec(trust_roots), timing_info=timing))
    if not isinstance(result.ades_subindic, AdESPassed):
        return _stop(
            SignatureLevel.B_LT,
            f"the long-term (PAdES-LTA) validation at {validation_time.isoformat()} did not "
            f"pass: {result.ades_subindic}: {result.failure_msg or 'no detail'}",
        )
    return LongTermAssessment(
        level=SignatureLevel.B_LTA,
        gaps=(),
        archival_trust=True,
        proven_at=result.best_signature_time,
    )
