"""The portal in Debian Chromium driven by Playwright: a seeded demo served on loopback,
the browser, and the checks every walked page gets (axe-core, width, screenshots).

axe-core is vendored by ``scripts/vendor-axe`` (run by ``scripts/setup --test``) into
``.cache/axe-core/``; the tests evaluate it in each page through the browser's debugging
protocol, so the page's own Content-Security-Policy stays as served and nothing is fetched.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from app.config import settings_for_tests
from app.db import session_scope
from app.demo.seed import DemoSeed, seed_demo
from app.gates.engine_binding import current_policy_engine
from app.migrations import upgrade
from tests.conftest import serving

ROOT = Path(__file__).resolve().parents[2]
#: Screenshots and failure evidence (ignored by git).
ARTIFACTS = ROOT / "artifacts" / "browser"
AXE = ROOT / ".cache" / "axe-core" / "axe-4.14.1.min.js"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The widths every screenshot is taken at: a desktop, a tablet (where the header once
#: overflowed) and a phone.
WIDTHS = (1440, 768, 390)
#: axe impact levels a page must not have.
BLOCKING_IMPACTS = ("serious", "critical")


@dataclass(frozen=True)
class Portal:
    """A served demo: its base URL and what the seed created (ids, passwords)."""

    base: str
    seed: DemoSeed


@pytest.fixture(scope="package")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The whole demo (runs, decisions, approvals, audits, reports) on the embedded default,
    served on a loopback port; one for the browser tests (each walk touches its own records)."""
    tmp_path = tmp_path_factory.mktemp("portal")
    settings = settings_for_tests(tmp_path)
    upgrade(settings.database_url)
    application = create_app(settings)
    engine = application.extensions["gatehouse.engine"]
    work = tmp_path / "work"
    work.mkdir()
    with application.app_context(), session_scope(engine) as session:
        seed = seed_demo(
            session=session, settings=settings, engine=current_policy_engine(), work=work
        )
    with serving(application) as base:
        yield Portal(base, seed)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium; a missing browser fails the test (scripts/test installs it).

    Package scope: Playwright's sync API keeps an event loop running in the main thread
    while it is open, and pyHanko's signing (asyncio.run) fails under a running loop, so
    it must close before the tests after this package run.
    """
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian chromium is required for browser tests (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


def logged_in(browser: Any, portal: Portal, username: str, *, width: int = 1440) -> Any:
    """A page of a fresh browser context, logged in as ``username`` on the dashboard."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{portal.base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", portal.seed.passwords[username])
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    return page


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as shown."""
    assert AXE.is_file(), f"{AXE} is missing: run scripts/vendor-axe (scripts/setup --test does)"
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await window.axe.run(document)")
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def page_overflow(page: Any) -> int:
    """How many CSS pixels the document is wider than the viewport (0 when it fits)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth,"
            " document.body.scrollWidth) - window.innerWidth"
        )
    )


def check_page(page: Any) -> None:
    """The walked page has no serious or critical accessibility violation and fits."""
    assert axe_violations(page) == [], page.url
    assert page_overflow(page) <= 0, page.url


def screenshots(page: Any, name: str) -> list[Path]:
    """The current page at every width in :data:`WIDTHS`, each checked to fit, saved under
    ``artifacts/browser/<name>-<width>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        assert page_overflow(page) <= 0, f"{page.url} scrolls sideways at {width} px"
        assert axe_violations(page) == [], f"{page.url} at {width} px"
        path = ARTIFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
    return saved
