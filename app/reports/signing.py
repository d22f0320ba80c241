"""PAdES signatures on rendered reports (pyHanko).

Levels, after ETSI EN 319 142-1:

* **B-B**: a CMS signature in the PDF with the signer certificate (always).
* **B-T**: plus a signature timestamp from a timestamp authority, when a TSA URL is
  configured; it proves the report existed at that time, whatever happens to the key.
* **B-LT**: plus the validation data (certificates, and revocation data where the
  chain has any) in the document security store, so the report can be validated
  years later without reaching the CA. Requires B-T; tried when ``embed_validation_info``
  is on, and the signature falls back to B-T when the chain cannot be validated
  offline (for example a CA chain with revocation URLs and fetching disabled).
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
    """PAdES baseline level a signature reached."""

    B_B = "PAdES-B-B"
    B_T = "PAdES-B-T"
    B_LT = "PAdES-B-LT"


@dataclass(frozen=True)
class SigningOptions:
    """How a report is signed."""

    tsa_url: str | None = None
    """RFC 3161 timestamp authority; ``None`` signs at level B-B."""

    tsa_timeout_seconds: float = 10.0
    """How long to wait for the timestamp authority before failing."""

    embed_validation_info: bool = True
    """Try for B-LT (validation data in the PDF) when a timestamp is taken."""

    allow_fetching: bool = False
    """Let pyHanko fetch CRLs/OCSP responses over the network while embedding validation
    data. Off by default: the embedded install never goes to the network."""

    extra_trust_roots: tuple[asn1_x509.Certificate, ...] = ()
    """Roots besides the identity's own chain needed to validate it offline (e.g. the
    timestamp authority's root) when embedding validation data."""

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


@dataclass(frozen=True)
class SignedPdf:
    """A signed PDF and what level its signature reached."""

    data: bytes
    """The signed file."""

    level: SignatureLevel
    """The PAdES baseline level actually reached."""


def _timestamper(options: SigningOptions) -> TimeStamper | None:
    """The HTTP timestamp client for the configured TSA, if any."""
    if options.tsa_url is None:
        return None
    return HTTPTimeStamper(options.tsa_url, timeout=options.tsa_timeout_seconds)


def _validation_context(
    identity: SigningIdentity, extra_roots: Sequence[asn1_x509.Certificate], *, fetch: bool
) -> ValidationContext:
    """Offline validation context trusting the identity's own chain (for embedding only)."""
    return ValidationContext(
        trust_roots=[identity.trust_anchor, *extra_roots],
        other_certs=list(identity.chain),
        allow_fetching=fetch,
    )


def _sign_once(
    pdf: bytes,
    *,
    identity: SigningIdentity,
    options: SigningOptions,
    timestamper: TimeStamper | None,
    embed: bool,
    box: SignatureBox | None,
) -> bytes:
    """One pyHanko signing pass over ``pdf``, visible in ``box`` when there is one."""
    metadata = signers.PdfSignatureMetadata(
        field_name=options.field_name,
        reason=options.reason,
        location=options.location,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        embed_validation_info=embed,
        validation_context=(
            _validation_context(identity, options.extra_trust_roots, fetch=options.allow_fetching)
            if embed
            else None
        ),
    )
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


def sign_pdf(
    pdf: bytes,
    *,
    identity: SigningIdentity,
    options: SigningOptions,
    box: SignatureBox | None = None,
) -> SignedPdf:
    """Sign ``pdf`` with ``identity`` at the highest PAdES level the options allow.

    With ``box`` (where the cover reserved room) the signature is visible there
    (:mod:`app.reports.appearance`); without, the field is invisible.
    """
    timestamper = _timestamper(options)
    try:
        if timestamper is not None and options.embed_validation_info:
            try:
                data = _sign_once(
                    pdf,
                    identity=identity,
                    options=options,
                    timestamper=timestamper,
                    embed=True,
                    box=box,
                )
                return SignedPdf(data=data, level=SignatureLevel.B_LT)
            except (PathError, ChainValidationError):
                pass  # chain not validatable offline: B-T is the honest level
        data = _sign_once(
            pdf, identity=identity, options=options, timestamper=timestamper, embed=False, box=box
        )
    except TimestampRequestError as error:
        raise TimestampError(f"timestamp authority {options.tsa_url} failed: {error}") from error
    except (PyHankoSigningError, PdfError) as error:
        raise SigningError(f"cannot sign the report: {error}") from error
    level = SignatureLevel.B_B if timestamper is None else SignatureLevel.B_T
    return SignedPdf(data=data, level=level)
