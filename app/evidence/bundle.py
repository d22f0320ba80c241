"""The evidence bundle: everything an auditor needs for a period, in one zip, checkable offline.

What goes in (paths inside the zip):

* ``reports/`` — the signed PDFs issued in the period, as stored (not regenerated), each
  checked against the SHA-256 recorded when it was issued;
* ``ledger/events.jsonl`` — the whole ledger from genesis to its head (the chain can only
  be recomputed from the start), and ``ledger/checkpoints/`` — every signed checkpoint,
  including one signed by the export itself over the head it exports;
* ``policy/`` — the Rego modules and data the engines load, whose hash the verifier
  recomputes, and ``controls/catalogue.json`` — the controls with their crosswalk;
* ``oscal/`` — the period's standing and each production-promotion decision of the period
  as OSCAL assessment results, valid against the OSCAL schema (checked before writing);
* ``manifest.json`` (every file's SHA-256 and size, the ledger head, the policy hash) with
  ``manifest.json.sig``, a detached CMS signature by the organisation's signing identity,
  and ``README.md`` on how to verify.

The export runs in the caller's unit of work: the checkpoint it signs and the
``evidence.exported`` event (with the actor, the period and the manifest's digest) commit
together. The zip is written to ``out``, which the door moves into place only after the
commit, so a failed export leaves neither a zip nor a ledgered export.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from app.config import Settings
from app.evidence.bundle_readme import readme_text
from app.evidence.errors import EvidenceError
from app.evidence.oscal import (
    OSCAL_VERSION,
    Assessor,
    decisions_in,
    latest_decisions_in,
    period_results,
    promotion_results,
)
from app.evidence.oscal_schema import SCHEMA_FILE, schema_errors
from app.ledger.chain import append_event, export_jsonl, head_position
from app.ledger.checkpoints import CheckpointFile, create_checkpoint
from app.ledger.signatures import sign_statement
from app.models.base import utc_now
from app.models.evidence import Report
from app.models.ledger import LedgerCheckpoint
from app.models.vocabulary import GateName, LedgerSubject
from app.policy.bundle import DATA_FILE, load_bundle
from app.policy.catalogue import load_catalogue
from app.reports.prepared import Period
from app.reports.service import report_filename, signing_identity, stored_pdf

__all__ = [
    "BUNDLE_FORMAT",
    "MANIFEST",
    "MANIFEST_SIGNATURE",
    "ExportedBundle",
    "Progress",
    "export_bundle",
]

#: The ``format`` of a bundle's manifest.
BUNDLE_FORMAT = "gatehouse-evidence-bundle/1"
#: The manifest's path in the zip, and its detached signature's.
MANIFEST = "manifest.json"
MANIFEST_SIGNATURE = "manifest.json.sig"
#: The extra policy data file's name in the bundle (the installation's overrides).
EXTRA_DATA_FILE = "extra-data.json"

#: Called after each file is added: (files done, files in all, the file's path).
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ExportedBundle:
    """What an export wrote."""

    path: Path
    manifest_sha256: str
    files: int
    reports: int
    oscal_documents: int
    ledger_events: int
    checkpoint_seq: int


def _reports_in(session: Session, period: Period) -> list[Report]:
    """Reports issued within the period, oldest first."""
    query = select(Report).where(period.covers(col(Report.created_at)))
    return list(session.exec(query.order_by(col(Report.id))))


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _policy_files(settings: Settings) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The policy bundle's files (zip path -> bytes) and the manifest's policy entry."""
    bundle = load_bundle(
        policy_dir=settings.policy_dir, extra_data_path=settings.policy_data_override
    )
    files = {f"policy/{relative}": source.encode() for relative, source in bundle.modules}
    files[f"policy/{DATA_FILE}"] = (settings.policy_dir / DATA_FILE).read_bytes()
    entry: dict[str, Any] = {
        "sha256": bundle.hash,
        "modules": [f"policy/{relative}" for relative, _ in bundle.modules],
        "data": f"policy/{DATA_FILE}",
        "extra_data": None,
    }
    if settings.policy_data_override is not None:
        files[f"policy/{EXTRA_DATA_FILE}"] = settings.policy_data_override.read_bytes()
        entry["extra_data"] = f"policy/{EXTRA_DATA_FILE}"
    return files, entry


def _oscal_files(
    *, session: Session, settings: Settings, period: Period, policy_sha256: str, now: dt.datetime
) -> dict[str, bytes]:
    """The period's and each promotion decision's assessment results, schema-valid or none."""
    assessor = Assessor(
        catalogue={
            control.id: control for control in load_catalogue(policy_dir=settings.policy_dir)
        },
        organisation=settings.organisation,
        generated_at=now,
    )
    documents: dict[str, dict[str, Any]] = {}
    standing = latest_decisions_in(session=session, period=period)
    if standing:
        documents[f"oscal/period-{period.start.isoformat()}-{period.end.isoformat()}.json"] = (
            period_results(
                decisions=standing,
                period=period,
                assessor=assessor,
                policy_bundle_sha256=policy_sha256,
            )
        )
    for decision in decisions_in(
        session=session, period=period, gate=GateName.PRODUCTION_PROMOTION
    ):
        documents[f"oscal/promotion-decision-{decision.id}.json"] = promotion_results(
            decision=decision, assessor=assessor
        )
    for path, document in documents.items():
        errors = schema_errors(document)
        if errors:
            raise EvidenceError(f"{path} is not valid OSCAL, nothing was exported: {errors[0]}")
    return {path: _json_bytes(document) for path, document in documents.items()}


