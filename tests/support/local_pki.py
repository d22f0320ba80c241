"""A local PKI and RFC 3161 timestamp authority on loopback, for long-term signature tests.

Everything is made here, at run time, from nothing downloaded:

* a **signing CA** (short-lived, so a test can move a simulated clock past its expiry)
  that issues the **report signer**'s certificate, handed out as a PKCS#12 file with its
  chain, exactly as an organisation would configure Gatehouse;
* a **timestamping root** (long-lived) that issues the **timestamp authority**'s
  certificate (extended key usage ``timeStamping``, critical, as RFC 3161 requires);
* one loopback HTTP server that publishes each CA's **CRL** (``GET /crl/<ca>.crl``,
  the URL written into every certificate's CRL distribution point) and answers
  timestamp requests (``POST /tsa``) by running the real ``openssl ts -reply`` on each
  query with the TSA's key and certificate.

CRLs are issued fresh on every request and list what :meth:`LocalPki.revoke` revoked,
so a test can revoke the signer and watch signing refuse it. Stopping the server
(leaving the ``with`` block) takes the CA and the TSA offline, which is how a test
proves verification needs nothing but the PDF and its trust roots.

The signer's chain has two levels (CA → signer) on purpose: pyHanko 0.38's PAdES-LTA
validation turns to past validation (the document timestamp's proof of existence) only
when the signer's own certificate is out of its validity period; an expired
*intermediate* CA stops it with ``CERTIFICATE_CHAIN_GENERAL_FAILURE``. The signer's
certificate ends when its CA's does, so moving the clock past the CA's expiry is the
case that library can judge (docs/signatures.md says what this proves).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Authority", "LocalPki", "PkiLifetimes", "local_pki"]

#: Policy OID the local TSA stamps under (an arc reserved for examples, RFC 7229).
_TSA_POLICY = "1.3.6.1.5.5.7.13.1"


@dataclass(frozen=True)
class PkiLifetimes:
    """How long each certificate and CRL lives, counted from when the PKI is made."""

    signing_ca: dt.timedelta = dt.timedelta(days=2)
    """The signing CA (and the signer under it): short, so a simulated clock can pass it."""
    signing_crl: dt.timedelta = dt.timedelta(days=1)
    """Until the signing CA's CRL's next update."""
    timestamp_root: dt.timedelta = dt.timedelta(days=3650)
    """The timestamping root (long-lived, as roots are)."""
    timestamp_authority: dt.timedelta = dt.timedelta(days=365)
    """The TSA certificate: outlives the signing CA, as an archive timestamp must."""
    timestamp_root_crl: dt.timedelta = dt.timedelta(days=60)
    """Until the timestamping root's CRL's next update: roots publish rarely."""


@dataclass
class Authority:
    """A certificate authority: its key, its certificate, and what it has revoked."""

    name: str
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    crl_lifetime: dt.timedelta
    revoked: dict[int, dt.datetime] = field(default_factory=dict)
    """Serial number → revocation time."""

    def crl(self) -> bytes:
        """A CRL issued now, listing every revoked serial (DER)."""
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(now - dt.timedelta(minutes=1))
            .next_update(now + self.crl_lifetime)
            .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        for serial, when in self.revoked.items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """The same certificate as pyHanko's asn1crypto type."""
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@dataclass
class LocalPki:
    """The running PKI: authorities, the signer and TSA credentials, the server's URLs."""

    base_url: str
    folder: Path
    signing_ca: Authority
    timestamp_root: Authority
    signer_key: ec.EllipticCurvePrivateKey
    signer_certificate: x509.Certificate
    tsa_certificate: x509.Certificate
    created_at: dt.datetime
    timestamp_requests: list[bytes] = field(default_factory=list)
    publishing_crls: bool = True
    """Set to ``False`` to make the CRL URLs answer 503 (the TSA keeps answering)."""

    @property
    def tsa_url(self) -> str:
        """Where the RFC 3161 timestamp authority answers."""
        return f"{self.base_url}/tsa"

    @property
    def signing_ca_certificate(self) -> asn1_x509.Certificate:
        """The signer's CA: the root a verifier trusts for the report's signer."""
        return _asn1(self.signing_ca.certificate)

    @property
    def timestamp_root_certificate(self) -> asn1_x509.Certificate:
        """The timestamp authority's root."""
        return _asn1(self.timestamp_root.certificate)

    @property
    def trust_roots(self) -> tuple[asn1_x509.Certificate, asn1_x509.Certificate]:
        """What a verifier trusts: the signer's CA and the timestamp authority's root."""
        return self.signing_ca_certificate, self.timestamp_root_certificate

    @property
    def signing_ca_expires(self) -> dt.datetime:
        """When the signing CA's certificate (and the signer's) stops being valid."""
        return self.signing_ca.certificate.not_valid_after_utc

    def revoke_signer(self) -> None:
        """Put the signer's certificate on the signing CA's next CRL."""
        self.signing_ca.revoked[self.signer_certificate.serial_number] = dt.datetime.now(dt.UTC)

    def signer_pkcs12(self, passphrase: bytes) -> Path:
        """The signer's key and chain as the PKCS#12 file Gatehouse is configured with."""
        path = self.folder / "signer.p12"
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                name=b"Gatehouse Test Report Signer",
                key=self.signer_key,
                cert=self.signer_certificate,
                cas=[self.signing_ca.certificate],
                encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
            )
        )
        return path

    def write_trust_roots(self) -> Path:
        """Both roots in one PEM file (for ``--trust`` or a trust-roots setting)."""
        path = self.folder / "trust-roots.pem"
        path.write_bytes(_pem(self.signing_ca.certificate) + _pem(self.timestamp_root.certificate))
        return path


