"""Is this PDF the report we issued, unaltered, and who signed it?

The verdict combines three independent checks, because none is enough alone:

* **digest** — the document bytes under the signature hash to the digest the signature
  signed (pyHanko's ``intact``) and the CMS signature itself verifies (``valid``).
  ``valid`` alone means nothing for the content: with one byte of the document flipped,
  pyHanko still reports ``valid=True`` and only ``intact=False`` catches it;
* **coverage** — the signature covers the entire file, or everything after it is an
  update that cannot change what is shown (validation data for long-term validation).
  Anything else (new content, annotations, form filling) counts as modified;
* **trust** — the signer chains to a root the caller trusts (``trusted``), or is a
  self-signed certificate (``self-signed``: intact, but who signed rests on the
  fingerprint), or neither (``unknown``).

Optionally the file's SHA-256 is compared with the one the registry recorded when the
report was issued, which also catches a re-signed forgery.

Each signature also gets the PAdES level it reaches for this verifier and why not
higher (:mod:`app.reports.long_term`); document timestamps (PAdES B-LTA) are checked
like signatures, so a byte changed after the last signature is caught too. Validation
runs at a given time (a simulated clock) or now; a signature whose certificates have
expired by then is trusted only through its long-term validation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    DocumentTimestampStatus,
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureStatus
from pyhanko_certvalidator import ValidationContext

from app.reports.identity import certificate_fingerprint, is_self_signed
from app.reports.long_term import LongTermAssessment, assess_level
from app.reports.signing import SignatureLevel

__all__ = [
    "Coverage",
    "DocumentTimestampCheck",
    "SignatureCheck",
    "TrustStatus",
    "Verdict",
    "VerificationResult",
    "embedded_file",
    "load_certificate",
    "trust_of",
    "verify_pdf",
]

# Every PDF signature dictionary carries one; its presence means "meant to be signed".
_SIGNATURE_MARKER = b"/ByteRange"

# Updates after signing that cannot change what a reader sees.
_PERMITTED_MODIFICATIONS = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)


class TrustStatus(StrEnum):
    """Whether the signer is someone the verifier trusts."""

    TRUSTED = "trusted"
    SELF_SIGNED = "self-signed"
    UNKNOWN = "unknown"


class Coverage(StrEnum):
    """How much of the file the signature vouches for."""

    ENTIRE_FILE = "entire_file"
    PERMITTED_UPDATES = "permitted_updates"
    MODIFIED = "modified"


class Verdict(StrEnum):
    """The one-word answer."""

    VERIFIED = "verified"
    """Intact, fully covered, and signed by a trusted signer."""
    INTACT_UNTRUSTED = "intact_untrusted"
    """Intact and fully covered, but the signer is self-signed or unknown."""
    TAMPERED = "tampered"
    """Altered after signing, not the registered file, or unreadable."""
    UNSIGNED = "unsigned"
    """No signature at all."""


@dataclass(frozen=True)
class SignatureCheck:
    """What one embedded signature says about the file."""

    field_name: str
    intact: bool
    """The signed bytes hash to the digest the signature covers."""
    valid: bool
    """The CMS signature verifies with the signer's key (says nothing about content)."""
    trust: TrustStatus
    coverage: Coverage
    modification_level: str | None
    signer_subject: str | None
    signer_fingerprint_sha256: str | None
    signing_time: dt.datetime | None
    """Time claimed by the signer (not proven unless timestamped)."""
    timestamp: dt.datetime | None
    """Time proven by the timestamp authority, if the signature is timestamped."""
    timestamp_intact: bool | None
    timestamp_trusted: bool | None
    timestamp_authority: str | None
    problems: tuple[str, ...]
    level: SignatureLevel | None = None
    """PAdES level reached for this verifier (``None``: the signature is not sound)."""
    level_gaps: tuple[str, ...] = ()
    """Why the level is not higher."""
    long_term: bool = False
    """Trusted through the PAdES-LTA validation (the document timestamp's proof)."""

    @property
    def sound(self) -> bool:
        """Digest, signature and coverage all hold (trust is judged separately)."""
        return (
            self.intact
            and self.valid
            and self.coverage is not Coverage.MODIFIED
            and self.timestamp_intact is not False
        )


@dataclass(frozen=True)
class DocumentTimestampCheck:
    """What one document timestamp (PAdES B-LTA) says about the file."""

    field_name: str
    intact: bool
    """The timestamped bytes hash to the token's imprint and the token verifies."""
    trusted: bool
    coverage: Coverage
    time: dt.datetime | None
    authority: str | None
    problems: tuple[str, ...]

    @property
    def sound(self) -> bool:
        """Unaltered since it was applied (its authority's trust is judged apart)."""
        return self.intact and self.coverage is not Coverage.MODIFIED


