"""``gatehouse dataset``: validate, convert and scan dataset files on disk.

Exit codes: 0 valid / done, 1 invalid file (errors printed with line numbers) or a table
beyond a ``GATEHOUSE_TABULAR_*`` limit (the limits uploads obey; one line), 2 usage
error (bad option, unknown format, missing file, impossible conversion). Files over
:data:`PROGRESS_MIN_BYTES` get a progress bar on stderr.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app

from app.cli.base import EXISTING_FILE, shell_actor, with_app_context
from app.config import tabular_limits_from_environment
from app.errors import ConfigurationError, TabularLimitError
from app.formats.catalog import CHAT_FORMATS, FORMATS, PREFERENCE_FORMATS
from app.formats.convert import convert_file
from app.formats.errors import FormatsError
from app.formats.pii import classify, scan_file
from app.formats.validate import validate_file
from app.models.vocabulary import Domain
from app.upload_limits import TabularLimits

__all__ = ["PROGRESS_MIN_BYTES", "cli_group"]

#: Files at least this large show a progress bar.
PROGRESS_MIN_BYTES = 4 * 1024 * 1024
_SHOWN_ISSUES = 50

_format_option = click.option(
    "--format", "format_name", type=click.Choice(FORMATS), default=None, help="Force the format."
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")


@contextmanager
def _progress(path: Path, label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress callback drawing a bar on stderr for big files, else ``None``."""
    size = path.stat().st_size
    if size < PROGRESS_MIN_BYTES:
        yield None
        return
    with click.progressbar(length=size, label=label, file=sys.stderr) as bar:
        yield bar.update


