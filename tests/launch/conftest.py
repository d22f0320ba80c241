"""The approval tests' registry fixtures, reused: launching starts where approval ends."""

from tests.approvals.conftest import people, policy_engine  # noqa: F401
