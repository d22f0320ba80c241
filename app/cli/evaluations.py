"""``gatehouse evaluation ...``: import tools' results files, list findings, supersede.

Deciding on a finding needs an authenticated, independent approver, so it happens in
the portal or through the API. Superseding an evaluation needs one too, so
``gatehouse evaluation supersede`` is an HTTP client of a running Gatehouse, like the
pipeline commands (``GATEHOUSE_URL``, the approver's token in ``GATEHOUSE_TOKEN``).
"""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.base import EXISTING_FILE, shell_actor, with_app_context

__all__ = ["cli_group"]

_FORMATS = ("lm_eval", "generic_json", "generic_csv", "garak", "promptfoo")


@click.group("evaluation")
def cli_group() -> None:
    """Evaluation and red-team evidence: import tools' results, list findings."""


@cli_group.command("import")
@click.argument("model_id", type=int)
@click.argument("path", type=EXISTING_FILE)
@click.option("--format", "source_format", type=click.Choice(_FORMATS), required=True)
@click.option(
    "--baseline",
    type=EXISTING_FILE,
    help="lm_eval: the base model's results on the same tasks.",
)
@click.option(
    "--metric-name",
    "metric_names",
    multiple=True,
    metavar="TASK/METRIC=NAME",
    help="lm_eval: store TASK/METRIC under the name the policy reads (repeatable).",
)
@click.option(
    "--samples-safe",
    is_flag=True,
    help="Keep red-team samples even when the PII scanner flags them.",
)
@with_app_context
def import_command(
    model_id: int,
    path: Path,
    source_format: str,
    baseline: Path | None,
    metric_names: tuple[str, ...],
    samples_safe: bool,
) -> None:
    """Import PATH for model version MODEL_ID; nothing is stored if any line is wrong."""
    from app.db import unit_of_work
    from app.errors import ValidationError
    from app.evaluations.errors import ImportFileError
    from app.evaluations.importing import ImportOptions, import_evidence

    names = {}
    for pair in metric_names:
        key, _, name = pair.partition("=")
        if not key or not name:
            raise ValidationError(f"--metric-name '{pair}' is not TASK/METRIC=NAME")
        names[key] = name
    try:
        with unit_of_work() as session:
            record = import_evidence(
                session=session,
                model_id=model_id,
                source_format=source_format,
                content=path.read_bytes(),
                file_name=path.name,
                actor=shell_actor(),
                options=ImportOptions(
                    metric_names=names,
                    baseline=baseline.read_bytes() if baseline else None,
                    samples_marked_safe=samples_safe,
                ),
            )
            click.echo(
                f"imported {path.name} as import {record.id} ({record.tool} {record.tool_version or ''})".rstrip()
            )
    except ImportFileError as error:
        for issue in error.issues[1:]:
            click.echo(f"  {issue}", err=True)
        raise click.ClickException(
            f"{error.file_name}: {error.issues[0]} (nothing imported)"
        ) from None


@cli_group.command("findings")
@click.argument("model_id", type=int)
@click.option("--status", type=click.Choice(["open", "mitigated", "accepted", "closed"]))
@with_app_context
def findings_command(model_id: int, status: str | None) -> None:
    """List MODEL_ID's red-team findings."""
    from app.db import unit_of_work
    from app.evaluations.findings import findings_of

    with unit_of_work() as session:
        for finding in findings_of(session=session, model_id=model_id, status=status):
            click.echo(
                f"{finding.id:>5}  {finding.status:<9} {finding.severity:<8} {finding.category:<16} {finding.title}"
            )


@cli_group.command("supersede")
@click.argument("evaluation_id", type=int)
@click.option("--reason", required=True, help="Why it is withdrawn (kept with it, ledgered).")
@click.option("--json", "as_json", is_flag=True, help="Print one final JSON document.")
def supersede_command(evaluation_id: int, reason: str, as_json: bool) -> None:
    """Withdraw EVALUATION_ID from the gates (it stays on record), as the token's owner.

    Exit 0 superseded, 1 refused (not independent, already superseded, no such
    evaluation), 3 Gatehouse unreachable or the token refused.
    """
    from app.cli.pipeline import call_once

    call_once(
        as_json,
        f"/evaluations/{evaluation_id}/supersede",
        {"reason": reason},
        refused="supersede refused",
        done=lambda body: (
            f"evaluation {evaluation_id} ({body['kind']} '{body['name']}' of model version "
            f"{body['model_version_id']}) superseded by {body['superseded_by']}; "
            "the gates no longer read it"
        ),
    )
