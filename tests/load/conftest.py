"""The load run's figures in the session summary, whether it passed or not."""

from __future__ import annotations

from typing import Any

#: Lines of figures the load test filled in this session.
LOAD_FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print throughput, latency by kind of request, errors and the ledger check."""
    if LOAD_FIGURES:
        terminalreporter.write_sep("-", "load (locust against gunicorn and PostgreSQL)")
        for line in LOAD_FIGURES:
            terminalreporter.write_line(line)