class _CertificateFactory:
    """Issues the PKI's certificates with the extensions each role needs."""

    def __init__(self, base_url: str, now: dt.datetime) -> None:
        self.base_url = base_url
        self.now = now

    def _key(self) -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP256R1())

    def issue(
        self,
        *,
        common_name: str,
        key: ec.EllipticCurvePrivateKey,
        issuer: Authority | None,
        lifetime: dt.timedelta,
        ca: bool,
        time_stamping: bool = False,
    ) -> x509.Certificate:
        """A certificate for ``key``; self-signed when ``issuer`` is ``None``."""
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gatehouse Test PKI"),
            ]
        )
        issuer_name = name if issuer is None else issuer.certificate.subject
        signing_key = key if issuer is None else issuer.key
        not_after = self.now + lifetime
        if issuer is not None:
            not_after = min(not_after, issuer.certificate.not_valid_after_utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - dt.timedelta(days=1))
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(_key_usage(ca=ca), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                critical=False,
            )
        )
        if issuer is not None:
            builder = builder.add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            full_name=[
                                x509.UniformResourceIdentifier(
                                    f"{self.base_url}/crl/{issuer.name}.crl"
                                )
                            ],
                            relative_name=None,
                            reasons=None,
                            crl_issuer=None,
                        )
                    ]
                ),
                critical=False,
            )
        if time_stamping:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
        return builder.sign(signing_key, hashes.SHA256())

    def authority(
        self,
        name: str,
        common_name: str,
        *,
        issuer: Authority | None,
        lifetime: dt.timedelta,
        crl_lifetime: dt.timedelta,
    ) -> Authority:
        """A new CA, self-signed or issued by ``issuer``."""
        key = self._key()
        certificate = self.issue(
            common_name=common_name, key=key, issuer=issuer, lifetime=lifetime, ca=True
        )
        return Authority(name, key, certificate, crl_lifetime)

    def leaf(
        self, common_name: str, *, issuer: Authority, lifetime: dt.timedelta, tsa: bool = False
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """An end-entity key and certificate (a report signer, or the TSA)."""
        key = self._key()
        certificate = self.issue(
            common_name=common_name,
            key=key,
            issuer=issuer,
            lifetime=lifetime,
            ca=False,
            time_stamping=tsa,
        )
        return key, certificate


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """CAs sign certificates and CRLs; end entities sign (with non-repudiation)."""
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _write_tsa_files(folder: Path, key: ec.EllipticCurvePrivateKey, pki: LocalPki) -> Path:
    """The key, certificates and ``openssl ts`` configuration of the TSA; its config path."""
    (folder / "tsa.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (folder / "tsa.pem").write_bytes(_pem(pki.tsa_certificate))
    (folder / "tsa-chain.pem").write_bytes(_pem(pki.timestamp_root.certificate))
    (folder / "tsa-serial").write_text("01\n")
    config = folder / "tsa.cnf"
    config.write_text(
        "\n".join(
            [
                "[ tsa ]",
                "default_tsa = gatehouse_tsa",
                "[ gatehouse_tsa ]",
                f"dir = {folder}",
                "serial = $dir/tsa-serial",
                "signer_cert = $dir/tsa.pem",
                "certs = $dir/tsa-chain.pem",
                "signer_key = $dir/tsa.key",
                "signer_digest = sha256",
                f"default_policy = {_TSA_POLICY}",
                "digests = sha256, sha384, sha512",
                "accuracy = secs:1",
                "ordering = yes",
                "tsa_name = yes",
                "ess_cert_id_chain = no",
                "ess_cert_id_alg = sha256",
                "",
            ]
        )
    )
    return config


def _openssl() -> str:
    """The ``openssl`` command; a clear error without it (Debian package openssl)."""
    path = shutil.which("openssl")
    if path is None:
        raise RuntimeError("openssl is required for the local timestamp authority")
    return path


def _server(pki_holder: list[LocalPki], config_holder: list[Path]) -> ThreadingHTTPServer:
    """The loopback server: CRLs by GET, RFC 3161 by POST (one openssl run per query)."""
    openssl = _openssl()
    lock = threading.Lock()  # openssl ts -reply bumps a serial file: one at a time

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            pki = pki_holder[0]
            authorities = {a.name: a for a in (pki.signing_ca, pki.timestamp_root)}
            name = self.path.removeprefix("/crl/").removesuffix(".crl")
            if not self.path.startswith("/crl/") or name not in authorities:
                self._reply(404, "text/plain", b"no such CRL\n")
                return
            if not pki.publishing_crls:
                self._reply(503, "text/plain", b"CRL publication is down\n")
                return
            self._reply(200, "application/pkix-crl", authorities[name].crl())

        def do_POST(self) -> None:
            pki = pki_holder[0]
            query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path != "/tsa":
                self._reply(404, "text/plain", b"no such service\n")
                return
            pki.timestamp_requests.append(query)
            with lock, tempfile.TemporaryDirectory() as scratch:
                request, response = Path(scratch, "q.tsq"), Path(scratch, "r.tsr")
                request.write_bytes(query)
                completed = subprocess.run(
                    [
                        openssl,
                        "ts",
                        "-reply",
                        "-config",
                        str(config_holder[0]),
                        "-queryfile",
                        str(request),
                        "-out",
                        str(response),
                    ],
                    capture_output=True,
                    check=False,
                    timeout=30,
                )
                if completed.returncode != 0:
                    self._reply(500, "text/plain", completed.stderr)
                    return
                self._reply(200, "application/timestamp-reply", response.read_bytes())

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet."""

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@contextmanager
def local_pki(folder: Path, *, lifetimes: PkiLifetimes | None = None) -> Iterator[LocalPki]:
    """Make a PKI in ``folder`` and serve its CRLs and TSA on loopback while inside.

    Leaving the block stops the server: from then on the CA and the TSA are offline.
    """
    lifetimes = lifetimes or PkiLifetimes()
    pki_holder: list[LocalPki] = []
    config_holder: list[Path] = []
    server = _server(pki_holder, config_holder)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    factory = _CertificateFactory(base_url, now)
    signing_ca = factory.authority(
        "signing-ca",
        "Gatehouse Test Signing CA",
        issuer=None,
        lifetime=lifetimes.signing_ca,
        crl_lifetime=lifetimes.signing_crl,
    )
    timestamp_root = factory.authority(
        "tsa-root",
        "Gatehouse Test Timestamping Root CA",
        issuer=None,
        lifetime=lifetimes.timestamp_root,
        crl_lifetime=lifetimes.timestamp_root_crl,
    )
    signer_key, signer_certificate = factory.leaf(
        "Gatehouse Test Report Signer", issuer=signing_ca, lifetime=lifetimes.signing_ca
    )
    tsa_key, tsa_certificate = factory.leaf(
        "Gatehouse Test TSA",
        issuer=timestamp_root,
        lifetime=lifetimes.timestamp_authority,
        tsa=True,
    )
    folder.mkdir(parents=True, exist_ok=True)
    pki = LocalPki(
        base_url=base_url,
        folder=folder,
        signing_ca=signing_ca,
        timestamp_root=timestamp_root,
        signer_key=signer_key,
        signer_certificate=signer_certificate,
        tsa_certificate=tsa_certificate,
        created_at=now,
    )
    pki_holder.append(pki)
    config_holder.append(_write_tsa_files(folder, tsa_key, pki))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield pki
    finally:
        server.shutdown()
        server.server_close()
