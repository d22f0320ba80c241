"""The OPA binary's own checks of the policies: ``opa fmt``, ``opa check --strict``, ``opa test``.

``gatehouse policy test`` and CI run these; the coverage figure counts the control
packs only (the gates and libraries are exercised through them). ``opa check`` runs
with the input schema (``app.policy.input_schema``), so a misspelt input member is a
type error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CONTROL_PACKS", "CoverageReport", "find_opa_binary", "pack_coverage", "run_opa_checks"]

#: Folders of the control packs whose coverage ``policy test`` reports.
CONTROL_PACKS = ("hipaa", "gdpr", "finance", "eu_ai_act", "common")
_GO_BIN_OPA = Path("/root/go/bin/opa")


def find_opa_binary() -> Path | None:
    """The OPA binary: ``GATEHOUSE_OPA_BINARY``, then PATH, then ~/go/bin/opa."""
    configured = os.environ.get("GATEHOUSE_OPA_BINARY")
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    on_path = shutil.which("opa")
    if on_path:
        return Path(on_path)
    for candidate in (Path.home() / "go" / "bin" / "opa", _GO_BIN_OPA):
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class CoverageReport:
    """Line coverage of the control packs from ``opa test --coverage``."""

    #: Covered lines over all control-pack files (tests excluded).
    covered: int
    #: Not-covered lines over the same files.
    not_covered: int

    @property
    def percent(self) -> float:
        """Covered share in percent (100 when there is nothing to cover)."""
        total = self.covered + self.not_covered
        return 100.0 if total == 0 else 100.0 * self.covered / total


def pack_coverage(report: dict) -> CoverageReport:
    """Sum OPA's coverage report over the control-pack files."""
    covered = not_covered = 0
    for name, entry in report.get("files", {}).items():
        parts = Path(name).parts
        if name.endswith("_test.rego") or not any(pack in parts for pack in CONTROL_PACKS):
            continue
        covered += sum(r["end"]["row"] - r["start"]["row"] + 1 for r in entry.get("covered", []))
        not_covered += sum(
            r["end"]["row"] - r["start"]["row"] + 1 for r in entry.get("not_covered", [])
        )
    return CoverageReport(covered=covered, not_covered=not_covered)


def run_opa_checks(
    *, opa: Path, policy_dir: Path, schema_dir: Path | None = None
) -> tuple[list[str], CoverageReport | None]:
    """Run fmt, check and test; return the failures (empty when all pass) and coverage.

    ``opa check --strict`` type-checks the policies against the input schemas in
    ``schema_dir`` (default: ``policy-schemas/`` beside the policy directory), which the
    packages name in their METADATA; a missing schema directory is a failure, not a
    check without types.
    """
    from app.policy.input_schema import schema_dir as default_schema_dir

    schemas = schema_dir if schema_dir is not None else default_schema_dir(policy_dir)
    failures = []
    if not (schemas / "input.json").is_file():
        failures.append(
            f"opa check --strict: no input schema {schemas / 'input.json'} "
            "(write it with `gatehouse policy schema`)"
        )
    for label, arguments in (
        ("opa fmt --fail", ["fmt", "--fail", "--list", str(policy_dir)]),
        ("opa check --strict", ["check", "--strict", "--schema", str(schemas), str(policy_dir)]),
    ):
        done = subprocess.run([str(opa), *arguments], capture_output=True, text=True)
        if done.returncode != 0:
            failures.append(f"{label}: {(done.stdout + done.stderr).strip()}")
    tested = subprocess.run(
        [str(opa), "test", "--coverage", "--format", "json", str(policy_dir)],
        capture_output=True,
        text=True,
    )
    coverage = None
    try:
        coverage = pack_coverage(json.loads(tested.stdout))
    except ValueError:
        failures.append(f"opa test: {(tested.stdout + tested.stderr).strip()[:2000]}")
    if tested.returncode != 0 and coverage is not None:
        failed = subprocess.run([str(opa), "test", str(policy_dir)], capture_output=True, text=True)
        failures.append(f"opa test: {(failed.stdout + failed.stderr).strip()[-4000:]}")
    return failures, coverage
