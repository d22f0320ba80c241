"""The key and certificate that sign reports.

Production loads the organisation's certificate from a PKCS#12 file and its
passphrase. The embedded default creates a self-signed identity on first use, so a
single-machine install signs its reports from day one; every report and the portal
then say plainly that the signer is self-signed and only as trustworthy as the
certificate's fingerprint, checked out of band.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from filelock import FileLock
from pyhanko.sign.signers import SimpleSigner

from app.reports.errors import SigningIdentityError

__all__ = [
    "EMBEDDED_IDENTITY_UNIT",
    "SigningIdentity",
    "certificate_fingerprint",
    "ensure_self_signed_identity",
    "is_self_signed",
    "load_signing_identity",
    "passphrase_path",
]

#: Organisational unit written into identities Gatehouse generates itself, so a
#: reader of the certificate sees where it came from.
EMBEDDED_IDENTITY_UNIT = "Gatehouse embedded signing identity (self-signed)"

_KEY_SIZE = 3072
_VALIDITY = dt.timedelta(days=3650)


def certificate_fingerprint(certificate: asn1_x509.Certificate) -> str:
    """SHA-256 of the DER certificate as hex: what people compare out of band."""
    return hashlib.sha256(certificate.dump()).hexdigest()


def is_self_signed(certificate: asn1_x509.Certificate) -> bool:
    """Whether the certificate's issuer is its own subject and its signature verifies so."""
    return certificate.self_signed in ("maybe", "yes")


@dataclass(frozen=True)
class SigningIdentity:
    """A loaded signing key with its certificate chain, ready for pyHanko."""

    signer: SimpleSigner
    """pyHanko signer holding the private key and the certificate chain."""

    certificate: asn1_x509.Certificate
    """The signer's own certificate."""

    chain: tuple[asn1_x509.Certificate, ...]
    """Other certificates from the PKCS#12 file (intermediates and root), possibly empty."""

    @property
    def subject(self) -> str:
        """The certificate subject as people read it (e.g. ``Common Name: ..., ...``)."""
        return self.certificate.subject.human_friendly

    @property
    def self_signed(self) -> bool:
        """True for a certificate no authority vouches for (e.g. the embedded default)."""
        return is_self_signed(self.certificate)

    @property
    def fingerprint_sha256(self) -> str:
        """SHA-256 fingerprint of the signer certificate, hex."""
        return certificate_fingerprint(self.certificate)

    @property
    def certificate_pem(self) -> str:
        """The signer certificate as PEM, to store with each report or publish."""
        return pem.armor("CERTIFICATE", self.certificate.dump()).decode("ascii")

    @property
    def trust_anchor(self) -> asn1_x509.Certificate:
        """The top of the chain this file carries: the root a verifier has to trust."""
        for candidate in (self.certificate, *self.chain):
            if is_self_signed(candidate):
                return candidate
        return self.chain[-1] if self.chain else self.certificate


def load_signing_identity(path: Path, *, passphrase: bytes) -> SigningIdentity:
    """Load a PKCS#12 file (the organisation's signing certificate and key)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SigningIdentityError(f"cannot read signing identity {path}: {error}") from error
    try:
        signer = SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=passphrase)
    except (ValueError, TypeError) as error:
        raise SigningIdentityError(
            f"cannot open signing identity {path}: wrong passphrase or not PKCS#12 ({error})"
        ) from error
    certificate = signer.signing_cert
    if certificate is None:
        raise SigningIdentityError(f"signing identity {path} holds no certificate")
    chain = tuple(cert for cert in signer.cert_registry if cert != certificate)
    return SigningIdentity(signer=signer, certificate=certificate, chain=chain)


def passphrase_path(identity_path: Path) -> Path:
    """Where the generated passphrase of an embedded identity is kept."""
    return identity_path.with_name(identity_path.name + ".passphrase")


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by its owner only; never overwrite an existing file."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _create_self_signed(path: Path, *, organisation: str) -> None:
    """Generate an RSA-3072 key and a self-signed document-signing certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_SIZE)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} report signing"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, EMBEDDED_IDENTITY_UNIT),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation: pyHanko requires it for signers
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    passphrase = secrets.token_urlsafe(32).encode("ascii")
    bundle = pkcs12.serialize_key_and_certificates(
        name=f"{organisation} report signing".encode(),
        key=key,
        cert=certificate,
        cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )
    _write_private(passphrase_path(path), passphrase + b"\n")
    _write_private(path, bundle)


def ensure_self_signed_identity(path: Path, *, organisation: str) -> SigningIdentity:
    """Load the embedded identity at ``path``, creating it (and its passphrase file) first.

    Creation happens once per install: the PKCS#12 file and ``<path>.passphrase`` are
    written with 0600 permissions, under a file lock so two processes starting at the
    same time cannot create two different identities.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path.with_name(path.name + ".lock"))):
        if not path.exists():
            _create_self_signed(path, organisation=organisation)
    try:
        passphrase = passphrase_path(path).read_bytes().strip()
    except OSError as error:
        raise SigningIdentityError(
            f"signing identity {path} exists but its passphrase file cannot be read: {error}"
        ) from error
    return load_signing_identity(path, passphrase=passphrase)