@dataclass(frozen=True)
class VerificationResult:
    """Everything ``verify_pdf`` found, and the verdict drawn from it."""

    sha256: str
    """SHA-256 of the file as given (hex)."""
    expected_sha256: str | None
    sha256_matches: bool | None
    """``None`` when no expected hash was given."""
    signatures: tuple[SignatureCheck, ...]
    error: str | None
    """Why the file could not be read as a PDF, if it could not."""
    document_timestamps: tuple[DocumentTimestampCheck, ...] = ()
    validation_time: dt.datetime | None = None
    """The simulated clock the file was validated at (``None``: now)."""

    @property
    def verdict(self) -> Verdict:
        """Digest, coverage, registered hash and trust together; never ``valid`` alone."""
        if self.error is not None or self.sha256_matches is False:
            return Verdict.TAMPERED
        if not self.signatures:
            return Verdict.UNSIGNED
        if not all(signature.sound for signature in self.signatures):
            return Verdict.TAMPERED
        if not all(stamp.sound for stamp in self.document_timestamps):
            return Verdict.TAMPERED
        if all(signature.trust is TrustStatus.TRUSTED for signature in self.signatures):
            return Verdict.VERIFIED
        return Verdict.INTACT_UNTRUSTED

    @property
    def intact(self) -> bool:
        """Signed and unaltered since signing (whoever the signer is)."""
        return self.verdict in (Verdict.VERIFIED, Verdict.INTACT_UNTRUSTED)

    @property
    def trust(self) -> TrustStatus:
        """The weakest trust status among the signatures (``unknown`` if unsigned)."""
        order = (TrustStatus.UNKNOWN, TrustStatus.SELF_SIGNED, TrustStatus.TRUSTED)
        if not self.signatures:
            return TrustStatus.UNKNOWN
        return min((signature.trust for signature in self.signatures), key=order.index)

    @property
    def level(self) -> SignatureLevel | None:
        """The lowest level among the signatures (``None`` unless intact)."""
        levels = [signature.level for signature in self.signatures]
        if not self.intact or None in levels:
            return None
        return min((level for level in levels if level is not None), key=lambda lv: lv.rank)

    @property
    def problems(self) -> tuple[str, ...]:
        """Every reason the verdict is not ``verified``, in words."""
        found = [self.error] if self.error else []
        if self.sha256_matches is False:
            found.append("the file's SHA-256 differs from the one recorded when it was issued")
        if self.error is None and not self.signatures:
            found.append("the file carries no signature")
        for signature in self.signatures:
            found.extend(signature.problems)
        for stamp in self.document_timestamps:
            found.extend(stamp.problems)
        return tuple(found)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the CLI and the API."""
        return {
            "verdict": self.verdict.value,
            "intact": self.intact,
            "trust": self.trust.value,
            "level": None if self.level is None else self.level.value,
            "validation_time": _iso(self.validation_time),
            "sha256": self.sha256,
            "expected_sha256": self.expected_sha256,
            "sha256_matches": self.sha256_matches,
            "problems": list(self.problems),
            "signatures": [
                {
                    "field_name": check.field_name,
                    "intact": check.intact,
                    "valid": check.valid,
                    "trust": check.trust.value,
                    "coverage": check.coverage.value,
                    "modification_level": check.modification_level,
                    "signer_subject": check.signer_subject,
                    "signer_fingerprint_sha256": check.signer_fingerprint_sha256,
                    "signing_time": _iso(check.signing_time),
                    "timestamp": _iso(check.timestamp),
                    "timestamp_intact": check.timestamp_intact,
                    "timestamp_trusted": check.timestamp_trusted,
                    "timestamp_authority": check.timestamp_authority,
                    "level": None if check.level is None else check.level.value,
                    "level_gaps": list(check.level_gaps),
                    "long_term": check.long_term,
                }
                for check in self.signatures
            ],
            "document_timestamps": [
                {
                    "field_name": stamp.field_name,
                    "intact": stamp.intact,
                    "trusted": stamp.trusted,
                    "coverage": stamp.coverage.value,
                    "time": _iso(stamp.time),
                    "authority": stamp.authority,
                }
                for stamp in self.document_timestamps
            ],
        }


def _iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 or ``None``."""
    return None if value is None else value.isoformat()


def load_certificate(data: bytes) -> asn1_x509.Certificate:
    """A certificate from PEM or DER bytes (for ``trust_roots``); ``ValueError`` if not one."""
    try:
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        certificate = asn1_x509.Certificate.load(data)
        certificate.native  # noqa: B018 (parse now: asn1crypto parses lazily)
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"not an X.509 certificate: {error}") from error
    return certificate


