"""The Rego policies pass OPA's own checks: fmt, check --strict, test --coverage."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli.policy import cli_group
from app.policy.opa_checks import run_opa_checks
from tests.policy.conftest import POLICY_DIR

pytestmark = pytest.mark.opa

MIN_PACK_COVERAGE = 90.0


def test_fmt_check_and_tests_pass_with_pack_coverage(opa_binary: Path) -> None:
    failures, coverage = run_opa_checks(opa=opa_binary, policy_dir=POLICY_DIR)
    assert failures == []
    assert coverage is not None
    print(f"control-pack coverage {coverage.percent:.1f}%")
    assert coverage.percent >= MIN_PACK_COVERAGE


def test_policy_test_command_prints_coverage(opa_binary: Path) -> None:
    result = CliRunner().invoke(cli_group, ["test"], env={"GATEHOUSE_OPA_BINARY": str(opa_binary)})
    assert result.exit_code == 0, result.output
    assert "control-pack coverage:" in result.output


def test_policy_test_command_without_opa_exits_3(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli_group, ["test"], env={"GATEHOUSE_OPA_BINARY": str(tmp_path / "no-opa")}
    )
    assert result.exit_code == 3
    assert "no OPA binary" in result.output


def test_policy_test_command_reports_a_failing_test(opa_binary: Path, tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    (policies / "broken").mkdir(parents=True)
    (policies / "data.json").write_text("{}")
    (policies / "broken" / "broken_test.rego").write_text(
        "package broken_test\n\ntest_fails if {\n\t1 == 2\n}\n"
    )
    result = CliRunner().invoke(
        cli_group,
        ["test", "--policy-dir", str(policies)],
        env={"GATEHOUSE_OPA_BINARY": str(opa_binary)},
    )
    assert result.exit_code == 1
    assert "test_fails" in result.output
