"""``gatehouse report ...``: generate a signed report from the registry, verify any PDF.

``report generate KIND --subject ID -o FILE`` builds the report from the registry,
signs it with the configured identity, records and ledgers it, and writes the PDF; it
exits 0 on success, 1 when the subject is missing or not ready, 2 on a usage error.

``report verify`` exits 0 when the file is signed and unaltered since signing (whoever
signed it; ``--require-trust`` also demands a trusted signer), 1 when it is tampered,
unsigned, not the registered file or (with ``--require-trust``) not trusted, and 2 on
a usage error. With ``--replay`` it also re-evaluates the embedded decisions with this
installation's policies: 1 when the embedded evidence is not intact or not replayable
(a digest mismatch, no input), 3 when it is intact but a decision would now come out
differently.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from asn1crypto import x509 as asn1_x509
from flask import current_app

from app.cli.base import EXISTING_FILE, OUTPUT_FILE, shell_actor, trust_option, with_app_context
from app.db import unit_of_work
from app.errors import GatehouseError
from app.ledger.anchors import (
    LedgerReference,
    LedgerReferenceCheck,
    check_reference,
    read_reference,
)
from app.reports.errors import UnknownReportKindError
from app.reports.kind import report_kind
from app.reports.prepared import Period, ReportRequest
from app.reports.replay import describe as describe_replay
from app.reports.replay import replay_failure, replay_report
from app.reports.service import generate
from app.reports.verification import (
    SignatureCheck,
    TrustStatus,
    Verdict,
    VerificationResult,
    verify_pdf,
)

__all__ = ["cli_group"]

_VERDICT_WORDS = {
    Verdict.VERIFIED: "VERIFIED (intact, trusted signer)",
    Verdict.INTACT_UNTRUSTED: "INTACT (signer not verified against a trusted root)",
    Verdict.TAMPERED: "TAMPERED",
    Verdict.UNSIGNED: "UNSIGNED",
}


@click.group(name="report")
def cli_group() -> None:
    """Signed PDF reports."""


def _describe_signature(check: SignatureCheck) -> list[str]:
    """Human-readable lines for one signature."""
    lines = [
        f"  signature    {check.field_name}: intact={check.intact} valid={check.valid} "
        f"coverage={check.coverage.value}",
        f"  signer       {check.signer_subject or '—'}",
        f"  fingerprint  {check.signer_fingerprint_sha256 or '—'}",
        f"  trust        {check.trust.value}",
        f"  signed at    {check.signing_time.isoformat() if check.signing_time else '—'} "
        "(claimed by the signer)",
    ]
    if check.timestamp is not None:
        trusted = "trusted" if check.timestamp_trusted else "TSA not trusted"
        lines.append(
            f"  timestamp    {check.timestamp.isoformat()} by {check.timestamp_authority} ({trusted})"
        )
    else:
        lines.append("  timestamp    none")
    if check.level is not None:
        why = f" (not higher: {'; '.join(check.level_gaps)})" if check.level_gaps else ""
        basis = "; trusted through its document timestamp" if check.long_term else ""
        lines.append(f"  level        {check.level.value}{why}{basis}")
    return lines


def _describe(path: Path, result: VerificationResult) -> str:
    """The full human-readable verification report."""
    lines = [f"{path}: {_VERDICT_WORDS[result.verdict]}", f"  sha256       {result.sha256}"]
    if result.expected_sha256 is not None:
        verdict = "matches" if result.sha256_matches else "DOES NOT MATCH"
        lines.append(f"  expected     {result.expected_sha256} ({verdict})")
    if result.validation_time is not None:
        lines.append(f"  validated at {result.validation_time.isoformat()} (simulated clock)")
    for check in result.signatures:
        lines.extend(_describe_signature(check))
    lines.extend(
        f"  document ts  {stamp.field_name}: {stamp.time.isoformat() if stamp.time else '—'} "
        f"by {stamp.authority or '—'} (intact={stamp.intact} trusted={stamp.trusted})"
        for stamp in result.document_timestamps
    )
    if result.trust is TrustStatus.SELF_SIGNED and result.intact:
        lines.append(
            "  note         self-signed: compare the fingerprint with the one the issuer publishes"
        )
    lines.extend(f"  problem      {problem}" for problem in result.problems)
    return "\n".join(lines)


@cli_group.command("verify")
@click.argument("file", type=EXISTING_FILE)
@click.option(
    "--expected-sha256",
    metavar="HEX",
    help="SHA-256 the report registry recorded for this report.",
)
@trust_option(
    "PEM/DER certificate of a trusted root (repeatable), e.g. the organisation's CA "
    "or its published self-signed report certificate."
)
@click.option("--require-trust", is_flag=True, help="Fail unless the signer is trusted.")
@click.option(
    "--at",
    "validation_time",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    help="Validate as of this UTC time (a simulated clock), e.g. after the CA expired.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Do not check the report's embedded ledger head and checkpoint against this "
    "installation's ledger (checked by default when run as 'gatehouse report verify').",
)
@click.option(
    "--replay",
    is_flag=True,
    help="Also re-evaluate the decisions embedded in FILE with this installation's policies "
    "(offline, no database) and name any decision or control whose outcome would differ; "
    "exit 3 when one does.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_command(
    file: Path,
    expected_sha256: str | None,
    trust_roots: list[asn1_x509.Certificate],
    require_trust: bool,
    validation_time: dt.datetime | None,
    offline: bool,
    replay: bool,
    as_json: bool,
) -> None:
    """Check that FILE is a signed report, unaltered since signing, who signed it, and
    that the ledger still holds the head and checkpoint the report pinned."""
    data = file.read_bytes()
    result = verify_pdf(
        data,
        trust_roots=trust_roots,
        expected_sha256=expected_sha256,
        validation_time=None if validation_time is None else validation_time.replace(tzinfo=dt.UTC),
    )
    reference = read_reference(data) if result.intact else None
    ledger = None if reference is None or offline else _check_ledger(reference, trust_roots)
    try:
        replayed = replay_report(data) if replay else None
    except GatehouseError as error:
        raise click.ClickException(f"cannot replay: {error}") from None
    if as_json:
        body = {"file": str(file), **result.as_dict()}
        body["ledger"] = None if ledger is None else ledger.as_dict()
        if replayed is not None:
            body["replay"] = replayed.as_dict()
        click.echo(json.dumps(body, indent=2))
    else:
        click.echo(_describe(file, result))
        if reference is not None:
            click.echo(_describe_ledger(reference, ledger))
        if replayed is not None:
            click.echo("\n".join(describe_replay(replayed)))
    failed = not result.intact or (require_trust and result.verdict is not Verdict.VERIFIED)
    if failed:
        reason = result.problems[0] if result.problems else "signer is not trusted"
        click.echo(f"{file}: {result.verdict.value}: {reason}", err=True)
        raise SystemExit(1)
    if ledger is not None and not ledger.holds:
        click.echo(f"{file}: ledger check failed: {'; '.join(ledger.problems)}", err=True)
        raise SystemExit(1)
    if replayed is not None and not replayed.identical:
        click.echo(f"{file}: {replay_failure(replayed)}", err=True)
        raise SystemExit(1 if replayed.evidence_problems else 3)


def _check_ledger(
    reference: LedgerReference, roots: list[asn1_x509.Certificate]
) -> LedgerReferenceCheck | None:
    """Check the embedded reference against this installation's ledger.

    Run as ``gatehouse report verify`` the command belongs to an installation and checks
    its ledger; the report group used on its own (an auditor's offline copy) has none.
    """
    from app.cli import cli

    if click.get_current_context().find_root().command is not cli:
        return None

    @with_app_context
    def check() -> LedgerReferenceCheck:
        with unit_of_work() as session:
            return check_reference(session=session, reference=reference, trust_roots=roots)

    return check()


def _describe_ledger(reference: LedgerReference, ledger: LedgerReferenceCheck | None) -> str:
    """One line about the report's ledger reference and its check."""
    pinned = f"head event {reference.head.seq}" + (
        f", checkpoint event {reference.checkpoint.head.seq}" if reference.checkpoint else ""
    )
    if ledger is None:
        return f"  ledger       {pinned} (not checked against a ledger)"
    if ledger.holds:
        return f"  ledger       {pinned}: the ledger still holds them"
    return f"  ledger       {pinned}: DOES NOT HOLD ({'; '.join(ledger.problems)})"


@cli_group.command("generate")
@click.argument("kind")
@click.option(
    "--subject",
    "subject_id",
    type=click.IntRange(min=1),
    help="Registry id of the subject: model version, dataset version, audit run or deployment.",
)
@click.option(
    "--period-start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="First day of the period (periodic_compliance).",
)
@click.option(
    "--period-end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day of the period (periodic_compliance).",
)
@click.option(
    "-o",
    "--output",
    type=OUTPUT_FILE,
    required=True,
    help="Where to write the signed PDF.",
)
@with_app_context
def generate_command(
    kind: str,
    subject_id: int | None,
    period_start: dt.datetime | None,
    period_end: dt.datetime | None,
    output: Path,
) -> None:
    """Generate, sign, record and ledger a KIND report; write the PDF to --output.

    KIND is a registered report kind (model_card, dataset_sheet, audit_report,
    promotion_evidence, periodic_compliance, ...).
    """
    settings = current_app.config["GATEHOUSE"]
    try:
        report_type = report_kind(kind)
    except UnknownReportKindError as error:
        raise click.BadParameter(str(error), param_hint="KIND") from None
    try:
        if report_type.about_a_period:
            if period_start is None or period_end is None:
                raise click.UsageError(f"{kind} needs --period-start and --period-end")
            period = Period(period_start.date(), period_end.date())
            request = ReportRequest(kind, period=period)
        elif subject_id is None:
            raise click.UsageError(f"{kind} needs --subject ID")
        else:
            request = ReportRequest(kind, subject_id=subject_id)
        report = generate(
            sessions=unit_of_work, settings=settings, request=request, actor=shell_actor()
        )
    except GatehouseError as error:
        raise click.ClickException(str(error)) from None
    source = settings.storage_dir / report.storage_path
    output.write_bytes(source.read_bytes())
    click.echo(
        f"{output}: {report_type.label}, report {report.id}, {report.page_count} pages, "
        f"{report.signature_level}{' (self-signed)' if report.self_signed else ''}, "
        f"sha256 {report.pdf_sha256}"
    )
