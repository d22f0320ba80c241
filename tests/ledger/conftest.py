"""Ledger tests reuse the reports' local RFC 3161 timestamp authority."""

from __future__ import annotations

from tests.reports.conftest import timestamp_authority  # noqa: F401
