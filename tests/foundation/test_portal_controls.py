"""The portal's control catalogue: every control from METADATA, by regulation and framework."""

from __future__ import annotations

import html
from typing import Any

from app.policy.catalogue import load_catalogue
from tests.policy.conftest import POLICY_DIR


def test_every_control_is_listed_with_its_citation_review_date_and_frameworks(
    login: Any,
) -> None:
    portal, _ = login("auditor")
    page = html.unescape(portal.get("/controls").get_data(as_text=True))
    catalogue = load_catalogue(policy_dir=POLICY_DIR)
    assert catalogue
    for control in catalogue:
        assert f'id="{control.id}"' in page
        assert control.citation in page and control.last_reviewed in page
        for items in control.frameworks.values():
            assert ", ".join(items) in page
    for regulation in {control.regulation for control in catalogue}:
        assert f"<h2>{regulation}</h2>" in page


def test_filters_narrow_to_one_regulation_or_framework(login: Any) -> None:
    portal, _ = login("compliance_officer")
    catalogue = load_catalogue(policy_dir=POLICY_DIR)
    regulation = sorted({control.regulation for control in catalogue})[0]
    page = portal.get(f"/controls?regulation={regulation}").get_data(as_text=True)
    for control in catalogue:
        assert (f'id="{control.id}"' in page) == (control.regulation == regulation)
    framework = sorted({name for control in catalogue for name in control.frameworks})[0]
    page = portal.get(f"/controls?framework={framework}").get_data(as_text=True)
    for control in catalogue:
        assert (f'id="{control.id}"' in page) == bool(control.frameworks.get(framework))
    empty = portal.get("/controls?regulation=nonexistent").get_data(as_text=True)
    assert "No control matches this filter." in empty


def test_the_catalogue_needs_a_login(client: Any) -> None:
    response = client.get("/controls")
    assert response.status_code in (302, 401)
