"""The seeded registry the fuzz runs against, and its figures in the session summary."""

from __future__ import annotations

from typing import Any

from tests.gates.conftest import seeded

__all__ = ["FIGURES", "seeded"]

#: One line of figures per backend fuzzed in this session, filled by the fuzz test.
FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the fuzz sent and found, whether it passed or not."""
    if not FIGURES:
        return
    terminalreporter.write_sep("-", "API contract fuzz (schemathesis)")
    for line in FIGURES:
        terminalreporter.write_line(line)
