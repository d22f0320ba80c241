"""The auditor's door in a real browser: Evidence in the menu, a period, a zip that the
``gatehouse evidence verify`` command (a separate process, no database) accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.models.base import utc_now
from tests.browser.conftest import WIDTHS, Portal, logged_in, screenshots

pytestmark = pytest.mark.browser


def test_auditor_exports_the_demo_period_and_it_verifies_offline(
    portal: Portal, browser: Any, tmp_path: Path
) -> None:
    page = logged_in(browser, portal, "audrey")
    page.click("nav a:has-text('Evidence')")
    page.wait_for_selector("h1:has-text('Evidence bundles')")
    assert len(screenshots(page, "evidence-bundles")) == len(WIDTHS)
    year = utc_now().year
    page.fill("input[name=start]", f"{year}-01-01")
    page.fill("input[name=end]", f"{year}-12-31")
    with page.expect_download() as download:
        page.click("button:has-text('Export bundle')")
    assert download.value.suggested_filename == f"evidence-{year}-01-01-{year}-12-31.zip"
    bundle = tmp_path / "bundle.zip"
    download.value.save_as(bundle)
    command = Path(sys.executable).with_name("gatehouse")
    verified = subprocess.run(
        [str(command), "evidence", "verify", str(bundle)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "GATEHOUSE_DATABASE_URL": "sqlite:////nonexistent/x.db"},
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("INTACT"), verified.stdout
