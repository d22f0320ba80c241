"""Screenshots of the pages officers live in, at desktop, tablet and phone widths.

Each page is saved under ``artifacts/browser/<page>-<width>.png`` (docs/screenshots/
holds two of them for the README); at each width the page must fit the viewport (no
sideways scroll of the body) and have no serious or critical axe-core violation.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import WIDTHS, Portal, logged_in, screenshots

pytestmark = pytest.mark.browser


def test_dashboard_decision_run_and_fairness_pages_at_every_width(
    portal: Portal, browser: Any
) -> None:
    page = logged_in(browser, portal, "olivia")
    saved = screenshots(page, "dashboard")

    page.goto(f"{portal.base}/runs/{portal.seed.ids['notes-o4-mini-sft']}")
    saved += screenshots(page, "run")

    page.click("section.next a:has-text('decision')")
    page.wait_for_selector("h1:has-text('deny')")
    saved += screenshots(page, "decision")

    page.goto(f"{portal.base}/audits?kind=fairness")
    page.locator("tbody tr:has(td:text-is('fairness')) a").first.click()
    page.wait_for_selector("h1")
    saved += screenshots(page, "fairness")

    assert len(saved) == 4 * len(WIDTHS)
    assert all(path.stat().st_size > 10_000 for path in saved)
