"""Detached CMS signatures over checkpoint statements, with the report signing identity.

A checkpoint is a small JSON statement; it is signed as plain data (CMS ``SignedData``,
detached, SHA-256) by the same identity and the same timestamp authority as reports, so
one certificate and one trust decision cover both. With a TSA configured, the RFC 3161
token goes into the signature as a signature timestamp: it proves the statement existed
at that time, whatever later happens to the key. Verification is offline (pyHanko).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from app.ledger.errors import CheckpointFileError
from app.reports.errors import SigningError, TimestampError
from app.reports.identity import SigningIdentity, certificate_fingerprint
from app.reports.signing import SigningOptions
from app.reports.verification import TrustStatus, trust_of

__all__ = ["StatementSignature", "sign_statement", "verify_statement"]


@dataclass(frozen=True)
class StatementSignature:
    """What a detached signature says about a statement."""

    intact: bool
    """The statement's digest is the one signed."""
    valid: bool
    """The signature value verifies with the signer's key."""
    trust: TrustStatus
    signer_subject: str | None
    signer_fingerprint_sha256: str | None
    timestamp: dt.datetime | None
    """Time proven by the TSA, if the signature carries a timestamp token."""
    timestamp_sound: bool | None
    problems: tuple[str, ...]

    @property
    def sound(self) -> bool:
        """Digest and signature hold, and any timestamp verifies (trust judged apart)."""
        return self.intact and self.valid and self.timestamp_sound is not False


def sign_statement(
    statement: bytes, *, identity: SigningIdentity, tsa_url: str | None = None
) -> str:
    """Sign ``statement`` (detached CMS, SHA-256); base64 of the DER ``ContentInfo``."""
    timestamper = (
        None
        if tsa_url is None
        else HTTPTimeStamper(tsa_url, timeout=SigningOptions().tsa_timeout_seconds)
    )
    try:
        signed = asyncio.run(
            identity.signer.async_sign_general_data(
                statement, "sha256", detached=True, timestamper=timestamper
            )
        )
    except TimestampRequestError as error:
        raise TimestampError(f"timestamp authority {tsa_url} failed: {error}") from error
    except PyHankoSigningError as error:
        raise SigningError(f"cannot sign the checkpoint: {error}") from error
    return base64.b64encode(signed.dump()).decode("ascii")


def _signed_data(signature_b64: str) -> cms.SignedData:
    try:
        content = cms.ContentInfo.load(base64.b64decode(signature_b64, validate=True))
        signed = content["content"]
        if content["content_type"].native != "signed_data":
            raise ValueError("not CMS SignedData")
        signed.native  # noqa: B018 (parse now: asn1crypto parses lazily)
    except (ValueError, TypeError, KeyError, binascii.Error) as error:
        raise CheckpointFileError(
            f"the signature is not a base64 CMS SignedData: {error}"
        ) from error
    return signed


def verify_statement(
    statement: bytes,
    signature_b64: str,
    *,
    trust_roots: Sequence[asn1_x509.Certificate] = (),
) -> StatementSignature:
    """Check a detached signature over ``statement`` offline, trusting ``trust_roots``."""
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.ERROR)
    signed = _signed_data(signature_b64)
    context = ValidationContext(trust_roots=list(trust_roots), allow_fetching=False)
    try:
        status = asyncio.run(
            async_validate_detached_cms(statement, signed, signer_validation_context=context)
        )
    except Exception as error:  # any failure to validate is a failed verification
        return StatementSignature(
            intact=False,
            valid=False,
            trust=TrustStatus.UNKNOWN,
            signer_subject=None,
            signer_fingerprint_sha256=None,
            timestamp=None,
            timestamp_sound=None,
            problems=(f"the signature cannot be validated: {error}",),
        )
    certificate = status.signing_cert
    trust = trust_of(status)
    stamp = status.timestamp_validity
    problems = []
    if not status.intact:
        problems.append("the statement was altered after signing (digest mismatch)")
    if not status.valid:
        problems.append("the signature value does not verify")
    if stamp is not None and not (stamp.intact and stamp.valid):
        problems.append("the timestamp token does not verify")
    return StatementSignature(
        intact=status.intact,
        valid=status.valid,
        trust=trust,
        signer_subject=certificate.subject.human_friendly,
        signer_fingerprint_sha256=certificate_fingerprint(certificate),
        timestamp=None if stamp is None else stamp.timestamp,
        timestamp_sound=None if stamp is None else (stamp.intact and stamp.valid),
        problems=tuple(problems),
    )
