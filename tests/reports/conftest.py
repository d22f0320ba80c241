"""Fixtures for report tests: a signing identity, a local timestamp authority, reports.

Rendering a report takes about a second, so each kind is generated once per session
and shared by the tests that only read it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper
from pypdf import PdfReader

from app.reports import (
    GeneratedReport,
    SigningIdentity,
    ensure_self_signed_identity,
    generate_report,
)
from tests.reports.contexts import BUILDERS, ORGANISATION

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "reports"


def pdf_text(pdf: bytes) -> str:
    """All page text, whitespace collapsed and hyphen line-wraps joined (cells wrap)."""
    reader = PdfReader(io.BytesIO(pdf))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    return re.sub(r"(\w)- (\w)", r"\1-\2", text)


def require_binary(name: str, *, package: str = "poppler-utils") -> str:
    """Path of a required command-line tool; a clear failure (never a skip) without it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is required for this test (Debian package {package})")
    return path


@pytest.fixture(scope="session")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    """The embedded self-signed identity, created as on a fresh install."""
    path = tmp_path_factory.mktemp("keys") / "signing.p12"
    return ensure_self_signed_identity(path, organisation=ORGANISATION)


@pytest.fixture(scope="session")
def reports(identity: SigningIdentity) -> dict[str, GeneratedReport]:
    """One signed report per kind (B-B), built from the realistic contexts."""
    return {
        kind: generate_report(kind=kind, context=build(), identity=identity)
        for kind, build in BUILDERS.items()
    }


@dataclass(frozen=True)
class TimestampAuthority:
    """A local RFC 3161 timestamp authority (pyHanko's DummyTimeStamper behind HTTP)."""

    url: str
    certificate: asn1_x509.Certificate
    requests: list[bytes]


def _tsa_credentials() -> tuple[asn1_x509.Certificate, asn1_keys.PrivateKeyInfo]:
    """A self-signed TSA certificate with the time-stamping extended key usage."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Gatehouse Test TSA")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
        asn1_keys.PrivateKeyInfo.load(der_key),
    )


@pytest.fixture(scope="session")
def timestamp_authority() -> Iterator[TimestampAuthority]:
    """An HTTP TSA on loopback answering real RFC 3161 requests."""
    certificate, key = _tsa_credentials()
    stamper = DummyTimeStamper(tsa_cert=certificate, tsa_key=key)
    seen: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(body)
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TimestampAuthority(
            url=f"http://127.0.0.1:{server.server_address[1]}/tsa",
            certificate=certificate,
            requests=seen,
        )
    finally:
        server.shutdown()
        server.server_close()
