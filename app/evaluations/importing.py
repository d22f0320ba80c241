"""Import an evaluation or red-team file for a model version: all or nothing, ledgered.

The file is parsed completely before anything is written; a malformed file raises
:class:`~app.evaluations.errors.ImportFileError` listing every problem by line or field
and the database is untouched. A parsed file is stored in the caller's transaction:
the import record (tool, version, file SHA-256), its metric results, its campaign with
findings (each finding ledgered as it opens) and its memorisation tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from sqlmodel import Session, select

from app.errors import ConflictError
from app.evaluations.errors import ImportFileError, ImportIssue
from app.evaluations.garak import parse_garak
from app.evaluations.generic import parse_generic_csv, parse_generic_json
from app.evaluations.lm_eval import parse_lm_eval
from app.evaluations.parsed import ParsedEvidence
from app.evaluations.promptfoo import parse_promptfoo
from app.evaluations.redaction import redact_samples
from app.ledger import append_event
from app.models.evaluation_evidence import (
    EvidenceImport,
    MemorisationTest,
    MetricResult,
    RedTeamCampaign,
    RedTeamFinding,
)
from app.models.model_versions import ModelVersion
from app.models.vocabulary import LedgerSubject
from app.registry.records import create_record, get_record

__all__ = ["FORMATS", "ImportOptions", "import_evidence", "parse_evidence"]

#: The formats a file may be imported as.
FORMATS: Final = ("lm_eval", "generic_json", "generic_csv", "garak", "promptfoo")


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file: metric names to give, a baseline file, safe samples."""

    metric_names: Mapping[str, str] = field(default_factory=dict)
    """``task/metric`` -> the name the policy reads (lm-evaluation-harness only)."""
    baseline: bytes | None = None
    """The base model's results file on the same tasks (lm-evaluation-harness only)."""
    samples_marked_safe: bool = False
    """Store red-team samples even when the PII scanner flags them."""


def _decode(content: bytes, file_name: str) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise ImportFileError(
            file_name, [ImportIssue(f"line {line}", "is not UTF-8 text")]
        ) from None


def parse_evidence(
    *, source_format: str, content: bytes, file_name: str, options: ImportOptions
) -> ParsedEvidence:
    """Parse ``content`` as ``source_format``; raises with every located problem."""
    text = _decode(content, file_name)
    if source_format != "lm_eval" and (options.metric_names or options.baseline is not None):
        raise ImportFileError(
            file_name,
            [
                ImportIssue(
                    "options", "metric names and a baseline file apply to lm_eval imports only"
                )
            ],
        )
    if source_format == "lm_eval":
        baseline = (
            _decode(options.baseline, f"{file_name} (baseline)") if options.baseline else None
        )
        return parse_lm_eval(
            text, file_name=file_name, metric_names=options.metric_names, baseline_text=baseline
        )
    if source_format == "generic_json":
        return parse_generic_json(text, file_name=file_name)
    if source_format == "generic_csv":
        return parse_generic_csv(text, file_name=file_name)
    if source_format == "garak":
        return parse_garak(text, file_name=file_name)
    if source_format == "promptfoo":
        return parse_promptfoo(text, file_name=file_name)
    raise ImportFileError(
        file_name,
        [
            ImportIssue(
                "format", f"unknown format '{source_format}'; formats are {', '.join(FORMATS)}"
            )
        ],
    )


def import_evidence(
    *,
    session: Session,
    model_id: int,
    source_format: str,
    content: bytes,
    file_name: str,
    actor: str,
    options: ImportOptions | None = None,
) -> EvidenceImport:
    """Store the evidence in ``content`` for model ``model_id``; nothing on any error."""
    get_record(session=session, model=ModelVersion, record_id=model_id)
    parsed = parse_evidence(
        source_format=source_format,
        content=content,
        file_name=file_name,
        options=options or ImportOptions(),
    )
    digest = hashlib.sha256(content).hexdigest()
    earlier = session.exec(
        select(EvidenceImport).where(
            EvidenceImport.model_version_id == model_id, EvidenceImport.file_sha256 == digest
        )
    ).first()
    if earlier is not None:
        raise ConflictError(
            f"{file_name} was already imported for model {model_id} (import {earlier.id})"
        )
    record = create_record(
        session=session,
        record=EvidenceImport(
            model_version_id=model_id,
            source_format=parsed.source_format,
            tool=parsed.tool,
            tool_version=parsed.tool_version,
            file_name=file_name[:500],
            file_sha256=digest,
            config=parsed.config,
            created_by=actor,
        ),
        actor=actor,
    )
    import_id = record.id or 0
    for metric in parsed.metrics:
        session.add(MetricResult(import_id=import_id, model_version_id=model_id, **vars(metric)))
    for test in parsed.memorisation:
        session.add(MemorisationTest(import_id=import_id, model_version_id=model_id, **vars(test)))
    if parsed.campaign is not None:
        _store_campaign(session, parsed, import_id, model_id, actor, options or ImportOptions())
    session.flush()
    append_event(
        session=session,
        actor=actor,
        action="evidence_import.stored",
        subject_type=LedgerSubject.MODEL_VERSION,
        subject_id=model_id,
        payload={
            "import_id": import_id,
            "format": parsed.source_format,
            "file_sha256": digest,
            "metrics": len(parsed.metrics),
            "memorisation_tests": len(parsed.memorisation),
            "findings": len(parsed.campaign.findings) if parsed.campaign else 0,
        },
    )
    return record


def _store_campaign(
    session: Session,
    parsed: ParsedEvidence,
    import_id: int,
    model_id: int,
    actor: str,
    options: ImportOptions,
) -> None:
    campaign_data = parsed.campaign
    assert campaign_data is not None
    campaign = create_record(
        session=session,
        record=RedTeamCampaign(
            model_version_id=model_id,
            import_id=import_id,
            name=campaign_data.name[:200],
            categories=[
                {"category": category, "probes_run": run, "failures": failed}
                for category, (run, failed) in sorted(campaign_data.tallies.items())
            ],
            started_at=campaign_data.started_at,
            created_by=actor,
        ),
        actor=actor,
    )
    for finding in campaign_data.findings:
        create_record(
            session=session,
            record=RedTeamFinding(
                campaign_id=campaign.id or 0,
                model_version_id=model_id,
                category=finding.category,
                severity=finding.severity,
                probe=finding.probe[:200],
                detector=finding.detector[:200] if finding.detector else None,
                title=f"{finding.failures} of {finding.probes_run} {finding.probe} attempts succeeded",
                probes_run=finding.probes_run,
                failures=finding.failures,
                samples=redact_samples(finding.samples, marked_safe=options.samples_marked_safe),
            ),
            actor=actor,
            action="red_team_finding.opened",
        )
