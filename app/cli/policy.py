"""``gatehouse policy ...``: test and compile the policies, list the control catalogue.

``policy build`` compiles the policies with the real OPA (``opa build -t wasm``) into
the compiled-policy folder the embedded engine runs (exit 0 when written, 1 when OPA
refuses the policies, 3 when the OPA binary is missing): run it after every change to
``policies/``; a stale artefact stops the embedded engine with an error saying so.

``policy schema`` writes the input document's JSON Schema (``policy-schemas/input.json``,
generated from the Python input models) that ``policy test`` type-checks against.

``policy test`` runs ``opa fmt --fail``, ``opa check --strict --schema`` and
``opa test --coverage`` over the policy directory and prints the coverage of the
control packs (exit 0 when all pass, 1 when a check fails, 3 when the OPA binary
is missing). ``policy catalogue [--json | --markdown]`` lists the controls from their
METADATA annotations, with citation, effective and review dates (a review older than a
year is marked overdue); ``--markdown`` renders ``docs/controls.md``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from app.policy.catalogue import load_catalogue
from app.policy.errors import PolicyError
from app.policy.opa_checks import find_opa_binary, run_opa_checks

__all__ = ["cli_group"]

_DEFAULT_POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"


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
    """Run opa fmt, opa check --strict (with the input schema) and opa test --coverage."""
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


@cli_group.command("schema")
@_policy_dir_option
def schema_command(policy_dir: Path) -> None:
    """Write policy-schemas/input.json from the Python input models."""
    from app.policy.input_schema import render_input_schema, schema_dir

    target = schema_dir(policy_dir) / "input.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_input_schema(), encoding="utf-8")
    click.echo(f"wrote {target}")


@cli_group.command("build")
@_policy_dir_option
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: Path(
        os.environ.get(
            "GATEHOUSE_COMPILED_POLICY_DIR", _DEFAULT_POLICY_DIR.parent / "compiled-policy"
        )
    ),
    show_default="compiled-policy/ (GATEHOUSE_COMPILED_POLICY_DIR)",
    help="Folder to write policy.wasm and manifest.json into.",
)
def build_command(policy_dir: Path, output: Path) -> None:
    """Compile the policies with opa build -t wasm for the embedded engine."""
    from app.policy.compiled import build_compiled_policy

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
@click.option(
    "--markdown", is_flag=True, help="Print docs/controls.md (controls and manual controls)."
)
def catalogue_command(policy_dir: Path, as_json: bool, markdown: bool) -> None:
    """List the controls from the policies' METADATA annotations."""
    from datetime import date

    from app.policy.catalogue import review_overdue

    if as_json and markdown:
        click.echo("error: choose one of --json and --markdown", err=True)
        raise SystemExit(2)
    from app.policy.controls_doc import load_manual_controls, render_controls_doc

    try:
        controls = load_catalogue(policy_dir=policy_dir)
        manual = load_manual_controls(policy_dir=policy_dir) if markdown else []
    except PolicyError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(1) from error
    if as_json:
        click.echo(json.dumps([control.as_dict() for control in controls], indent=2))
        return
    if markdown:
        click.echo(render_controls_doc(controls, manual), nl=False)
        return
    today = date.today()
    for control in controls:
        overdue = "  REVIEW OVERDUE" if review_overdue(control, today=today) else ""
        click.echo(
            f"{control.id:<24} {control.regulation:<8} {control.severity:<8} "
            f"reviewed {control.last_reviewed}  {control.citation}  ({control.package}){overdue}"
        )
