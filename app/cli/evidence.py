"""``gatehouse evidence ...``: export a period's evidence bundle, verify one offline.

``evidence export --from DAY --to DAY -o bundle.zip`` signs a checkpoint of the ledger's
head, gathers the period's signed reports, the ledger, the checkpoints, the policy bundle
and the OSCAL assessment results into one zip and ledgers the export; exits 0, or 1 with
one line saying why (nothing is written or ledgered then).

``evidence verify bundle.zip`` needs no database and no network: it exits 0 when every
check holds (``--require-trust``: and every signer is trusted), 1 naming each file that
fails otherwise, 2 on a usage error.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

from app.cli.base import EXISTING_FILE, OUTPUT_FILE, shell_actor, trust_option, with_app_context
from app.errors import GatehouseError

__all__ = ["cli_group"]

_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group(name="evidence")
def cli_group() -> None:
    """Evidence bundles for auditors: export a period, verify a bundle offline."""


class _ProgressBar:
    """A click progress bar on stderr, opened when the export knows how many files it has."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, done: int, total: int, name: str) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="writing bundle", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli_group.command("export")
@click.option("--from", "start", type=_DAY, required=True, help="First day of the period.")
@click.option("--to", "end", type=_DAY, required=True, help="Last day of the period.")
@click.option("-o", "--output", type=OUTPUT_FILE, required=True, help="The zip to write.")
@with_app_context
def export_command(start: dt.datetime, end: dt.datetime, output: Path) -> None:
    """Write the evidence bundle of the period --from..--to (both days included)."""
    from flask import current_app

    from app.db import unit_of_work
    from app.evidence.bundle import export_bundle
    from app.reports.prepared import Period

    partial = output.with_name(f".{output.name}.partial")
    progress = _ProgressBar()
    try:
        period = Period(start.date(), end.date())
        with unit_of_work() as session:
            exported = export_bundle(
                session=session,
                settings=current_app.config["GATEHOUSE"],
                period=period,
                out=partial,
                actor=shell_actor(),
                progress=progress,
            )
        partial.replace(output)
    except GatehouseError as error:
        raise click.ClickException(str(error)) from None
    finally:
        progress.close()
        partial.unlink(missing_ok=True)
    click.echo(
        f"{output}: {exported.files} files — {exported.reports} reports, "
        f"{exported.oscal_documents} OSCAL documents, {exported.ledger_events} ledger events "
        f"(checkpoint at event {exported.checkpoint_seq}); manifest sha256 "
        f"{exported.manifest_sha256}"
    )


@cli_group.command("verify")
@click.argument("bundle", type=EXISTING_FILE)
@trust_option("PEM/DER certificate of a trusted root for the signatures (repeatable).")
@click.option("--require-trust", is_flag=True, help="Fail unless every signer is trusted.")
@click.option("--json", "as_json", is_flag=True, help="Print every check as JSON.")
def verify_command(
    bundle: Path, trust_roots: list[Any], require_trust: bool, as_json: bool
) -> None:
    """Check BUNDLE offline: manifest, signatures, ledger chain, checkpoints, policy, OSCAL."""
    from app.evidence.bundle_verify import verify_bundle

    try:
        result = verify_bundle(bundle.read_bytes(), trust_roots=trust_roots)
    except GatehouseError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        for check in result.failures:
            click.echo(f"FAIL {check.area} {check.subject}: {check.detail}")
        signers = ", ".join(sorted(result.signers)) or "none"
        if result.intact:
            word = (
                "VERIFIED"
                if result.trusted
                else "INTACT (signers not verified against a trusted root)"
            )
            click.echo(f"{word}: {len(result.checks)} checks hold; signer SHA-256 {signers}")
        else:
            click.echo(f"FAILED: {len(result.failures)} of {len(result.checks)} checks")
    if not result.intact or (require_trust and not result.trusted):
        sys.exit(1)
