"""The seeded registry of the report tests (demo seed, an approved promotion, real audits,
one signed report of every kind), shared by this package's tests on both backends."""

from __future__ import annotations

from tests.reports_registry.conftest import world  # noqa: F401 (the package's registry)
