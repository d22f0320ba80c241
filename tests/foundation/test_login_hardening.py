"""Portal login hardening: one refusal for every failure, lockout, and logout that ends
every session of the account (a copied cookie too)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, select

from app.auth.login import LOCKOUT_AFTER, REFUSAL
from app.models.ledger import LedgerEvent
from tests.conftest import TEST_PASSWORD


def _log_in(app: Flask, username: str, password: str) -> Any:
    return app.test_client().post("/login", data={"username": username, "password": password})


def test_the_session_cookie_is_secure_unless_turned_off(
    app: Flask, settings: Any, make_actor: Any
) -> None:
    """Sent over HTTPS only by default; ``GATEHOUSE_SECURE_COOKIES=0`` (a plain-HTTP trial,
    the loopback demo) keeps the other protections."""
    from app import create_app

    actor = make_actor("auditor")
    secure = _log_in(app, actor.username, TEST_PASSWORD).headers["Set-Cookie"]
    plain_app = create_app(settings.with_overrides(secure_cookies=False))
    plain = _log_in(plain_app, actor.username, TEST_PASSWORD).headers["Set-Cookie"]
    attributes = [
        {part.strip().lower() for part in cookie.split(";")} for cookie in (secure, plain)
    ]
    assert "secure" in attributes[0] and "secure" not in attributes[1]
    for cookie in attributes:
        assert {"httponly", "samesite=lax"} <= cookie


@pytest.mark.parametrize(
    ("base_url", "headers", "warned"),
    [
        ("http://gatehouse.internal", {}, True),
        ("http://10.0.0.7:8000", {}, True),
        ("http://gatehouse.internal", {"X-Forwarded-Proto": "https"}, False),
        ("https://gatehouse.example.org", {}, False),
        ("http://localhost:5000", {}, False),
        ("http://127.0.0.1:5000", {}, False),
        ("http://[::1]:5000", {}, False),
    ],
)
def test_the_login_page_warns_when_the_browser_will_drop_the_session_cookie(
    app: Flask, settings: Any, base_url: str, headers: dict[str, str], warned: bool
) -> None:
    """A Secure cookie set over plain HTTP on another machine's address is dropped by the
    browser: the login would silently loop back, so the page says why first."""
    from app import create_app

    warning = "your browser will not keep you signed in"
    page = app.test_client().get("/login", base_url=base_url, headers=headers)
    assert (warning in page.get_data(as_text=True)) is warned
    plain = create_app(settings.with_overrides(secure_cookies=False)).test_client()
    assert warning not in plain.get("/login", base_url=base_url).get_data(as_text=True)


def test_unknown_and_known_usernames_are_refused_alike(app: Flask, make_actor: Any) -> None:
    actor = make_actor("auditor")
    known = _log_in(app, actor.username, "wrong password!")
    unknown = _log_in(app, "nobody-by-this-name", "wrong password!")
    assert known.status_code == unknown.status_code == 401
    assert REFUSAL.encode() in known.data and REFUSAL.encode() in unknown.data


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    app: Flask, engine: sa.Engine, make_actor: Any
) -> None:
    actor = make_actor("compliance_officer")
    for _ in range(LOCKOUT_AFTER):
        assert _log_in(app, actor.username, "guess guess guess").status_code == 401
    locked = _log_in(app, actor.username, TEST_PASSWORD)
    assert locked.status_code == 401
    # The lock reads like any refusal: shown only for real accounts, it named them.
    for _ in range(LOCKOUT_AFTER + 2):
        unknown = _log_in(app, "nobody-by-this-name", "guess guess guess")
    assert locked.get_data(as_text=True).count(REFUSAL) == 1
    assert unknown.get_data(as_text=True).count(REFUSAL) == 1
    with Session(engine) as session:
        actions = session.exec(
            select(LedgerEvent.action).where(LedgerEvent.actor == actor.username)
        ).all()
    assert "user.locked" in actions and "user.logged_in" not in actions


def test_a_success_resets_the_failure_count(app: Flask, make_actor: Any) -> None:
    actor = make_actor("auditor")
    for _ in range(LOCKOUT_AFTER - 1):
        _log_in(app, actor.username, "guess guess guess")
    assert _log_in(app, actor.username, TEST_PASSWORD).status_code == 302
    for _ in range(LOCKOUT_AFTER - 1):
        _log_in(app, actor.username, "guess guess guess")
    assert _log_in(app, actor.username, TEST_PASSWORD).status_code == 302


def test_logout_ends_a_copied_session_cookie(app: Flask, make_actor: Any) -> None:
    actor = make_actor("compliance_officer")
    browser = app.test_client()
    browser.post("/login", data={"username": actor.username, "password": TEST_PASSWORD})
    cookie = browser.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/").status_code == 200
    browser.post("/logout")
    assert thief.get("/").status_code == 302
    again = app.test_client()
    again.post("/login", data={"username": actor.username, "password": TEST_PASSWORD})
    assert again.get("/").status_code == 200


def test_failed_logins_from_one_address_are_bounded_across_accounts(
    settings: Any, make_actor: Any, engine: sa.Engine
) -> None:
    """Password spraying: one wrong password on each of many accounts locks none of them,
    so the address is what is counted. Past the bound the address gets a 429 without a
    password check; another address still logs in, and a client's own ``X-Forwarded-For``
    changes nothing unless a trusted proxy is configured."""
    from app import create_app

    actors = [make_actor("auditor") for _ in range(4)]
    app = create_app(settings.with_overrides(login_failures_per_address=3))
    client = app.test_client()

    def log_in(username: str, password: str, address: str, **headers: str) -> Any:
        return client.post(
            "/login",
            data={"username": username, "password": password},
            environ_base={"REMOTE_ADDR": address},
            headers=headers,
        )

    for actor in actors[:3]:
        assert log_in(actor.username, "wrong", "198.51.100.9").status_code == 401
    throttled = log_in(actors[3].username, TEST_PASSWORD, "198.51.100.9")
    assert throttled.status_code == 429
    assert "too many failed logins from this address" in throttled.text
    forged = log_in(
        actors[3].username, TEST_PASSWORD, "198.51.100.9", **{"X-Forwarded-For": "192.0.2.1"}
    )
    assert forged.status_code == 429
    assert log_in(actors[3].username, TEST_PASSWORD, "198.51.100.10").status_code == 302
    with Session(engine) as session:
        logins = session.exec(
            select(LedgerEvent.actor).where(LedgerEvent.action == "user.logged_in")
        ).all()
    assert logins == [actors[3].username]

    # Behind one trusted proxy every client has its own count.
    proxied = create_app(settings.with_overrides(login_failures_per_address=3, trusted_proxies=1))
    client = proxied.test_client()
    for actor in actors[:3]:
        refused = log_in(actor.username, "wrong", "10.0.0.2", **{"X-Forwarded-For": "192.0.2.7"})
        assert refused.status_code == 401
    other = log_in(
        actors[3].username, TEST_PASSWORD, "10.0.0.2", **{"X-Forwarded-For": "192.0.2.8"}
    )
    assert other.status_code == 302
