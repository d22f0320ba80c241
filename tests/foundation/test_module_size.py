"""Small modules with one job: no module in ``app/`` grows past 600 lines."""

from __future__ import annotations

from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
MAX_LINES = 600


def test_no_module_in_app_is_over_600_lines() -> None:
    sizes = {
        path.relative_to(APP).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in APP.rglob("*.py")
    }
    assert sizes, "no modules found"
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert not too_long, f"split these along their seams: {too_long}"
