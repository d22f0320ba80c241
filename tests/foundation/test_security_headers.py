"""Browser-facing hardening: CSP without inline script, no framing, nosniff, HSTS on HTTPS,
and API tokens a secret scanner attributes to Gatehouse."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask

from app import create_app
from app.config import PROJECT_ROOT, Settings

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def _policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in directives}


def test_pages_and_api_answers_carry_the_headers(login: Any, make_actor: Any, app: Flask) -> None:
    portal, _ = login("compliance_officer")
    actor = make_actor("auditor")
    answers = [
        portal.get("/"),
        portal.get("/controls"),
        app.test_client().get("/login"),
        app.test_client().get("/api/v1/datasets", headers=actor.headers()),
        app.test_client().get("/api/v1/datasets"),
    ]
    for answer in answers:
        policy = _policy(answer.headers["Content-Security-Policy"])
        assert policy["script-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in answer.headers


def test_hsts_only_over_https(app: Flask) -> None:
    answer = app.test_client().get("/login", base_url="https://gatehouse.example")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_hsts_behind_a_trusted_proxy_only(settings: Settings) -> None:
    """Behind an ingress that terminates TLS the request reaches Gatehouse over HTTP: with
    ``GATEHOUSE_TRUSTED_PROXIES=1`` its ``X-Forwarded-Proto: https`` is believed and HSTS is
    sent; without it the same header, which any client can send, changes nothing."""
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    for hops, expected in ((0, False), (1, True)):
        app = create_app(settings.with_overrides(trusted_proxies=hops))
        answer = app.test_client().get("/login", headers=forwarded)
        assert ("Strict-Transport-Security" in answer.headers) is expected, hops


def test_no_template_has_inline_script_or_event_handlers() -> None:
    """What the CSP forbids must not be needed: no page would work if it relied on it."""
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in Path(PROJECT_ROOT / "templates").rglob("*.html")
        if INLINE_SCRIPT.search(text := path.read_text()) or EVENT_HANDLER.search(text)
    ]
    assert offenders == []


def test_api_tokens_carry_gatehouses_own_prefix(make_actor: Any) -> None:
    token = make_actor("pipeline").token
    assert token.startswith("gth_") and not token.startswith("ghs_")
