"""The portal: login, CSRF on forms, pages that show the registry."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import TEST_PASSWORD
from tests.foundation.helpers import make_lineage


def test_login_failure_is_401_and_says_why(app: Flask, make_actor: Any) -> None:
    actor = make_actor("auditor")
    response = app.test_client().post(
        "/login", data={"username": actor.username, "password": "wrong password!"}
    )
    assert response.status_code == 401
    assert b"unknown user or wrong password" in response.data


def test_pipeline_accounts_cannot_log_in(app: Flask, make_actor: Any) -> None:
    bot = make_actor("pipeline")
    response = app.test_client().post(
        "/login", data={"username": bot.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        # Browsers read a backslash as a slash and drop tabs and line breaks in a URL, so
        # each of these is "//evil.example" to them.
        "/\\evil.example/",
        "/\\/evil.example/",
        "/\t/evil.example/",
        "\\\\evil.example/",
        "/\r\n/evil.example/",
        " //evil.example/",
        "javascript:alert(1)",
    ],
)
def test_login_redirect_stays_on_site(app: Flask, make_actor: Any, target: str) -> None:
    actor = make_actor("auditor")
    response = app.test_client().post(
        "/login",
        query_string={"next": target},
        data={"username": actor.username, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_login_follows_a_path_on_this_site(app: Flask, make_actor: Any) -> None:
    actor = make_actor("auditor")
    response = app.test_client().post(
        "/login",
        query_string={"next": "/runs?state=draft"},
        data={"username": actor.username, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/runs?state=draft"


def test_forms_need_a_csrf_token(settings: Any, make_actor: Any) -> None:
    from app import create_app

    strict = create_app(settings.with_overrides(flask_overrides={"WTF_CSRF_ENABLED": True}))
    client = strict.test_client()
    response = client.post("/login", data={"username": "x", "password": "y"})
    assert response.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_pages_show_the_registry(login: Any, make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    ids = make_lineage(engineer)
    portal, _ = login("compliance_officer")
    dashboard = portal.get("/").get_data(as_text=True)
    assert "<svg" in dashboard and "Runs by state" in dashboard and "chain intact" in dashboard
    assert "notes-sft" in portal.get("/runs").get_data(as_text=True)
    run_page = portal.get(f"/runs/{ids['run']}").get_data(as_text=True)
    assert f"dataset_version:{ids['version']}" in run_page and "PHI" in run_page
    model_page = portal.get(f"/models/{ids['model']}").get_data(as_text=True)
    assert "Missing sections" in model_page
    ledger_page = portal.get("/ledger").get_data(as_text=True)
    assert "Chain intact" in ledger_page and "run.dataset_attached" in ledger_page


def test_stewards_override_classification_with_justification(login: Any, make_actor: Any) -> None:
    engineer = make_actor("ml_engineer")
    ids = make_lineage(engineer)
    officer, _ = login("compliance_officer")
    page = officer.get(f"/datasets/{ids['dataset']}").get_data(as_text=True)
    assert "Record classification" in page
    path = f"/datasets/versions/{ids['version']}/classification"
    refused = officer.post(path, data={"contains_pii": "y"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "a justification is required" in refused
    done = officer.post(
        path,
        data={"contains_pii": "y", "justification": "names found by review"},
        follow_redirects=True,
    )
    assert "classification recorded in the ledger" in done.get_data(as_text=True)
    version = engineer.get(f"/api/v1/datasets/versions/{ids['version']}").get_json()
    assert version["contains_pii"] is True and version["contains_phi"] is False
    assert version["classification_justification"] == "names found by review"
    erased = officer.post(
        f"/datasets/versions/{ids['version']}/erasure-requests",
        data={"reference": "DSR-2026-11"},
        follow_redirects=True,
    )
    assert "erasure request recorded" in erased.get_data(as_text=True)
    assert [
        e["reference"]
        for e in engineer.get(f"/api/v1/datasets/versions/{ids['version']}").get_json()[
            "open_erasure_requests"
        ]
    ] == ["DSR-2026-11"]
    auditor, _ = login("auditor")
    assert "Record classification" not in auditor.get(f"/datasets/{ids['dataset']}").get_data(
        as_text=True
    )
    assert auditor.post(path, data={"justification": "x"}).status_code == 403
