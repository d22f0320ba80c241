"""The portal in a real browser (Debian Chromium driven by Playwright): log in, look around."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.config import settings_for_tests
from app.db import session_scope
from app.demo.seed import DemoSeed, seed_datasets, seed_people, seed_runs_and_models
from app.demo.workflow import run_demo_workflow
from app.gates.engine_binding import current_policy_engine
from app.migrations import upgrade

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture
def live_portal(tmp_path: Path) -> Iterator[tuple[str, DemoSeed]]:
    """The seeded application on the embedded default (SQLite), served on a loopback port."""
    settings = settings_for_tests(tmp_path)
    upgrade(settings.database_url)
    application = create_app(settings)
    engine = application.extensions["gatehouse.engine"]
    seed = DemoSeed()
    work = tmp_path / "work"
    work.mkdir()
    with application.app_context(), session_scope(engine) as session:
        seed_people(session, seed, fast_hash=True)
        seed_datasets(session, settings, work, seed)
        seed_runs_and_models(session, seed)
        run_demo_workflow(
            session=session, settings=settings, engine=current_policy_engine(), seed=seed
        )
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seed
    server.shutdown()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Debian Chromium; a missing browser fails the test (scripts/test installs it)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian chromium is required for browser tests (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


def test_officer_logs_in_and_reviews_a_denied_decision(live_portal: Any, browser: Any) -> None:
    base, seed = live_portal
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/")
    assert "/login" in page.url
    page.fill("input[name=username]", "olivia")
    page.fill("input[name=password]", "wrong password here")
    page.click("button[type=submit]")
    assert page.locator(".flash.error").inner_text() == "unknown user or wrong password"
    page.fill("input[name=username]", "olivia")
    page.fill("input[name=password]", seed.passwords["olivia"])
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    assert page.locator("figure svg").count() >= 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    page.click("text=Decisions")
    page.wait_for_selector("h1:has-text('Gate decisions')")
    page.locator("td:has-text('HIPAA-164.514')").first.locator("xpath=..").locator(
        "a"
    ).first.click()
    page.wait_for_selector("text=45 CFR 164.514(a)-(b)")
    assert "DENY" in page.locator("h1").inner_text()
    page.screenshot(path=str(ARTIFACTS / "decision.png"), full_page=True)
    page.click("button:has-text('Log out')")
    page.wait_for_selector("h1:has-text('Log in')")


def test_api_docs_render_offline(live_portal: Any, browser: Any) -> None:
    base, _ = live_portal
    page = browser.new_page()
    external: list[str] = []
    page.on(
        "request",
        lambda request: external.append(request.url) if not request.url.startswith(base) else None,
    )
    page.goto(f"{base}/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path")
    paths = {
        text.replace("\u200b", "")
        for text in page.locator(".opblock-summary-path").all_inner_texts()
    }
    assert {"/api/v1/datasets", "/api/v1/gates/{gate}"} <= paths
    assert external == []
