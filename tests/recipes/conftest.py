"""Fixtures the recipes reuse: the approval tests' people and policy engine."""

from tests.approvals.conftest import people, policy_engine  # noqa: F401