def embedded_file(data: bytes, name: str) -> bytes | None:
    """The content of the file attached to the PDF under ``name``, if there is one."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
        for index in range(0, len(names) - 1, 2):
            if str(names[index]) == name:
                stream = names[index + 1].get_object()["/EF"]["/F"].get_object()
                return bytes(stream.data)
    except Exception:  # a PDF pyHanko cannot parse, or one without attachments
        return None
    return None


def trust_of(status: SignatureStatus) -> TrustStatus:
    """Whether pyHanko chained a valid signature's signer to a trust root, or it signed itself.

    One rule for PDF signatures and detached statements (ledger checkpoints) alike.
    """
    if status.trusted:
        return TrustStatus.TRUSTED
    if status.valid and is_self_signed(status.signing_cert):
        return TrustStatus.SELF_SIGNED
    return TrustStatus.UNKNOWN


def _coverage(status: PdfSignatureStatus | DocumentTimestampStatus) -> Coverage:
    """Map pyHanko's coverage and difference analysis onto our three cases."""
    if status.coverage is SignatureCoverageLevel.ENTIRE_FILE:
        return Coverage.ENTIRE_FILE
    if (
        status.coverage is SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level in _PERMITTED_MODIFICATIONS
        and status.docmdp_ok is not False
    ):
        return Coverage.PERMITTED_UPDATES
    return Coverage.MODIFIED


def _context(
    trust_roots: Sequence[asn1_x509.Certificate], moment: dt.datetime | None
) -> ValidationContext:
    """Trust only ``trust_roots``, fetch nothing, validate at ``moment`` (``None``: now)."""
    return ValidationContext(trust_roots=list(trust_roots), allow_fetching=False, moment=moment)


def _unvalidatable(field_name: str, error: Exception) -> SignatureCheck:
    """A signature pyHanko could not even validate: a failed verification."""
    return SignatureCheck(
        field_name=field_name,
        intact=False,
        valid=False,
        trust=TrustStatus.UNKNOWN,
        coverage=Coverage.MODIFIED,
        modification_level=None,
        signer_subject=None,
        signer_fingerprint_sha256=None,
        signing_time=None,
        timestamp=None,
        timestamp_intact=None,
        timestamp_trusted=None,
        timestamp_authority=None,
        problems=(f"signature {field_name} cannot be validated: {error}",),
    )


def _integrity_problems(field_name: str, status: PdfSignatureStatus) -> list[str]:
    """Digest, signature value, coverage and timestamp-token problems, in words."""
    problems = []
    if not status.intact:
        problems.append(f"signature {field_name}: the signed content was altered (digest mismatch)")
    if not status.valid:
        problems.append(f"signature {field_name}: the signature value does not verify")
    if _coverage(status) is Coverage.MODIFIED:
        level = status.modification_level.name if status.modification_level else "unknown"
        problems.append(
            f"signature {field_name}: the file was changed after signing "
            f"(coverage {status.coverage.name if status.coverage else 'unknown'}, "
            f"modification {level})"
        )
    stamp = status.timestamp_validity
    if stamp is not None and not (stamp.intact and stamp.valid):
        problems.append(f"signature {field_name}: the timestamp token does not verify")
    return problems


def _expiry_problem(
    field_name: str, certificate: asn1_x509.Certificate, moment: dt.datetime
) -> str | None:
    """Say so when the signer's certificate is outside its validity period at ``moment``."""
    validity = certificate["tbs_certificate"]["validity"]
    not_before, not_after = validity["not_before"].native, validity["not_after"].native
    if moment > not_after:
        return (
            f"signature {field_name}: the signer's certificate expired on "
            f"{not_after.isoformat()}, before the validation time {moment.isoformat()}, "
            "and no long-term validation (PAdES B-LTA) proves it was valid when signed"
        )
    if moment < not_before:
        return f"signature {field_name}: the signer's certificate is not yet valid at {moment}"
    return None


