"""The approvals area's registry and people, for the retry and crash tests."""

from tests.approvals.conftest import people, registry

__all__ = ["people", "registry"]
