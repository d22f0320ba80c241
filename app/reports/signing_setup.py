"""From the installation's settings to how its reports are signed and whom it trusts.

``GATEHOUSE_SIGNATURE_LEVEL`` names the PAdES level every report must reach,
``GATEHOUSE_TSA_URL`` the timestamp authority and ``GATEHOUSE_SIGNING_TRUST_ROOTS`` the
roots besides the signing identity's own (typically the TSA's) that validation data
must lead to. A setting that cannot work (an unknown level, a level above B-B without
a TSA, an unreadable roots file) is a :class:`~app.errors.ConfigurationError` before
anything is rendered.
"""

from __future__ import annotations

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from app.config import Settings
from app.errors import ConfigurationError
from app.reports.identity import (
    SigningIdentity,
    ensure_self_signed_identity,
    load_signing_identity,
)
from app.reports.signing import SignatureLevel, SigningOptions
from app.reports.verification import load_certificate

__all__ = ["configured_trust_roots", "signing_identity", "signing_options"]


def configured_trust_roots(settings: Settings) -> tuple[asn1_x509.Certificate, ...]:
    """The certificates in ``GATEHOUSE_SIGNING_TRUST_ROOTS`` (none when unset)."""
    path = settings.signing_trust_roots
    if path is None:
        return ()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigurationError(f"GATEHOUSE_SIGNING_TRUST_ROOTS {path}: {error}") from error
    blocks = [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
    try:
        roots = tuple(load_certificate(block) for block in blocks)
    except ValueError as error:
        raise ConfigurationError(f"GATEHOUSE_SIGNING_TRUST_ROOTS {path}: {error}") from error
    if not roots:
        raise ConfigurationError(f"GATEHOUSE_SIGNING_TRUST_ROOTS {path} holds no certificate")
    return roots


def signing_options(settings: Settings) -> SigningOptions:
    """The signing options the settings ask for, checked before any report is made."""
    level = None
    if settings.signature_level is not None:
        try:
            level = SignatureLevel.parse(settings.signature_level)
        except ValueError as error:
            raise ConfigurationError(f"GATEHOUSE_SIGNATURE_LEVEL: {error}") from error
    options = SigningOptions(
        level=level,
        tsa_url=settings.tsa_url,
        extra_trust_roots=configured_trust_roots(settings),
    )
    if options.wanted_level is not SignatureLevel.B_B and settings.tsa_url is None:
        raise ConfigurationError(
            f"GATEHOUSE_SIGNATURE_LEVEL {options.wanted_level.short_name} needs a timestamp "
            "authority: set GATEHOUSE_TSA_URL"
        )
    return options


def signing_identity(settings: Settings) -> SigningIdentity:
    """The organisation's identity when a passphrase is configured, else the embedded one.

    The embedded self-signed identity is generated on first use (and every report signed
    with it says so on its cover).
    """
    if settings.signing_passphrase:
        return load_signing_identity(
            settings.signing_identity_path, passphrase=settings.signing_passphrase.encode()
        )
    return ensure_self_signed_identity(
        settings.signing_identity_path, organisation=settings.organisation
    )