def _check_signature(
    signature: EmbeddedPdfSignature,
    trust_roots: Sequence[asn1_x509.Certificate],
    *,
    moment: dt.datetime | None,
    document_timestamps: Sequence[tuple[EmbeddedPdfSignature, bool]],
) -> SignatureCheck:
    """Validate one embedded signature against ``trust_roots`` with no network access."""
    field_name = signature.field_name or "(unnamed)"
    usage = KeyUsageConstraints(
        key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
    )
    try:
        status = validate_pdf_signature(
            signature,
            signer_validation_context=_context(trust_roots, moment),
            key_usage_settings=usage,
        )
    except Exception as error:  # any failure to validate is a failed verification
        return _unvalidatable(field_name, error)
    certificate = status.signing_cert
    stamp = status.timestamp_validity
    problems = _integrity_problems(field_name, status)
    sound = not problems
    assessment: LongTermAssessment | None = None
    if sound:
        try:
            assessment = assess_level(
                signature,
                status,
                trust_roots=trust_roots,
                document_timestamps=document_timestamps,
                validation_time=moment or dt.datetime.now(dt.UTC),
            )
        except Exception as error:  # unreadable validation data: no level above B-B
            assessment = LongTermAssessment(
                level=SignatureLevel.B_B,
                gaps=(f"the embedded validation data cannot be read: {error}",),
                archival_trust=False,
                proven_at=None,
            )
    long_term = assessment is not None and assessment.archival_trust
    trust = TrustStatus.TRUSTED if long_term else trust_of(status)
    if sound and trust is not TrustStatus.TRUSTED:
        expiry = _expiry_problem(field_name, certificate, moment or dt.datetime.now(dt.UTC))
        problems.extend([expiry] if expiry else [])
    return SignatureCheck(
        field_name=field_name,
        intact=status.intact,
        valid=status.valid,
        trust=trust,
        coverage=_coverage(status),
        modification_level=(
            status.modification_level.name.lower() if status.modification_level else None
        ),
        signer_subject=certificate.subject.human_friendly,
        signer_fingerprint_sha256=certificate_fingerprint(certificate),
        signing_time=status.signer_reported_dt,
        timestamp=None if stamp is None else stamp.timestamp,
        timestamp_intact=None if stamp is None else (stamp.intact and stamp.valid),
        timestamp_trusted=None if stamp is None else stamp.trusted,
        timestamp_authority=None if stamp is None else stamp.signing_cert.subject.human_friendly,
        problems=tuple(problems),
        level=None if assessment is None else assessment.level,
        level_gaps=() if assessment is None else assessment.gaps,
        long_term=long_term,
    )


def _check_document_timestamp(
    stamp: EmbeddedPdfSignature,
    trust_roots: Sequence[asn1_x509.Certificate],
    *,
    moment: dt.datetime | None,
) -> DocumentTimestampCheck:
    """Validate one document timestamp: its imprint, its token, what follows it, its TSA."""
    field_name = stamp.field_name or "(unnamed)"
    try:
        status = validate_pdf_timestamp(stamp, validation_context=_context(trust_roots, moment))
    except Exception as error:  # any failure to validate is a failed verification
        return DocumentTimestampCheck(
            field_name=field_name,
            intact=False,
            trusted=False,
            coverage=Coverage.MODIFIED,
            time=None,
            authority=None,
            problems=(f"document timestamp {field_name} cannot be validated: {error}",),
        )
    intact = status.intact and status.valid
    coverage = _coverage(status)
    problems = []
    if not intact:
        problems.append(
            f"document timestamp {field_name}: the timestamped content was altered "
            "or the token does not verify"
        )
    if coverage is Coverage.MODIFIED:
        problems.append(f"document timestamp {field_name}: the file was changed after it")
    return DocumentTimestampCheck(
        field_name=field_name,
        intact=intact,
        trusted=status.trusted,
        coverage=coverage,
        time=status.timestamp,
        authority=status.signing_cert.subject.human_friendly,
        problems=tuple(problems),
    )


def verify_pdf(
    data: bytes,
    *,
    trust_roots: Sequence[asn1_x509.Certificate] = (),
    expected_sha256: str | None = None,
    validation_time: dt.datetime | None = None,
) -> VerificationResult:
    """Check every signature in ``data`` offline and draw one verdict (see module doc).

    ``validation_time`` is a simulated clock: validate as if it were then (``None``: now).
    """
    # pyHanko logs a traceback for every chain it cannot build (self-signed signers, an
    # unknown root); the verdict below says so in one line, so only errors are logged.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.ERROR)
    digest = hashlib.sha256(data).hexdigest()
    matches = None if expected_sha256 is None else digest == expected_sha256.strip().lower()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_regular_signatures)
        stamps = list(reader.embedded_timestamp_signatures)
    except Exception as error:  # a file pyHanko cannot parse cannot be verified
        return VerificationResult(
            sha256=digest,
            expected_sha256=expected_sha256,
            sha256_matches=matches,
            signatures=(),
            error=f"not a readable PDF: {error}",
            validation_time=validation_time,
        )
    # A signature dictionary damaged beyond recognition must not pass as "unsigned".
    damaged = not embedded and not stamps and _SIGNATURE_MARKER in data
    stamp_checks = tuple(
        _check_document_timestamp(stamp, trust_roots, moment=validation_time) for stamp in stamps
    )
    judged = [
        (stamp, check.sound and check.trusted)
        for stamp, check in zip(stamps, stamp_checks, strict=True)
    ]
    checks = tuple(
        _check_signature(signature, trust_roots, moment=validation_time, document_timestamps=judged)
        for signature in embedded
    )
    return VerificationResult(
        sha256=digest,
        expected_sha256=expected_sha256,
        sha256_matches=matches,
        signatures=checks,
        error="the file holds a signature that cannot be read (damaged)" if damaged else None,
        document_timestamps=stamp_checks,
        validation_time=validation_time,
    )
