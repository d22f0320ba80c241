"""The portal's evidence bundle page: auditors (and officers, admins) export, others get 403.

The test configuration turns CSRF checks off, as for every portal test."""

from __future__ import annotations

import pytest

from app.evidence.bundle_verify import verify_bundle
from tests.reports_registry.conftest import PERIOD, World


@pytest.mark.parametrize(
    ("username", "status"),
    [("audrey", 200), ("olivia", 200), ("ada", 200), ("eli", 403), ("marcus", 403)],
)
def test_who_may_open_the_page(world: World, username: str, status: int) -> None:
    response = world.portal(username).get("/evidence-bundles")
    assert response.status_code == status
    home = world.portal(username).get("/reports").get_data(as_text=True)
    assert ('href="/evidence-bundles"' in home) is (status == 200)


@pytest.mark.parametrize("username", ["eli", "marcus"])
def test_others_cannot_export(world: World, username: str) -> None:
    client = world.portal(username)
    response = client.post(
        "/evidence-bundles",
        data={
            "start": PERIOD.start.isoformat(),
            "end": PERIOD.end.isoformat(),
        },
    )
    assert response.status_code == 403


def test_an_auditor_downloads_a_bundle_that_verifies(world: World) -> None:
    client = world.portal("audrey")
    response = client.post(
        "/evidence-bundles",
        data={
            "start": PERIOD.start.isoformat(),
            "end": PERIOD.end.isoformat(),
        },
    )
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="evidence-{PERIOD.start.isoformat()}-{PERIOD.end.isoformat()}.zip"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    verification = verify_bundle(response.data)
    assert verification.intact, [check for check in verification.failures]


def test_a_backwards_period_is_shown_on_the_page(world: World) -> None:
    client = world.portal("audrey")
    response = client.post("/evidence-bundles", data={"start": "2026-12-31", "end": "2026-01-01"})
    assert response.status_code == 422
    assert "before it starts" in response.get_data(as_text=True)