@contextmanager
def _usage_errors() -> Iterator[None]:
    """A :class:`FormatsError` (unknown format, unreadable file) or an unusable setting ends
    the command with its message on stderr and exit status 2."""
    try:
        yield
    except (FormatsError, ConfigurationError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


@contextmanager
def _within_tabular_limits(file: Path) -> Iterator[TabularLimits]:
    """The ``GATEHOUSE_TABULAR_*`` limits uploads obey, for a command reading ``file``: a
    table beyond one ends it with one line and exit status 1 (the file cannot be
    registered); an unusable setting or file, with exit status 2."""
    with _usage_errors():
        limits = tabular_limits_from_environment()
        try:
            yield limits
        except TabularLimitError as refusal:
            click.echo(f"{file}: refused: {refusal}", err=True)
            sys.exit(1)


@click.group(name="dataset")
def cli_group() -> None:
    """Validate, convert and scan fine-tuning dataset files."""


def _file_command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """A ``dataset`` command reading one FILE (``--format`` forces its format) whose report
    is printed as text, or as JSON with ``--json``."""

    def register(function: Callable[..., None]) -> click.Command:
        with_options = click.argument("file", type=EXISTING_FILE)(
            _format_option(_json_option(function))
        )
        return cli_group.command(name)(with_options)

    return register


@_file_command("validate")
def validate_command(file: Path, format_name: str | None, as_json: bool) -> None:
    """Validate FILE; exit 1 when it has errors."""
    with _within_tabular_limits(file) as limits, _progress(file, "validating") as progress:
        report = validate_file(file, format=format_name, progress=progress, tabular_limits=limits)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        state = "valid" if report.valid else "INVALID"
        click.echo(
            f"{file}: {state} {report.format}, {report.record_count} records, "
            f"{report.error_count} errors, {report.warning_count} warnings, sha256 {report.sha256}"
        )
        for issue in report.errors[:_SHOWN_ISSUES]:
            click.echo(f"  error {issue}")
        if report.error_count > _SHOWN_ISSUES:
            click.echo(f"  ... {report.error_count - _SHOWN_ISSUES} more errors (use --json)")
        for issue in report.warnings[:_SHOWN_ISSUES]:
            click.echo(f"  warning {issue}")
    sys.exit(0 if report.valid else 1)


#: Formats that take part in some conversion (chat among chat, preference among preference).
_CONVERTIBLE = tuple(sorted({*CHAT_FORMATS, *PREFERENCE_FORMATS}))


@cli_group.command("convert")
@click.argument("source", type=EXISTING_FILE)
@click.option("--from", "source_format", type=click.Choice(_CONVERTIBLE), required=True)
@click.option("--to", "target_format", type=click.Choice(_CONVERTIBLE), required=True)
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@_json_option
def convert_command(
    source: Path, source_format: str, target_format: str, target: Path, as_json: bool
) -> None:
    """Convert SOURCE to TARGET, listing every lossy step; exit 1 if source records were invalid."""
    with _usage_errors():
        report = convert_file(
            source, target, source_format=source_format, target_format=target_format
        )
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(
            f"{report.records_written} of {report.records_read} records written to {target} "
            f"({'lossless' if report.lossless else 'LOSSY'})"
        )
        for step in report.lossy_steps:
            click.echo(f"  lossy: {step.step} (x{step.count})")
        for issue in report.errors[:_SHOWN_ISSUES]:
            click.echo(f"  error {issue}")
    sys.exit(1 if report.records_invalid or report.errors else 0)


@_file_command("scan")
def scan_command(file: Path, format_name: str | None, as_json: bool) -> None:
    """Scan FILE for PII/PHI; prints counts, locations and masked samples only."""
    with _within_tabular_limits(file) as limits, _progress(file, "scanning") as progress:
        report = scan_file(file, format=format_name, progress=progress, tabular_limits=limits)
    classification = classify(report)
    if as_json:
        click.echo(
            json.dumps(
                {"scan": report.to_dict(), "classification": classification.to_dict()}, indent=2
            )
        )
        return
    click.echo(
        f"{file}: {report.records_scanned} records, {report.fields_scanned} fields scanned; "
        f"PII={'yes' if classification.contains_pii else 'no'} "
        f"PHI={'yes' if classification.contains_phi else 'no'} ({classification.reason})"
    )
    for finding in report.findings:
        where = ", ".join(f"line {loc.line} {loc.field}" for loc in finding.locations[:3])
        click.echo(
            f"  {finding.category}: {finding.count} in {finding.records} records "
            f"(e.g. {', '.join(finding.masked_samples)}; at {where})"
        )


@cli_group.command("register")
@click.argument("file", type=EXISTING_FILE)
@click.option(
    "--dataset", "dataset_name", required=True, help="Name of the dataset the version belongs to."
)
@click.option("--create", is_flag=True, help="Create the dataset when it does not exist yet.")
@click.option(
    "--owner",
    default=None,
    help="Owner of a dataset created with --create (default: the operating-system user).",
)
@click.option(
    "--domain",
    type=click.Choice([domain.value for domain in Domain]),
    default=Domain.GENERAL.value,
    show_default=True,
    help="Domain of a dataset created with --create.",
)
@click.option(
    "--metadata",
    "metadata_file",
    type=EXISTING_FILE,
    default=None,
    help="JSON file: classification and GDPR/HIPAA references.",
)
@_format_option
@_json_option
@with_app_context
def register_command(
    file: Path,
    dataset_name: str,
    create: bool,
    owner: str | None,
    domain: str,
    metadata_file: Path | None,
    format_name: str | None,
    as_json: bool,
) -> None:
    """Store FILE, validate and scan it, and register it as the dataset's next version.

    Exit 0 when the version is valid, 1 when it was registered but has errors.
    """
    from sqlmodel import select

    from app.db import unit_of_work
    from app.errors import ValidationError
    from app.models.datasets import Dataset
    from app.registry.dataset_ingest import ingest_dataset_file, parse_declared_metadata
    from app.registry.datasets import create_dataset
    from app.registry.schemas import DatasetCreate, DatasetVersionMetadata
    from app.storage import stage_file

    settings = current_app.config["GATEHOUSE"]
    who = shell_actor()
    try:
        declared = (
            parse_declared_metadata(metadata_file.read_text("utf-8"), source=str(metadata_file))
            if metadata_file
            else DatasetVersionMetadata()
        )
    except ValidationError as error:
        raise click.UsageError(str(error)) from None
    # A refusal (no such dataset, an invalid file) removes the staged file; it reaches its
    # content address only when the version commits.
    with (
        stage_file(
            file, root=settings.storage_dir / "datasets", max_bytes=settings.max_upload_bytes
        ) as stored,
        unit_of_work() as session,
    ):
        dataset = session.exec(select(Dataset).where(Dataset.name == dataset_name)).first()
        if dataset is None:
            if not create:
                raise click.UsageError(
                    f"no dataset named '{dataset_name}'; pass --create --owner NAME to create it"
                )
            dataset = create_dataset(
                session=session,
                data=DatasetCreate.model_validate(
                    {"name": dataset_name, "owner": owner or getpass.getuser(), "domain": domain}
                ),
                actor=who,
            )
        with _progress(file, "validating and scanning") as progress:
            version, report = ingest_dataset_file(
                session=session,
                dataset_id=dataset.id or 0,
                stored=stored,
                declared=declared,
                actor=who,
                format=format_name,
                progress=progress,
                tabular_limits=settings.tabular_limits,
            )
        body = version.model_dump(mode="json")
    if as_json:
        click.echo(json.dumps(body, indent=2, sort_keys=True))
    else:
        flags = [
            name for name in ("contains_pii", "contains_phi", "special_category") if body[name]
        ]
        click.echo(
            f"registered {dataset_name} v{body['version']} (id {body['id']}): {report.format}, "
            f"{report.record_count} records, {'valid' if report.valid else f'{report.error_count} error(s)'}; "
            f"classification: {', '.join(flags) or 'no personal data found'}"
        )
        for issue in report.errors[:_SHOWN_ISSUES]:
            click.echo(f"  {issue}")
    sys.exit(0 if report.valid else 1)


@cli_group.command("resolve-erasure")
@click.argument("request_id", metavar="REQUEST", type=click.IntRange(min=1))
@click.option("--resolution", required=True, help="What was done (rows removed, retrain, ...).")
@click.option("--json", "as_json", is_flag=True, help="Print one final JSON document.")
def resolve_erasure_command(request_id: int, resolution: str, as_json: bool) -> None:
    """Close erasure request REQUEST (GDPR Art. 17) with what was done, as the token's owner
    (a data steward): an HTTP client of a running Gatehouse (``GATEHOUSE_URL``,
    ``GATEHOUSE_TOKEN``), so the ledger names the person who resolved it.

    Exit 0 resolved, 1 refused (already resolved, not a steward), 3 Gatehouse unreachable.
    """
    from app.cli.pipeline import call_once

    call_once(
        as_json,
        f"/datasets/erasure-requests/{request_id}/resolution",
        {"resolution": resolution},
        refused="resolution refused",
        done=lambda body: (
            f"erasure request {request_id} on dataset version {body['dataset_version_id']} "
            "resolved (ledgered with your name)"
        ),
    )
