"""PAdES signatures on rendered reports (pyHanko).

Levels, after ETSI EN 319 142-1:

* **B-B**: a CMS signature in the PDF with the signer certificate.
* **B-T**: plus a signature timestamp from an RFC 3161 timestamp authority; it proves
  the report existed at that time, whatever happens to the key later.
* **B-LT**: plus the validation data (certificates, and the CRLs / OCSP responses the
  chain's certificates point to, fetched at signing) in the document security store,
  so the report can be validated without reaching the CA.
* **B-LTA**: plus a document timestamp over all of that, which proves the validation
  data existed while the certificates were valid: the report stays verifiable after
  the CA's certificate has expired (until the timestamp authority's own certificate
  does, when a new document timestamp has to be added).

The level is asked for (:attr:`SigningOptions.level`) and either reached or refused
with a :class:`~app.reports.errors.SigningError`: a signature never silently comes out
at a lower level than the one configured (a revoked signer, an unreachable CRL or an
untrusted timestamp authority all stop the signing).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathError
from pyhanko_certvalidator.errors import ValidationError as ChainValidationError

from app.reports.appearance import add_tagged_signature_field, appearance_text, stamp_style
from app.reports.errors import SigningError, TimestampError
from app.reports.identity import SigningIdentity
from app.reports.rendering import SignatureBox

__all__ = ["SignatureLevel", "SignedPdf", "SigningOptions", "sign_pdf"]


class SignatureLevel(StrEnum):
    """PAdES baseline level, in increasing order of what it proves."""

    B_B = "PAdES-B-B"
    B_T = "PAdES-B-T"
    B_LT = "PAdES-B-LT"
    B_LTA = "PAdES-B-LTA"

    @classmethod
    def parse(cls, text: str) -> SignatureLevel:
        """``b-lta``, ``B-LTA`` or ``PAdES-B-LTA`` → the level; ``ValueError`` otherwise."""
        wanted = text.strip().upper().removeprefix("PADES-")
        for level in cls:
            if level.value.upper().removeprefix("PADES-") == wanted:
                return level
        names = ", ".join(level.short_name for level in cls)
        raise ValueError(f"unknown signature level {text!r}; use one of {names}")

    @property
    def short_name(self) -> str:
        """``b-b``, ``b-t``, ``b-lt`` or ``b-lta`` (how the setting spells it)."""
        return self.value.removeprefix("PAdES-").lower()

    @property
    def rank(self) -> int:
        """Position in the order B-B < B-T < B-LT < B-LTA."""
        return list(SignatureLevel).index(self)


@dataclass(frozen=True)
class SigningOptions:
    """How a report is signed."""

    level: SignatureLevel | None = None
    """The level wanted; ``None``: B-T when a TSA URL is given, else B-B. B-LT and B-LTA
    fetch the revocation data the certificates point to (CRL distribution points, OCSP)
    at signing; B-B and B-T never go to the network except to the TSA."""

    tsa_url: str | None = None
    """RFC 3161 timestamp authority; every level above B-B needs one."""

    tsa_timeout_seconds: float = 10.0
    """How long to wait for the timestamp authority before failing."""

    extra_trust_roots: tuple[asn1_x509.Certificate, ...] = ()
    """Roots besides the identity's own chain that the validation data must lead to
    (e.g. the timestamp authority's root), for B-LT and B-LTA."""

    field_name: str = "GatehouseSignature"
    """Name of the signature field (visible where the cover reserved its box, else
    invisible)."""

    field_description: str = (
        "Digital signature of this report: signer, organisation, time, reason, "
        "what it covers and how to verify it"
    )
    """What the visible field is, for screen readers (its alternate text)."""

    reason: str = "Gatehouse compliance report: issued and sealed against alteration"
    """Reason shown by PDF readers in the signature panel."""

    location: str | None = None
    """Where the signature was made, as shown by PDF readers."""

    @property
    def wanted_level(self) -> SignatureLevel:
        """The level to reach: :attr:`level`, or what the TSA setting implies."""
        if self.level is not None:
            return self.level
        return SignatureLevel.B_B if self.tsa_url is None else SignatureLevel.B_T


@dataclass(frozen=True)
class SignedPdf:
    """A signed PDF and what level its signature reached."""

    data: bytes
    """The signed file."""

    level: SignatureLevel
    """The PAdES baseline level actually reached."""


def _timestamper(options: SigningOptions) -> TimeStamper | None:
    """The HTTP timestamp client for the configured TSA, when the level needs one."""
    level = options.wanted_level
    if level is SignatureLevel.B_B:
        return None
    if options.tsa_url is None:
        raise SigningError(
            f"{level} needs a timestamp authority: configure its URL (GATEHOUSE_TSA_URL)"
        )
    return HTTPTimeStamper(options.tsa_url, timeout=options.tsa_timeout_seconds)


def _validation_context(
    identity: SigningIdentity, extra_roots: Sequence[asn1_x509.Certificate]
) -> ValidationContext:
    """The context validation data is gathered with: revocation data is required for
    every certificate that names where to find it, and fetched from there."""
    return ValidationContext(
        trust_roots=[identity.trust_anchor, *extra_roots],
        other_certs=list(identity.chain),
        allow_fetching=True,
        revocation_mode="hard-fail",
    )


def _metadata(
    identity: SigningIdentity, options: SigningOptions, level: SignatureLevel
) -> signers.PdfSignatureMetadata:
    """pyHanko's signature settings for ``level``."""
    long_term = level.rank >= SignatureLevel.B_LT.rank
    return signers.PdfSignatureMetadata(
        field_name=options.field_name,
        reason=options.reason,
        location=options.location,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        embed_validation_info=long_term,
        use_pades_lta=level is SignatureLevel.B_LTA,
        timestamp_field_name=f"{options.field_name}DocumentTimestamp",
        validation_context=(
            _validation_context(identity, options.extra_trust_roots) if long_term else None
        ),
    )


def _sign_once(
    pdf: bytes,
    *,
    identity: SigningIdentity,
    options: SigningOptions,
    level: SignatureLevel,
    timestamper: TimeStamper | None,
    box: SignatureBox | None,
) -> bytes:
    """One pyHanko signing pass over ``pdf``, visible in ``box`` when there is one."""
    metadata = _metadata(identity, options, level)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    if box is None:
        output = signers.sign_pdf(writer, metadata, signer=identity.signer, timestamper=timestamper)
        return output.getvalue()
    add_tagged_signature_field(
        writer, field_name=options.field_name, box=box, description=options.field_description
    )
    signer = signers.PdfSigner(
        metadata, identity.signer, timestamper=timestamper, stamp_style=stamp_style()
    )
    text = appearance_text(
        certificate=identity.certificate,
        fingerprint_sha256=identity.fingerprint_sha256,
        reason=options.reason,
        timestamped=timestamper is not None,
        signed_at=dt.datetime.now(dt.UTC),
    )
    return signer.sign_pdf(writer, appearance_text_params=dict(text)).getvalue()


def _check_reached(data: bytes, level: SignatureLevel) -> None:
    """Refuse a file that lacks what ``level`` promises (the DSS; a document timestamp)."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    if level.rank >= SignatureLevel.B_LT.rank and "/DSS" not in reader.root:
        raise SigningError(f"{level} was not reached: no validation data was embedded")
    if level is SignatureLevel.B_LTA and not reader.embedded_timestamp_signatures:
        raise SigningError(f"{level} was not reached: no document timestamp was added")


def _chain_problem(error: BaseException) -> str:
    """The innermost reason pyHanko gives for a chain it could not validate."""
    reasons = [str(error)]
    cause = error.__cause__ or error.__context__
    while cause is not None and len(reasons) < 4:
        reasons.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    return ": ".join(reason for reason in reasons if reason)


def sign_pdf(
    pdf: bytes,
    *,
    identity: SigningIdentity,
    options: SigningOptions,
    box: SignatureBox | None = None,
) -> SignedPdf:
    """Sign ``pdf`` with ``identity`` at exactly the level the options ask for.

    With ``box`` (where the cover reserved room) the signature is visible there
    (:mod:`app.reports.appearance`); without, the field is invisible. A level that
    cannot be reached raises :class:`SigningError` (:class:`TimestampError` when the
    TSA fails); nothing is returned half-signed.
    """
    level = options.wanted_level
    timestamper = _timestamper(options)
    try:
        data = _sign_once(
            pdf,
            identity=identity,
            options=options,
            level=level,
            timestamper=timestamper,
            box=box,
        )
    except TimestampRequestError as error:
        raise TimestampError(f"timestamp authority {options.tsa_url} failed: {error}") from error
    except (PathError, ChainValidationError, PyHankoSigningError) as error:
        raise SigningError(
            f"cannot sign at {level}: {_chain_problem(error)}"
            if level.rank >= SignatureLevel.B_LT.rank
            else f"cannot sign the report: {error}"
        ) from error
    except PdfError as error:
        raise SigningError(f"cannot sign the report: {error}") from error
    _check_reached(data, level)
    return SignedPdf(data=data, level=level)