def _ledger_files(session: Session, checkpoint: LedgerCheckpoint) -> tuple[dict[str, bytes], int]:
    """The ledger export and every stored checkpoint up to its head; and the event count."""
    out = io.StringIO()
    count = export_jsonl(session=session, out=out)
    files = {"ledger/events.jsonl": out.getvalue().encode()}
    rows = session.exec(
        select(LedgerCheckpoint)
        .where(col(LedgerCheckpoint.seq) <= checkpoint.seq)
        .order_by(col(LedgerCheckpoint.id))
    ).all()
    for row in rows:
        files[f"ledger/checkpoints/checkpoint-{row.id}.json"] = (
            CheckpointFile.from_row(row).to_json() + "\n"
        ).encode()
    return files, count


def _write_zip(path: Path, files: dict[str, bytes], progress: Progress | None) -> None:
    """Write ``files`` to ``path``, calling ``progress`` after each."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, (name, data) in enumerate(sorted(files.items()), start=1):
            archive.writestr(name, data)
            if progress is not None:
                progress(done, len(files), name)


def export_bundle(
    *,
    session: Session,
    settings: Settings,
    period: Period,
    out: Path,
    actor: str,
    progress: Progress | None = None,
) -> ExportedBundle:
    """Sign a checkpoint of the head, gather the period's evidence, write the zip, ledger it."""
    identity = signing_identity(settings)
    now = utc_now()
    checkpoint = create_checkpoint(session=session, settings=settings, actor=actor)
    reports = _reports_in(session, period)
    files = {
        f"reports/{report_filename(report)}": stored_pdf(settings, report) for report in reports
    }
    ledger_files, event_count = _ledger_files(session, checkpoint)
    head = head_position(session=session)
    files |= ledger_files
    policy_files, policy_entry = _policy_files(settings)
    files |= policy_files
    catalogue = load_catalogue(policy_dir=settings.policy_dir)
    files["controls/catalogue.json"] = _json_bytes([control.as_dict() for control in catalogue])
    oscal_files = _oscal_files(
        session=session,
        settings=settings,
        period=period,
        policy_sha256=policy_entry["sha256"],
        now=now,
    )
    files |= oscal_files
    files["README.md"] = readme_text(
        period=period, organisation=settings.organisation, oscal_version=OSCAL_VERSION
    ).encode()
    manifest = {
        "format": BUNDLE_FORMAT,
        "organisation": settings.organisation,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "created_at": now.isoformat(),
        "created_by": actor,
        "signer_fingerprint_sha256": identity.fingerprint_sha256,
        "ledger": {
            "events": "ledger/events.jsonl",
            "head": {"seq": head.seq, "hash": head.hash},
            "checkpoint": f"ledger/checkpoints/checkpoint-{checkpoint.id}.json",
        },
        "policy": policy_entry,
        "oscal": {
            "version": OSCAL_VERSION,
            "schema": SCHEMA_FILE,
            "documents": sorted(oscal_files),
        },
        "reports": [
            {
                "path": f"reports/{report_filename(report)}",
                "report_id": report.id,
                "kind": report.kind,
                "subject_type": report.subject_type,
                "subject_id": report.subject_id,
                "created_at": report.created_at.isoformat(),
                "pdf_sha256": report.pdf_sha256,
            }
            for report in reports
        ],
        "files": [
            {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in sorted(files.items())
        ],
    }
    manifest_bytes = _json_bytes(manifest)
    files[MANIFEST] = manifest_bytes
    files[MANIFEST_SIGNATURE] = (
        sign_statement(manifest_bytes, identity=identity, tsa_url=settings.tsa_url) + "\n"
    ).encode()
    _write_zip(out, files, progress)
    manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    append_event(
        session=session,
        actor=actor,
        action="evidence.exported",
        subject_type=LedgerSubject.PERIOD,
        subject_id=f"{period.start.isoformat()}..{period.end.isoformat()}",
        payload={
            "manifest_sha256": manifest_sha256,
            "files": len(files),
            "report_ids": [report.id for report in reports],
            "oscal_documents": len(oscal_files),
            "ledger_events": event_count,
            "checkpoint_id": checkpoint.id,
        },
    )
    return ExportedBundle(
        path=out,
        manifest_sha256=manifest_sha256,
        files=len(files),
        reports=len(reports),
        oscal_documents=len(oscal_files),
        ledger_events=event_count,
        checkpoint_seq=checkpoint.seq,
    )
