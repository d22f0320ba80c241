"""Fixtures the recipes reuse: the approval tests' people and policy engine."""

from tests.approvals.conftest import people, policy_engine  # noqa: F401
from tests.policy.conftest import opa_binary, rego_test_inputs  # noqa: F401
