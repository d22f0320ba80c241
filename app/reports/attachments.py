"""The machine-readable evidence a report embeds, so an outside party can check it.

A report kind names what it embeds through one field, :attr:`ReportKind.evidence`
(:mod:`app.reports.kind`): a function called with the kind's context, in the same unit
of work that read it, that returns :class:`EvidenceFile` objects. The helpers here make
the files every kind with decisions shares:

* :func:`decision_evidence` — each gate decision with its stored input document (the
  classifications and references the policies saw, never raw personal data), the
  digests it recorded, its outcome and every control's result;
* :func:`policy_bundle_evidence` — the policy bundle (modules and merged data) with
  its hash, so a replay can say exactly what changed;
* :func:`json_evidence` — anything else JSON (audit figures, a ledger excerpt, full
  listings a summary page leaves out).

:func:`with_manifest` adds the manifest of every embedded file's SHA-256
(:data:`MANIFEST_NAME`); :func:`app.reports.generation.generate_report` embeds them as
PDF/A-3 associated files when it renders, before signing, so the signature covers them; ``gatehouse report verify
--replay`` (:mod:`app.reports.replay`) reads them back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.models.governance import PolicyDecision, PolicyDecisionInput
from app.policy.bundle import PolicyBundle
from app.reports.reader import Reader

__all__ = [
    "BUNDLE_NAME",
    "DECISIONS_NAME",
    "EVIDENCE_FORMAT",
    "FIGURES_NAME",
    "MANIFEST_NAME",
    "EvidenceFile",
    "decision_evidence",
    "evidence_json",
    "gate_evidence",
    "json_evidence",
    "policy_bundle_evidence",
    "with_manifest",
]

#: The ``format`` member of every evidence file Gatehouse embeds.
EVIDENCE_FORMAT = "gatehouse-report-evidence/1"
#: The manifest: every embedded file with its SHA-256 and size.
MANIFEST_NAME = "gatehouse-evidence-manifest.json"
#: The decisions with their inputs.
DECISIONS_NAME = "gatehouse-decisions.json"
#: The policy bundle the report's decisions are compared against.
BUNDLE_NAME = "gatehouse-policy-bundle.json"
#: The figures the report prints (evaluations, audits), as data.
FIGURES_NAME = "gatehouse-figures.json"


@dataclass(frozen=True)
class EvidenceFile:
    """One file a report embeds: a name, what it is, and its UTF-8 text."""

    name: str
    """File name inside the PDF (``gatehouse-<what>.json``); unique per report."""

    description: str
    """What the file holds, shown by PDF readers beside the name."""

    text: str
    """The content; JSON for everything Gatehouse writes."""

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of the UTF-8 bytes, as the manifest records it."""
        return hashlib.sha256(self.text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    """JSON for what report contexts hold besides JSON: dates as ISO 8601."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _finite(value: Any) -> Any:
    """``value`` with undefined figures (``nan``, infinities) as ``null``: strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def evidence_json(value: Any) -> str:
    """The one JSON layout of embedded evidence: sorted keys, indented, dates as ISO 8601,
    undefined figures as ``null``."""
    return (
        json.dumps(
            _finite(value),
            sort_keys=True,
            indent=1,
            ensure_ascii=False,
            allow_nan=False,
            default=_plain,
        )
        + "\n"
    )


def json_evidence(name: str, description: str, body: dict[str, Any]) -> EvidenceFile:
    """An evidence file holding ``body`` with the evidence ``format`` stamped on it."""
    return EvidenceFile(name, description, evidence_json({"format": EVIDENCE_FORMAT, **body}))


def _decision_entry(decision: PolicyDecision, document: dict[str, Any] | None) -> dict[str, Any]:
    """A stored decision as a replay reads it."""
    return {
        "decision_id": decision.id,
        "gate": str(decision.gate),
        "subject_type": str(decision.subject_type),
        "subject_id": decision.subject_id,
        "decided_at": decision.created_at,
        "engine": decision.engine,
        "bundle_sha256": decision.bundle_sha256,
        "input_sha256": decision.input_sha256,
        "evidence_sha256": decision.evidence_sha256,
        "outcome": str(decision.outcome),
        "allow": decision.allow,
        "error": decision.error,
        "result": {key: value for key, value in decision.result.items() if key != "evidence"},
        "input": document,
    }


def decision_evidence(*, session: Session, decisions: Iterable[PolicyDecision]) -> EvidenceFile:
    """The decisions with the input documents stored beside them.

    A decision recorded before inputs were kept has ``input: null``: the report says it
    cannot be replayed rather than rebuilding an input that might differ.
    """
    rows = list(decisions)
    ids = [row.id for row in rows if row.id is not None]
    inputs = {
        stored.decision_id: stored.document
        for stored in session.exec(
            select(PolicyDecisionInput).where(col(PolicyDecisionInput.decision_id).in_(ids))
        ).all()
    }
    return json_evidence(
        DECISIONS_NAME,
        "Gate decisions with the input documents they were made on, for replay",
        {"decisions": [_decision_entry(row, inputs.get(row.id or 0)) for row in rows]},
    )


def policy_bundle_evidence(bundle: PolicyBundle) -> EvidenceFile:
    """The policy bundle as loaded when the report was made: modules, merged data, hash."""
    return json_evidence(
        BUNDLE_NAME,
        "Policy bundle (Rego modules and data) in force when the report was made",
        {
            "hash": bundle.hash,
            "modules": [
                {
                    "path": path,
                    "sha256": hashlib.sha256(source.encode()).hexdigest(),
                    "source": source,
                }
                for path, source in bundle.modules
            ],
            "data": bundle.data,
        },
    )


def with_manifest(
    files: Sequence[EvidenceFile], *, created: dt.datetime, report_kind: str
) -> tuple[EvidenceFile, ...]:
    """The files followed by the manifest of all of them (name, SHA-256, size)."""
    names = [item.name for item in files]
    if len(set(names)) != len(names) or MANIFEST_NAME in names:
        raise ValueError(f"evidence file names must be unique and not {MANIFEST_NAME}: {names}")
    manifest = json_evidence(
        MANIFEST_NAME,
        "Every evidence file embedded in this report, with its SHA-256",
        {
            "report_kind": report_kind,
            "created": created,
            "files": [
                {
                    "name": item.name,
                    "sha256": item.sha256,
                    "bytes": len(item.text.encode()),
                    "description": item.description,
                }
                for item in files
            ],
        },
    )
    return (*files, manifest)


def gate_evidence(reader: Reader, decisions: Iterable[PolicyDecision]) -> list[EvidenceFile]:
    """The decisions with their inputs and the policy bundle they are replayed against:
    what every kind that reports gate decisions embeds."""
    return [
        decision_evidence(session=reader.session, decisions=decisions),
        policy_bundle_evidence(reader.bundle),
    ]
