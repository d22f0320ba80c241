"""``gatehouse policy ...``: test and compile the policies, list the control catalogue.

``policy build`` compiles the policies with the real OPA (``opa build -t wasm``) into
the compiled-policy folder the embedded engine runs (exit 0 when written, 1 when OPA
refuses the policies, 3 when the OPA binary is missing): run it after every change to
``policies/``; a stale artefact stops the embedded engine with an error saying so.

``policy test`` runs ``opa fmt --fail``, ``opa check --strict`` and
``opa test --coverage`` over the policy directory and prints the coverage of the
control packs (exit 0 when all pass, 1 when a check fails, 3 when the OPA binary
is missing). ``policy catalogue [--json]`` lists the controls from their METADATA
annotations.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import click

from app.policy.catalogue import load_catalogue
from app.policy.compiled import DEFAULT_COMPILED_DIR, build_compiled_policy
from app.policy.errors import PolicyError

__all__ = ["CoverageReport", "cli_group", "find_opa_binary", "pack_coverage", "run_opa_checks"]

#: Folders of the control packs whose coverage ``policy test`` reports.
CONTROL_PACKS = ("hipaa", "gdpr", "finance", "common")
_DEFAULT_POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"
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


def run_opa_checks(*, opa: Path, policy_dir: Path) -> tuple[list[str], CoverageReport | None]:
    """Run fmt, check and test; return the failures (empty when all pass) and coverage."""
    failures = []
    for label, arguments in (
        ("opa fmt --fail", ["fmt", "--fail", "--list", str(policy_dir)]),
        ("opa check --strict", ["check", "--strict", str(policy_dir)]),
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


@click.group(name="policy")
def cli_group() -> None:
    """Policy as code: test the Rego policies, list the controls."""


_policy_dir_option = click.option(
    "--policy-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=_DEFAULT_POLICY_DIR,
    show_default=True,
    help="The policy directory.",
)


def _require_opa() -> Path:
    """The OPA binary, or exit 3 with a line saying how to get it."""
    opa = find_opa_binary()
    if opa is None:
        click.echo(
            "error: no OPA binary (set GATEHOUSE_OPA_BINARY, put opa on PATH, or "
            "go install github.com/open-policy-agent/opa@v1.22.3)",
            err=True,
        )
        raise SystemExit(3)
    return opa


@cli_group.command("test")
@_policy_dir_option
def test_command(policy_dir: Path) -> None:
    """Run opa fmt, opa check --strict and opa test --coverage; print the coverage."""
    opa = _require_opa()
    failures, coverage = run_opa_checks(opa=opa, policy_dir=policy_dir)
    if coverage is not None:
        click.echo(
            f"control-pack coverage: {coverage.percent:.1f}% "
            f"({coverage.covered} of {coverage.covered + coverage.not_covered} lines)"
        )
    for failure in failures:
        click.echo(f"error: {failure}", err=True)
    if failures:
        raise SystemExit(1)
    click.echo("policies: fmt, check and tests pass")


@cli_group.command("build")
@_policy_dir_option
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: Path(os.environ.get("GATEHOUSE_COMPILED_POLICY_DIR", DEFAULT_COMPILED_DIR)),
    show_default="compiled-policy/ (GATEHOUSE_COMPILED_POLICY_DIR)",
    help="Folder to write policy.wasm and manifest.json into.",
)
def build_command(policy_dir: Path, output: Path) -> None:
    """Compile the policies with opa build -t wasm for the embedded engine."""
    opa = _require_opa()
    try:
        compiled = build_compiled_policy(opa=opa, policy_dir=policy_dir, output_dir=output)
    except PolicyError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(1) from error
    click.echo(
        f"compiled {policy_dir} with OPA {compiled.opa_version} into {output} "
        f"({len(compiled.wasm) // 1024} KiB, source {compiled.source_hash[:12]})"
    )


@cli_group.command("catalogue")
@_policy_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
def catalogue_command(policy_dir: Path, as_json: bool) -> None:
    """List the controls from the policies' METADATA annotations."""
    try:
        controls = load_catalogue(policy_dir=policy_dir)
    except PolicyError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(1) from error
    if as_json:
        click.echo(json.dumps([control.as_dict() for control in controls], indent=2))
        return
    for control in controls:
        click.echo(
            f"{control.id:<24} {control.regulation:<8} {control.severity:<8} "
            f"{control.citation}  ({control.package})"
        )
