"""Kind ``dataset_sheet``: a dataset version's classification, legal basis, scan and validation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from app.attestations.current import current_attestations
from app.charts import bar_chart_svg
from app.models.datasets import Dataset, DatasetVersion
from app.models.vocabulary import LedgerSubject
from app.registry.datasets import open_erasure_requests
from app.registry.records import get_record
from app.reports.contexts import (
    DatasetComplianceContext,
    ReasoningSummary,
    ScanFinding,
    ValidationIssue,
)
from app.reports.kind import ReportKind, register_kind, svg
from app.reports.reader import (
    DEIDENTIFICATION,
    Reader,
    lawful_basis,
    meta,
)

_SCANNER = "presidio-analyzer pattern recognizers with Gatehouse's own (no NER model)"
_NOT_DETECTED = ["person names without a title or label", "free-form locations"]
_MAX_VALIDATION_ISSUES = 25


def _validation_issues(report: Mapping[str, Any]) -> list[ValidationIssue]:
    """The first errors, then warnings, of a stored validation report."""
    issues: list[ValidationIssue] = []
    for severity, key in (("error", "errors"), ("warning", "warnings")):
        for issue in report.get(key, []):
            where = f"{issue['field']}: " if issue.get("field") else ""
            issues.append(
                {
                    "line": issue.get("line"),
                    "severity": severity,  # type: ignore[typeddict-item]
                    "message": f"{where}{issue.get('message', '')}",
                }
            )
    return issues[:_MAX_VALIDATION_ISSUES]


def _scan_findings(findings: Mapping[str, Any]) -> list[ScanFinding]:
    """Counts per category with the scanner's masked samples (never raw values)."""
    report = findings.get("report") or {}
    listed = [
        {
            "entity_type": str(finding["category"]),
            "count": int(finding["count"]),
            "masked_samples": [str(sample) for sample in finding.get("masked_samples", [])],
        }
        for finding in report.get("findings", [])
    ]
    if listed:
        return listed  # type: ignore[return-value]
    return [
        {"entity_type": str(category), "count": int(count), "masked_samples": []}
        for category, count in (findings.get("counts") or {}).items()
    ]


def _dataset_sheet(
    reader: Reader, *, subject_id: int, actor: str, generated_at: dt.datetime
) -> DatasetComplianceContext:
    """Kind ``dataset_sheet`` for a dataset version."""
    version_id = subject_id
    version = get_record(session=reader.session, model=DatasetVersion, record_id=version_id)
    dataset = get_record(session=reader.session, model=Dataset, record_id=version.dataset_id)
    findings = version.pii_findings or {}
    report = version.validation_report or {}
    scan_report = findings.get("report") or {}
    scanned = bool(findings.get("scanned"))
    # The governance facts the gates read: attested by their owners (docs/attestations.md).
    attested = {
        fact: item.value
        for fact, item in current_attestations(
            session=reader.session,
            subject_type="dataset_version",
            subject_id=version_id,
            now=generated_at,
        ).items()
    }
    method = attested.get("deidentification_method")
    deidentification = DEIDENTIFICATION.get(method, method) if method else "not attested"
    determination = (attested.get("expert_determination") or {}).get("ref")
    if determination:
        deidentification += f" ({determination})"
    baa = ", ".join(
        f"{agreement['vendor']}: {agreement['ref']} ({agreement['scope']})"
        for agreement in attested.get("baa") or []
    )
    dpia = attested.get("dpia") or {}
    return {
        "meta": meta(
            reader,
            subject=f"dataset {dataset.name} v{version.version} (#{version.id})",
            actor=actor,
            generated_at=generated_at,
        ),
        "dataset": {
            "name": dataset.name,
            "version": f"v{version.version}",
            "owner": reader.person(dataset.owner),
            "purpose": dataset.purpose or "not recorded",
            "sha256": version.content_sha256,
            "size_bytes": version.size_bytes,
            "row_count": version.row_count,
            "platform_format": version.format,
            "created_at": version.created_at,
        },
        "classification": {
            "contains_pii": version.contains_pii,
            "contains_phi": version.contains_phi,
            "special_category": version.special_category,
            "deidentification": deidentification,
            "residency_region": attested.get("residency_region") or "not attested",
        },
        "legal": {
            "lawful_basis": lawful_basis(attested.get("lawful_basis")),
            "art9_condition": (
                f"Art. 9(2)({attested['art9_condition']})"
                if attested.get("art9_condition")
                else None
            ),
            "consent_reference": attested.get("consent_ref"),
            "dpia_reference": f"{dpia['ref']} ({dpia['outcome'].replace('_', ' ')})"
            if dpia
            else None,
            "baa_reference": baa or None,
            "retention_until": (
                dt.date.fromisoformat(attested["retention_until"])
                if attested.get("retention_until")
                else None
            ),
            "erasure_requests_open": len(
                open_erasure_requests(session=reader.session, version_id=version_id)
            ),
        },
        "provenance": {
            "source": version.provenance_source or "not recorded",
            "licence": version.provenance_licence or "not recorded",
            "collection_method": version.collection_method or "not recorded",
        },
        "scan": {
            "scanned_at": version.created_at,
            "rows_scanned": int(scan_report.get("records_scanned", version.row_count))
            if scanned
            else 0,
            "scanner": _SCANNER
            if scanned
            else f"not scanned ({version.format} data has no free text to scan)",
            "findings": _scan_findings(findings),
            "not_detected": _NOT_DETECTED if scanned else [],
        },
        "validation": {
            "valid": version.is_valid,
            "error_count": int(report.get("error_count", 0)),
            "warning_count": int(report.get("warning_count", 0)),
            "issues": _validation_issues(report),
            "reasoning": _reasoning(report),
        },
    }


def _reasoning(report: Mapping[str, Any]) -> ReasoningSummary | None:
    """The reasoning-chain figures of a stored validation report, if it has outputs."""
    figures = (report.get("stats") or {}).get("reasoning") or {}
    if not figures.get("outputs"):
        return None
    return {
        "outputs": int(figures["outputs"]),
        "complete_share": float(figures.get("share_with_steps_and_conclusion", 0.0)),
        "step_counts": {
            str(k): int(v) for k, v in figures.get("step_count_distribution", {}).items()
        },
        "empty_steps": int(figures.get("empty_steps", 0)),
        "repeated_steps": int(figures.get("repeated_steps", 0)),
        "unfinished": int(figures.get("steps_without_conclusion", 0)),
        "unsupported": int(
            figures.get("unsupported_conclusions", figures.get("answers_without_reasoning", 0))
        ),
    }


def _dataset_figures(context: Mapping[str, Any]) -> dict[str, Any]:
    """Scan findings per entity type."""
    findings = context["scan"]["findings"]
    if not findings:
        return {"findings_chart": None}
    chart = bar_chart_svg(
        [finding["entity_type"] for finding in findings],
        [finding["count"] for finding in findings],
        title="PII/PHI findings per entity type",
        horizontal=True,
        value_format="{:,.0f}",
        axis_label="rows with a finding",
    )
    return {"findings_chart": svg(chart)}


register_kind(
    ReportKind(
        name="dataset_sheet",
        label="Dataset compliance sheet",
        subject_type=LedgerSubject.DATASET_VERSION,
        build=_dataset_sheet,
        figures=_dataset_figures,
    )
)
