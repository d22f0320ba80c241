"""The embedded signing identity: created once, private, loadable, self-signed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from app.reports.errors import SigningIdentityError
from app.reports.identity import (
    EMBEDDED_IDENTITY_UNIT,
    ensure_self_signed_identity,
    load_signing_identity,
    passphrase_path,
)


def test_first_use_creates_a_private_rsa_3072_identity(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "signing.p12"
    identity = ensure_self_signed_identity(path, organisation="Northwind Lending plc")
    for created in (path, passphrase_path(path)):
        assert stat.S_IMODE(created.stat().st_mode) == 0o600
    passphrase = passphrase_path(path).read_bytes().strip()
    key, certificate, _ = pkcs12.load_key_and_certificates(path.read_bytes(), passphrase)
    assert key is not None and key.key_size == 3072  # type: ignore[union-attr]
    assert certificate is not None
    assert identity.self_signed
    assert "Northwind Lending plc" in identity.subject
    assert EMBEDDED_IDENTITY_UNIT in identity.subject
    assert len(identity.fingerprint_sha256) == 64


def test_second_use_loads_the_same_identity(tmp_path: Path) -> None:
    path = tmp_path / "signing.p12"
    first = ensure_self_signed_identity(path, organisation="Northwind Lending plc")
    second = ensure_self_signed_identity(path, organisation="Another name")
    assert first.fingerprint_sha256 == second.fingerprint_sha256


def test_wrong_passphrase_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "signing.p12"
    ensure_self_signed_identity(path, organisation="Northwind Lending plc")
    with pytest.raises(SigningIdentityError, match="passphrase"):
        load_signing_identity(path, passphrase=b"not the passphrase")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SigningIdentityError, match="cannot read"):
        load_signing_identity(tmp_path / "absent.p12", passphrase=b"x")
