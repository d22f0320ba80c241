"""The configured PAdES level through the service every door uses: reached, or nothing stored.

An organisation identity from a local CA (PKCS#12 with its chain), a real ``openssl ts``
TSA and CRLs over HTTP (:mod:`tests.support.local_pki`); the report is generated,
stored and ledgered by the service, then verified by the API and the portal, which
report the level reached.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import func, select

from app.config import Settings
from app.db import session_scope
from app.errors import ConfigurationError
from app.models.evidence import Report
from app.models.ledger import LedgerEvent
from app.reports import SignatureLevel
from app.reports.errors import SigningError
from tests.reports_registry.conftest import World, generate_in_session
from tests.support.local_pki import LocalPki, local_pki

PASSPHRASE = "registry test pki"


def _long_term_settings(world: World, pki: LocalPki, level: str) -> Settings:
    return world.settings.with_overrides(
        signing_identity_path=pki.signer_pkcs12(PASSPHRASE.encode()),
        signing_passphrase=PASSPHRASE,
        signing_trust_roots=pki.write_trust_roots(),
        tsa_url=pki.tsa_url,
        signature_level=level,
    )


def _counts(world: World) -> tuple[int, int]:
    with session_scope(world.engine) as session:
        reports = session.exec(select(func.count()).select_from(Report)).one()
        events = session.exec(select(func.count()).select_from(LedgerEvent)).one()
    return reports, events


def _generate(world: World, settings: Settings) -> Report:
    with session_scope(world.engine) as session:
        return generate_in_session(
            session=session,
            settings=settings,
            kind="dataset_sheet",
            actor="olivia",
            subject_id=world.ids["german_credit"],
        )


@contextmanager
def _serving_with(world: World, settings: Settings) -> Iterator[None]:
    """The application's doors with ``settings`` (its trust roots) for the block."""
    original = world.app.config["GATEHOUSE"]
    world.app.config["GATEHOUSE"] = settings
    try:
        yield
    finally:
        world.app.config["GATEHOUSE"] = original


def test_b_lta_is_reached_recorded_and_reported_by_the_api_and_portal(
    world: World, tmp_path: Path
) -> None:
    with local_pki(tmp_path / "pki") as pki:
        settings = _long_term_settings(world, pki, "b-lta")
        report = _generate(world, settings)
    assert report.signature_level == SignatureLevel.B_LTA.value
    data = (world.settings.storage_dir / report.storage_path).read_bytes()
    with _serving_with(world, settings):
        client, headers = world.api("audrey")
        body = client.post(
            "/api/v1/reports/verify",
            headers=headers,
            data={"file": (io.BytesIO(data), "sheet.pdf")},
            content_type="multipart/form-data",
        ).get_json()
        page = (
            world.portal("eli")
            .post(
                "/reports/verify",
                data={"file": (io.BytesIO(data), "sheet.pdf")},
                content_type="multipart/form-data",
            )
            .get_data(as_text=True)
        )
    assert body["verdict"] == "verified", body["problems"]
    assert body["level"] == "PAdES-B-LTA"
    assert body["signatures"][0]["level_gaps"] == []
    assert len(body["document_timestamps"]) == 1
    assert body["registry"]["registered"] is True
    assert "INTACT and TRUSTED." in page and "PAdES-B-LTA" in page


@pytest.mark.parametrize(
    ("level", "tsa", "error"),
    [
        ("b-lta", False, ConfigurationError),
        ("b-xl", True, ConfigurationError),
        ("b-lta", True, SigningError),
    ],
    ids=["level-without-tsa", "unknown-level", "revoked-signer"],
)
def test_an_unreachable_level_fails_loudly_and_stores_nothing(
    world: World, tmp_path: Path, level: str, tsa: bool, error: type[Exception]
) -> None:
    with local_pki(tmp_path / "pki") as pki:
        settings = _long_term_settings(world, pki, level)
        if not tsa:
            settings = settings.with_overrides(tsa_url=None)
        pki.revoke_signer()
        before = _counts(world)
        stored_before = sorted((world.settings.storage_dir / "reports").rglob("*.pdf"))
        with pytest.raises(error) as raised:
            _generate(world, settings)
    assert str(raised.value)
    if error is SigningError:
        assert "revoked" in str(raised.value)
    assert _counts(world) == before
    assert sorted((world.settings.storage_dir / "reports").rglob("*.pdf")) == stored_before
