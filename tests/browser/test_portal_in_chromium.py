"""The portal in a real browser (Debian Chromium driven by Playwright): log in, look around."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.login import REFUSAL
from tests.browser.conftest import Portal, check_page, logged_in, screenshots

pytestmark = pytest.mark.browser


def test_officer_logs_in_and_reviews_a_denied_decision(portal: Portal, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{portal.base}/")
    assert "/login" in page.url
    check_page(page)
    page.fill("input[name=username]", "olivia")
    page.fill("input[name=password]", "wrong password here")
    page.click("button[type=submit]")
    assert page.locator(".flash.error").inner_text() == REFUSAL
    page.fill("input[name=username]", "olivia")
    page.fill("input[name=password]", portal.seed.passwords["olivia"])
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    assert page.locator("figure svg").count() >= 1
    page.click("nav >> text=Decisions")
    page.wait_for_selector("h1:has-text('Gate decisions')")
    assert page.locator("nav a[aria-current=page]").inner_text() == "Decisions"
    page.locator("td:has-text('HIPAA-164.514')").first.locator("xpath=..").locator(
        "a"
    ).first.click()
    page.wait_for_selector("text=45 CFR 164.514(a)-(b)")
    assert "deny" in page.locator("h1").inner_text().lower()
    page.click("button:has-text('Log out')")
    page.wait_for_selector("h1:has-text('Log in')")


def test_api_docs_render_offline(portal: Portal, browser: Any) -> None:
    page = browser.new_page()
    external: list[str] = []
    page.on(
        "request",
        lambda request: (
            external.append(request.url) if not request.url.startswith(portal.base) else None
        ),
    )
    page.goto(f"{portal.base}/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path")
    paths = {
        text.replace("\u200b", "")
        for text in page.locator(".opblock-summary-path").all_inner_texts()
    }
    assert {"/api/v1/datasets", "/api/v1/gates/{gate}"} <= paths
    assert external == []


def test_login_never_sends_the_browser_to_another_site(portal: Portal, browser: Any) -> None:
    """``next=/\\evil.example/`` passes a check for "a path on this site", but Chromium
    reads the backslash as a slash: after login the browser must still be on the portal."""
    context = browser.new_context()
    elsewhere: list[str] = []

    def other_site(route: Any) -> None:
        elsewhere.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Elsewhere</h1>")

    context.route("http://evil.example/**", other_site)
    page = context.new_page()
    page.goto(f"{portal.base}/login?next=/%5Cevil.example/")
    page.fill("input[name=username]", "olivia")
    page.fill("input[name=password]", portal.seed.passwords["olivia"])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert elsewhere == [] and page.url == f"{portal.base}/"
    assert page.locator("h1").inner_text() == "Dashboard"
    # Chromium keeps the Secure session cookie of a loopback origin served over HTTP.
    (session,) = [cookie for cookie in context.cookies() if cookie["name"] == "session"]
    assert session["secure"] and session["httpOnly"] and session["sameSite"] == "Lax"
    context.close()


def test_an_admin_deactivates_an_account_and_its_session_ends(portal: Portal, browser: Any) -> None:
    """Offboarding in the browser: the leaver's open page sends them to the login the
    next time they click, and reactivating lets them back in."""
    leaver = logged_in(browser, portal, "marcus")
    admin = logged_in(browser, portal, "ada")
    admin.click("nav >> text=Accounts")
    admin.wait_for_selector("h1:has-text('Accounts')")
    check_page(admin)
    screenshots(admin, "accounts")
    row = admin.locator("#account-marcus")
    row.locator("input[name=reason]").fill("moved to another team")
    row.locator("button:has-text('Deactivate')").click()
    admin.wait_for_selector(".flash.ok")
    assert "marcus deactivated" in admin.locator(".flash.ok").inner_text()
    assert "deactivated" in admin.locator("#account-marcus").inner_text()
    leaver.click("nav >> text=Approvals")
    leaver.wait_for_selector("h1:has-text('Log in')")
    admin.locator("#account-marcus button:has-text('Reactivate')").click()
    admin.wait_for_selector(".flash.ok")
    assert "marcus reactivated" in admin.locator(".flash.ok").inner_text()
    again = logged_in(browser, portal, "marcus")
    assert again.locator("h1").inner_text() == "Dashboard"
    for page in (leaver, admin, again):
        page.context.close()
