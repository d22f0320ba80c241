"""Report contexts from the registry: one builder per kind, reading the database only.

Each builder turns registry rows into the plain context its template prints (shapes in
:mod:`app.reports.contexts`); nothing here renders, signs or writes. Verdicts printed in
audit and evaluation tables are measured against the thresholds of the policy data
(``thresholds`` in ``policies/data.json`` plus the installation's override), the same
numbers the Rego controls apply at the gates, so a report never carries thresholds of
its own.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from app.audits.charts import group_importance_chart_svg
from app.config import Settings
from app.errors import ValidationError
from app.ledger import verify_chain
from app.models.base import utc_now
from app.models.datasets import Dataset, DatasetVersion
from app.models.deployments import Deployment
from app.models.evidence import AuditRun
from app.models.governance import ApprovalRequest, ApprovalVote, PolicyDecision
from app.models.ledger import LedgerEvent
from app.models.model_versions import MODEL_CARD_SECTIONS, Evaluation, ModelVersion
from app.models.runs import FineTuneRun
from app.models.users import User
from app.policy.bundle import load_bundle
from app.policy.catalogue import Control, load_catalogue
from app.registry.datasets import open_erasure_requests
from app.registry.lineage import lineage
from app.registry.model_versions import card_of, evaluations_of
from app.registry.records import get_record
from app.registry.runs import run_dataset_versions
from app.reports.contexts import (
    ApprovalEntry,
    AuditReportContext,
    AuditSummary,
    ControlOutcome,
    DatasetComplianceContext,
    DatasetRef,
    DatasetRow,
    DecisionReasons,
    DecisionRow,
    EvaluationSummary,
    ExpiringApproval,
    ExplainabilityResults,
    FairnessGroup,
    FairnessTable,
    Figure,
    Finding,
    LedgerEntry,
    LineageLink,
    MetricResult,
    ModelCardContext,
    ModelRow,
    ModelSummary,
    PeriodicComplianceContext,
    PromotionEvidenceContext,
    ReportMeta,
    ScanFinding,
    ValidationIssue,
)
from app.reports.errors import ReportSubjectNotReadyError, UnknownReportKindError

__all__ = [
    "EXPIRY_HORIZON",
    "KIND_SUBJECTS",
    "Period",
    "PreparedReport",
    "build_context",
]

#: The registry object each report kind is about (``period`` for the periodic report).
KIND_SUBJECTS: Mapping[str, str] = {
    "model_card": "model_version",
    "dataset_sheet": "dataset_version",
    "audit_report": "audit_run",
    "promotion_evidence": "deployment",
    "periodic_compliance": "period",
}

#: How far after a period's end an open approval request counts as expiring soon.
EXPIRY_HORIZON = dt.timedelta(days=30)

_LAWFUL_BASES = {
    "consent": "Art. 6(1)(a) consent",
    "contract": "Art. 6(1)(b) contract",
    "legal_obligation": "Art. 6(1)(c) legal obligation",
    "vital_interests": "Art. 6(1)(d) vital interests",
    "public_task": "Art. 6(1)(e) public task",
    "legitimate_interests": "Art. 6(1)(f) legitimate interests",
}
_DEIDENTIFICATION = {
    "none": "none",
    "safe_harbor": "HIPAA Safe Harbor",
    "expert_determination": "HIPAA expert determination",
    "pseudonymised": "pseudonymised",
}
_METHODS = {
    "sft": "SFT",
    "lora": "LoRA",
    "qlora": "QLoRA",
    "rlhf": "RLHF",
    "dpo": "DPO",
    "constitutional": "constitutional / self-critique",
}
# Deployment states from the most to the least significant, to name a model's state.
_STATE_ORDER = ("production", "suspended", "promotion_requested", "staging", "retired")
_SEVERITIES = ("critical", "high", "medium", "low", "info")
_FLAG_SEVERITY = {
    "missing_sensitive_values": "medium",
    "small_group": "low",
    "empty_group": "info",
    "undefined_rate": "info",
}
_SCANNER = "presidio-analyzer pattern recognizers with Gatehouse's own (no NER model)"
_NOT_DETECTED = ["person names without a title or label", "free-form locations"]
_MAX_VALIDATION_ISSUES = 25
_MAX_SAMPLE_DECISIONS = 10
_MAX_LEDGER_EVENTS = 300
_GROUP_CHART_FEATURES = 5


@dataclass(frozen=True)
class Period:
    """A reporting period; both days are included."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        """Refuse a period that ends before it starts."""
        if self.end < self.start:
            raise ValidationError(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def label(self) -> str:
        """``Q4 2026``, ``November 2026`` or ``2026-11-01 to 2026-11-15``."""
        next_day = self.end + dt.timedelta(days=1)
        if self.start.day == 1 and next_day.day == 1:
            months = (next_day.year - self.start.year) * 12 + next_day.month - self.start.month
            if months == 1:
                return self.start.strftime("%B %Y")
            if months == 3 and self.start.month % 3 == 1:
                return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
            if months == 12 and self.start.month == 1:
                return str(self.start.year)
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    @property
    def starts_at(self) -> dt.datetime:
        """The first instant of the period (UTC)."""
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=dt.UTC)

    @property
    def ends_before(self) -> dt.datetime:
        """The first instant after the period (UTC)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


@dataclass(frozen=True)
class PreparedReport:
    """A report's context, gathered and ready to render, with what it is about."""

    kind: str
    subject_type: str
    subject_id: int | None
    period: Period | None
    context: Mapping[str, Any]


@dataclass
class _Reader:
    """What every builder reads besides its subject: the session, policy data, names."""

    session: Session
    settings: Settings
    thresholds: Mapping[str, Any]
    catalogue: Mapping[str, Control]
    names: dict[str, str] = field(default_factory=dict)

    def person(self, username: str) -> str:
        """``Display Name (username)``, or the username for pipelines and unknown actors."""
        if username not in self.names:
            user = self.session.exec(select(User).where(User.username == username)).first()
            shown = user.display_name if user is not None else ""
            self.names[username] = (
                f"{shown} ({username})" if shown and shown != username else username
            )
        return self.names[username]


def _reader(session: Session, settings: Settings) -> _Reader:
    """Load the policy thresholds and control catalogue once per report."""
    bundle = load_bundle(
        policy_dir=settings.policy_dir, extra_data_path=settings.policy_data_override
    )
    catalogue = {control.id: control for control in load_catalogue(policy_dir=settings.policy_dir)}
    return _Reader(
        session=session,
        settings=settings,
        thresholds=bundle.data.get("gatehouse", {}).get("thresholds", {}),
        catalogue=catalogue,
    )


# --- labels ---------------------------------------------------------------------------


def _number(value: Any) -> float:
    """A stored figure as a float; missing or non-numeric values become NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def _severity(value: str | None) -> str:
    """A stored severity, or ``info`` when it is not one of ours."""
    return value if value in _SEVERITIES else "info"


def _classification(version: DatasetVersion) -> str:
    """Short classification label, e.g. ``PHI (HIPAA Safe Harbor)``."""
    kinds = [
        label
        for flag, label in (
            (version.contains_phi, "PHI"),
            (version.contains_pii, "PII"),
            (version.special_category, "special category (GDPR Art. 9)"),
        )
        if flag
    ]
    label = ", ".join(kinds) or "no personal data"
    method = version.deidentification_method
    if method != "none":
        label += f" ({_DEIDENTIFICATION.get(method, method)})"
    return label


def _lawful_basis(value: str | None) -> str:
    """The GDPR Art. 6 basis with its paragraph."""
    if not value:
        return "not recorded"
    return _LAWFUL_BASES.get(value, value)


def _dataset_name(reader: _Reader, version: DatasetVersion) -> str:
    """The name of the dataset a version belongs to."""
    dataset = reader.session.get(Dataset, version.dataset_id)
    return dataset.name if dataset is not None else f"dataset {version.dataset_id}"


def _dataset_label(reader: _Reader, version: DatasetVersion) -> str:
    """``name vN``."""
    return f"{_dataset_name(reader, version)} v{version.version}"


def _dataset_ref(reader: _Reader, version: DatasetVersion) -> DatasetRef:
    """A dataset version as other reports cite it."""
    return {
        "name": _dataset_name(reader, version),
        "version": f"v{version.version}",
        "sha256": version.content_sha256,
        "classification": _classification(version),
        "row_count": version.row_count,
    }


def _model_label(model: ModelVersion) -> str:
    """``name version``."""
    return f"{model.name} {model.version}"


def _deployments_of(reader: _Reader, model_id: int) -> list[Deployment]:
    """A model version's deployments, oldest first."""
    return list(
        reader.session.exec(
            select(Deployment)
            .where(Deployment.model_version_id == model_id)
            .order_by(col(Deployment.id))
        ).all()
    )


def _model_state(deployments: Sequence[Deployment]) -> str:
    """The most significant deployment state, or ``registered`` when never deployed."""
    states = {str(deployment.state) for deployment in deployments}
    return next((state for state in _STATE_ORDER if state in states), "registered")


def _model_summary(reader: _Reader, model: ModelVersion) -> ModelSummary:
    """The model version with its run's base model and method."""
    run = reader.session.get(FineTuneRun, model.run_id) if model.run_id is not None else None
    tier = model.risk_tier if model.risk_tier in ("high", "medium", "low") else "unassigned"
    return {
        "name": model.name,
        "version": model.version,
        "base_model": run.base_model if run is not None else "not recorded",
        "platform": model.platform,
        "method": _METHODS.get(run.method, run.method) if run is not None else "not recorded",
        "risk_tier": tier,  # type: ignore[typeddict-item]
        "domain": model.domain or "not recorded",
        "decision_type": (model.decision_type or "not recorded").replace("_", " "),
        "owner": reader.person(model.created_by),
        "state": _model_state(_deployments_of(reader, model.id or 0)),
        "created_at": model.created_at,
    }


def _meta(reader: _Reader, *, subject: str, actor: str, generated_at: dt.datetime) -> ReportMeta:
    """The report header."""
    return {
        "organisation": reader.settings.organisation,
        "subject": subject,
        "generated_at": generated_at,
        "generated_by": reader.person(actor),
    }


# --- evaluations and audits --------------------------------------------------------------


def _evaluation_summary(reader: _Reader, evaluation: Evaluation) -> EvaluationSummary:
    """A benchmark against the metric bounds, or a red-team run against the pass rate."""
    if evaluation.kind == "red_team":
        tried = int(_number(evaluation.metrics.get("prompts_tried")) or 0)
        failures = int(_number(evaluation.metrics.get("failures")) or 0)
        minimum = reader.thresholds.get("red_team", {}).get("min_pass_rate")
        pass_rate = 1.0 - failures / tried if tried else math.nan
        return {
            "name": evaluation.name,
            "kind": "red_team",
            "dataset": evaluation.attack_category or "red-team prompt set",
            "run_at": evaluation.created_at,
            "metrics": [
                {
                    "name": "pass rate",
                    "value": pass_rate,
                    "threshold": minimum,
                    "comparison": ">=",
                    "passed": None if minimum is None else pass_rate >= minimum,
                }
            ],
            "red_team": [
                {
                    "category": evaluation.attack_category or evaluation.name,
                    "prompts_tried": tried,
                    "failures": failures,
                    "severity": _severity(evaluation.severity),  # type: ignore[typeddict-item]
                    "open_findings": evaluation.open_findings,
                }
            ],
        }
    bounds = reader.thresholds.get("evaluations", {}).get("bounds", {})
    metrics: list[MetricResult] = []
    for name, raw in evaluation.metrics.items():
        value = _number(raw)
        bound = bounds.get(name, {})
        if "min" in bound:
            metrics.append(
                {
                    "name": name,
                    "value": value,
                    "threshold": bound["min"],
                    "comparison": ">=",
                    "passed": value >= bound["min"],
                }
            )
        elif "max" in bound:
            metrics.append(
                {
                    "name": name,
                    "value": value,
                    "threshold": bound["max"],
                    "comparison": "<=",
                    "passed": value <= bound["max"],
                }
            )
        else:
            metrics.append({"name": name, "value": value, "threshold": None, "passed": None})
    return {
        "name": evaluation.name,
        "kind": "benchmark",
        "dataset": "held-out benchmark set",
        "run_at": evaluation.created_at,
        "metrics": metrics,
    }


def _fairness_headline(reader: _Reader, results: Mapping[str, Any]) -> list[MetricResult]:
    """The worst adverse impact ratio and equalized odds difference against the policy bounds."""
    bounds = reader.thresholds.get("fairness", {})
    headline = results.get("headline", {})
    air = _number(headline.get("adverse_impact_ratio", {}).get("value"))
    eod = _number(headline.get("equalized_odds_difference", {}).get("value"))
    dpd = _number(headline.get("demographic_parity_difference", {}).get("value"))
    minimum = bounds.get("min_adverse_impact_ratio")
    maximum = bounds.get("max_equalized_odds_difference")
    return [
        {
            "name": "adverse impact ratio (four-fifths rule)",
            "value": air,
            "threshold": minimum,
            "comparison": ">=",
            "passed": None if minimum is None else air >= minimum,
        },
        {
            "name": "equalized odds difference",
            "value": eod,
            "threshold": maximum,
            "comparison": "<=",
            "passed": None if maximum is None else eod <= maximum,
        },
        {"name": "demographic parity difference", "value": dpd, "threshold": None, "passed": None},
    ]


def _reasons_available(audit: AuditRun) -> bool:
    """Whether an explainability audit gave principal reasons for its decisions."""
    stated = (audit.summary or {}).get("principal_reasons_available")
    if isinstance(stated, bool):
        return stated
    return bool((audit.results or {}).get("decisions"))


def _explainability_headline(audit: AuditRun) -> list[MetricResult]:
    """Decisions explained and, for a surrogate, its fidelity."""
    results = audit.results or {}
    metrics: list[MetricResult] = [
        {
            "name": "decisions explained",
            "value": _number(results.get("rows")),
            "threshold": None,
            "passed": _reasons_available(audit),
        }
    ]
    fidelity = results.get("fidelity")
    if fidelity:
        metrics.append(
            {
                "name": "surrogate fidelity (R²)",
                "value": _number(fidelity.get("r2")),
                "threshold": None,
                "passed": None,
            }
        )
    return metrics


def _audit_headline(reader: _Reader, audit: AuditRun) -> list[MetricResult]:
    """The figures an audit is judged on."""
    if audit.kind == "fairness":
        return _fairness_headline(reader, audit.results or {})
    return _explainability_headline(audit)


def _audit_passed(reader: _Reader, audit: AuditRun) -> bool:
    """Pass when every judged figure is within its bound (an undefined figure fails)."""
    return all(metric["passed"] is not False for metric in _audit_headline(reader, audit))


def _audit_dataset_label(reader: _Reader, audit: AuditRun) -> str:
    """The dataset version an audit ran on, or what its parameters say."""
    if audit.dataset_version_id is not None:
        version = reader.session.get(DatasetVersion, audit.dataset_version_id)
        if version is not None:
            return _dataset_label(reader, version)
    return str((audit.parameters or {}).get("decisions", "decisions table (not registered)"))


def _audit_summary(reader: _Reader, audit: AuditRun) -> AuditSummary:
    """An audit run as cited from a model card or an evidence pack."""
    return {
        "audit_id": f"#{audit.id}",
        "kind": "fairness" if audit.kind == "fairness" else "explainability",
        "dataset": _audit_dataset_label(reader, audit),
        "run_at": audit.finished_at or audit.created_at,
        "verdict": "pass" if _audit_passed(reader, audit) else "fail",
        "headline": _audit_headline(reader, audit),
    }


def _succeeded_audits(reader: _Reader, model_id: int) -> list[AuditRun]:
    """A model's finished audits, newest first."""
    return list(
        reader.session.exec(
            select(AuditRun)
            .where(AuditRun.model_version_id == model_id, AuditRun.status == "succeeded")
            .order_by(col(AuditRun.id).desc())
        ).all()
    )


# --- model card ---------------------------------------------------------------------------


def _model_card(
    reader: _Reader, *, subject_id: int, actor: str, generated_at: dt.datetime
) -> ModelCardContext:
    """Kind ``model_card`` for a model version."""
    model_id = subject_id
    model = get_record(session=reader.session, model=ModelVersion, record_id=model_id)
    card = card_of(session=reader.session, model_id=model_id)
    sections = card.sections if card is not None else {}
    text = {
        name: str(sections.get(name, "")).strip()
        or "Not written. The model card control (COMMON-MODEL-CARD) requires this section."
        for name in MODEL_CARD_SECTIONS
    }
    datasets = (
        run_dataset_versions(session=reader.session, run_id=model.run_id)
        if model.run_id is not None
        else []
    )
    return {
        "meta": _meta(
            reader,
            subject=f"model {_model_label(model)} (#{model.id})",
            actor=actor,
            generated_at=generated_at,
        ),
        "model": _model_summary(reader, model),
        "card": text,  # type: ignore[typeddict-item]
        "training_datasets": [_dataset_ref(reader, version) for version in datasets],
        "evaluations": [
            _evaluation_summary(reader, evaluation)
            for evaluation in evaluations_of(session=reader.session, model_id=model_id)
        ],
        "audits": [_audit_summary(reader, audit) for audit in _succeeded_audits(reader, model_id)],
    }


# --- dataset compliance sheet -----------------------------------------------------------


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
    reader: _Reader, *, subject_id: int, actor: str, generated_at: dt.datetime
) -> DatasetComplianceContext:
    """Kind ``dataset_sheet`` for a dataset version."""
    version_id = subject_id
    version = get_record(session=reader.session, model=DatasetVersion, record_id=version_id)
    dataset = get_record(session=reader.session, model=Dataset, record_id=version.dataset_id)
    findings = version.pii_findings or {}
    report = version.validation_report or {}
    scan_report = findings.get("report") or {}
    scanned = bool(findings.get("scanned"))
    deidentification = _DEIDENTIFICATION.get(
        version.deidentification_method, version.deidentification_method
    )
    if version.expert_determination_ref:
        deidentification += f" ({version.expert_determination_ref})"
    baa = ", ".join(f"{vendor}: {ref}" for vendor, ref in sorted((version.baa_refs or {}).items()))
    return {
        "meta": _meta(
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
            "residency_region": version.residency_region or "not recorded",
        },
        "legal": {
            "lawful_basis": _lawful_basis(version.lawful_basis),
            "art9_condition": (
                f"Art. 9(2)({version.art9_condition})" if version.art9_condition else None
            ),
            "consent_reference": version.consent_ref,
            "dpia_reference": version.dpia_ref,
            "baa_reference": baa or None,
            "retention_until": version.retention_until,
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
        },
    }


# --- audit report -------------------------------------------------------------------------


def _fairness_tables(reader: _Reader, results: Mapping[str, Any]) -> list[FairnessTable]:
    """Each sensitive feature's (and the intersection's) non-empty groups with their verdict."""
    bounds = reader.thresholds.get("fairness", {})
    minimum = float(bounds.get("min_adverse_impact_ratio", 0.8))
    maximum = float(bounds.get("max_equalized_odds_difference", math.inf))
    tables: list[FairnessTable] = []
    for table in results.get("tables", []):
        groups: list[FairnessGroup] = []
        for row in table["groups"]:
            if row.get("empty"):
                continue
            metrics = row["metrics"]
            interval = row.get("intervals", {}).get("selection_rate")
            groups.append(
                {
                    "group": row["group"],
                    "count": int(row["count"]),
                    "selection_rate": _number(metrics.get("selection_rate")),
                    "selection_rate_ci": (
                        (float(interval[0]), float(interval[1]))
                        if interval and None not in interval
                        else None
                    ),
                    "true_positive_rate": _number(metrics.get("true_positive_rate")),
                    "false_positive_rate": _number(metrics.get("false_positive_rate")),
                    "false_negative_rate": _number(metrics.get("false_negative_rate")),
                    "accuracy": _number(metrics.get("accuracy")),
                }
            )
        ratio = _number(table.get("adverse_impact_ratio"))
        odds = _number(table.get("equalized_odds_difference"))
        tables.append(
            {
                "sensitive_feature": table["name"],
                "groups": groups,
                "demographic_parity_difference": _number(
                    table.get("demographic_parity_difference")
                ),
                "demographic_parity_ratio": _number(table.get("demographic_parity_ratio")),
                "equalized_odds_difference": odds,
                "four_fifths_threshold": minimum,
                "passed": ratio >= minimum and odds <= maximum,
            }
        )
    return tables


def _stored_decisions(results: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Explained decisions with their ids, in stored order.

    The audit library's ``to_dict`` lists them (each with its ``decision_id``); the audit
    service stores them keyed by decision id, without the applicant's feature values.
    """
    stored = results.get("decisions") or []
    if isinstance(stored, Mapping):
        return [(str(decision_id), decision) for decision_id, decision in stored.items()]
    return [(str(decision["decision_id"]), decision) for decision in stored]


def _reason(reason: Mapping[str, Any]) -> str:
    """``feature = value (-0.123)``, or ``feature (-0.123)`` when the value was not kept."""
    contribution = f"({_number(reason.get('contribution')):+.3f})"
    if "value" in reason:
        return f"{reason['feature']} = {reason['value']} {contribution}"
    return f"{reason['feature']} {contribution}"


def _explainability(results: Mapping[str, Any]) -> ExplainabilityResults:
    """SHAP method, global importance and the first decisions' principal reasons."""
    model_type = results.get("model_type", "model")
    fidelity = results.get("fidelity")
    method = (
        f"SHAP TreeExplainer on a gradient-boosting surrogate of the {model_type}"
        if results.get("method") == "surrogate"
        else f"SHAP TreeExplainer on the {model_type} itself"
    )
    output = str(results.get("output", "output")).replace("_", " ")
    decisions: list[DecisionReasons] = [
        {
            "decision_id": decision_id,
            "outcome": f"{_number(decision.get('output')):.3f} ({output})",
            "reasons": [_reason(reason) for reason in decision.get("reasons", [])]
            or ["no feature lowered the favourable outcome"],
        }
        for decision_id, decision in _stored_decisions(results)[:_MAX_SAMPLE_DECISIONS]
    ]
    return {
        "method": method,
        "surrogate_fidelity": _number(fidelity.get("r2")) if fidelity else None,
        "global_importance": [
            {"feature": str(name), "importance": _number(value)}
            for name, value in results.get("global_importance", {}).items()
        ],
        "sample_decisions": decisions,
    }


def _explainability_figures(results: Mapping[str, Any]) -> list[Figure]:
    """Importance of the top features per group of each sensitive column."""
    top = list(results.get("global_importance", {}))[:_GROUP_CHART_FEATURES]
    figures: list[Figure] = []
    for column, groups in results.get("group_importance", {}).items():
        if not groups or not top:
            continue
        figures.append(
            {
                "title": f"Feature importance by {column}",
                "svg": group_importance_chart_svg(groups, column=column, features=top),
                "caption": "mean |SHAP value| of the most important features in each group; "
                "a feature that matters much more for one group deserves a closer look",
            }
        )
    return figures


def _audit_findings(
    reader: _Reader, audit: AuditRun, model: ModelVersion, tables: Sequence[FairnessTable]
) -> list[Finding]:
    """Breached bounds first, then the audit library's flags."""
    opened = audit.finished_at or audit.created_at
    subject = _model_label(model)
    findings: list[Finding] = []
    bounds = reader.thresholds.get("fairness", {})
    for table in tables:
        if not table["passed"]:
            findings.append(
                {
                    "source": "audit",
                    "subject": subject,
                    "reference": f"fairness by {table['sensitive_feature']}",
                    "severity": "high",
                    "opened_at": opened,
                    "message": (
                        f"adverse impact ratio {table['demographic_parity_ratio']:.3f} "
                        f"(minimum {table['four_fifths_threshold']:g}) or equalized odds "
                        f"difference {table['equalized_odds_difference']:.3f} (maximum "
                        f"{bounds.get('max_equalized_odds_difference', 'none')}) out of bounds"
                    ),
                }
            )
    if audit.kind == "explainability" and not _reasons_available(audit):
        findings.append(
            {
                "source": "audit",
                "subject": subject,
                "reference": "principal reasons",
                "severity": "high",
                "opened_at": opened,
                "message": "the audit gave no principal reasons for its decisions",
            }
        )
    for flag in (audit.results or {}).get("flags", []):
        findings.append(
            {
                "source": "audit",
                "subject": subject,
                "reference": f"{flag['code'].replace('_', ' ')} ({flag['table']})",
                "severity": _FLAG_SEVERITY.get(flag["code"], "info"),  # type: ignore[typeddict-item]
                "opened_at": opened,
                "message": flag["message"],
            }
        )
    return findings


def _audit_narrative(reader: _Reader, audit: AuditRun, model: ModelVersion) -> str:
    """What was audited, how, and against which bounds, in two short paragraphs."""
    results = audit.results or {}
    if audit.kind == "fairness":
        settings = results.get("settings", {})
        headline = results.get("headline", {})
        bounds = reader.thresholds.get("fairness", {})
        features = ", ".join(settings.get("sensitive", [])) or "the sensitive features"
        air = headline.get("adverse_impact_ratio", {})
        eod = headline.get("equalized_odds_difference", {})
        return (
            f"Fairness audit of {int(results.get('rows', 0)):,} decisions of "
            f"{_model_label(model)} by {features}"
            f"{' and their intersection' if settings.get('intersections') else ''}. "
            f"Lowest adverse impact ratio {_number(air.get('value')):.4f} ({air.get('table')}), "
            f"policy minimum {bounds.get('min_adverse_impact_ratio')}; largest equalized odds "
            f"difference {_number(eod.get('value')):.4f} ({eod.get('table')}), policy maximum "
            f"{bounds.get('max_equalized_odds_difference')}. Confidence intervals from "
            f"{settings.get('bootstrap', 0)} bootstrap resamples.\n\n"
            "The bounds are the organisation's policy data, the same the fair-lending control "
            "applies at the promotion gate; groups without any decision are left out of the tables."
        )
    return (
        f"SHAP explanation of {int(results.get('rows', 0)):,} decisions of {_model_label(model)} "
        f"({results.get('model_type', 'model')}, {results.get('method', 'tree')} method; "
        f"output explained: {str(results.get('output', '')).replace('_', ' ')}). Up to "
        f"{results.get('top_k', 0)} principal reasons are given per decision, most important "
        "first; only features that lowered the favourable outcome are given as reasons."
    )


def _audit_report(
    reader: _Reader, *, subject_id: int, actor: str, generated_at: dt.datetime
) -> AuditReportContext:
    """Kind ``audit_report`` for a finished audit run."""
    audit_id = subject_id
    audit = get_record(session=reader.session, model=AuditRun, record_id=audit_id)
    if audit.status != "succeeded":
        raise ReportSubjectNotReadyError(
            f"audit run {audit_id} is {audit.status}; only a succeeded audit has figures to report"
        )
    model = get_record(session=reader.session, model=ModelVersion, record_id=audit.model_version_id)
    results = audit.results or {}
    version = (
        reader.session.get(DatasetVersion, audit.dataset_version_id)
        if audit.dataset_version_id is not None
        else None
    )
    dataset: DatasetRef = (
        _dataset_ref(reader, version)
        if version is not None
        else {
            "name": _audit_dataset_label(reader, audit),
            "version": "—",
            "sha256": str((audit.parameters or {}).get("decisions_sha256", "not recorded")),
            "classification": "not registered",
            "row_count": int(results.get("rows", 0)),
        }
    )
    tables = _fairness_tables(reader, results) if audit.kind == "fairness" else []
    explainable = audit.kind == "explainability"
    passed = _audit_passed(reader, audit) and all(table["passed"] for table in tables)
    return {
        "meta": _meta(
            reader,
            subject=f"{audit.kind} audit #{audit.id} of {_model_label(model)}",
            actor=actor,
            generated_at=generated_at,
        ),
        "audit": {
            "audit_id": f"#{audit.id}",
            "model": _model_label(model),
            "dataset": dataset,
            "run_at": audit.finished_at or audit.created_at,
            "trigger": "schedule" if audit.schedule else "on_demand",
            "verdict": "pass" if passed else "fail",
            "summary": _audit_narrative(reader, audit, model),
        },
        "fairness": tables,
        "explainability": _explainability(results) if explainable else None,
        "findings": _audit_findings(reader, audit, model, tables),
        "figures": _explainability_figures(results) if explainable else [],
    }


# --- promotion evidence pack -----------------------------------------------------------


def _control_outcomes(reader: _Reader, decision: PolicyDecision) -> list[ControlOutcome]:
    """Every control the gate applied, with its citation; unreported controls as ``missing``."""
    outcomes: list[ControlOutcome] = []
    reported = set()
    for outcome in decision.result.get("controls", []):
        control_id = outcome["control_id"]
        reported.add(control_id)
        control = reader.catalogue.get(control_id)
        violations = outcome.get("violations", [])
        messages = [violation["message"] for violation in violations] or (
            [outcome["reason"]] if outcome.get("reason") else []
        )
        outcomes.append(
            {
                "control_id": control_id,
                "regulation": control.regulation if control else "",
                "citation": control.citation if control else "",
                "title": control.title if control else control_id,
                "outcome": outcome["status"],
                "severity": _severity(
                    violations[0]["severity"]
                    if violations
                    else (control.severity if control else None)
                ),  # type: ignore[typeddict-item]
                "messages": messages,
            }
        )
    unreported: dict[str, list[dict[str, Any]]] = {}
    for violation in decision.violations:
        if violation["control"] not in reported:
            unreported.setdefault(violation["control"], []).append(violation)
    for control_id, violations in unreported.items():
        control = reader.catalogue.get(control_id)
        outcomes.append(
            {
                "control_id": control_id,
                "regulation": control.regulation if control else violations[0]["regulation"],
                "citation": control.citation if control else violations[0]["citation"],
                "title": control.title if control else "Gate integrity",
                "outcome": "missing" if control else "fail",
                "severity": _severity(violations[0]["severity"]),  # type: ignore[typeddict-item]
                "messages": [violation["message"] for violation in violations],
            }
        )
    return outcomes


def _promotion_request(reader: _Reader, deployment_id: int) -> ApprovalRequest | None:
    """The newest promotion approval request of a deployment."""
    return reader.session.exec(
        select(ApprovalRequest)
        .where(
            ApprovalRequest.gate == "production_promotion",
            ApprovalRequest.subject_type == "deployment",
            ApprovalRequest.subject_id == deployment_id,
        )
        .order_by(col(ApprovalRequest.id).desc())
    ).first()


def _votes(reader: _Reader, request_id: int) -> list[ApprovalVote]:
    """Votes on a request in the order they were cast."""
    return list(
        reader.session.exec(
            select(ApprovalVote)
            .where(ApprovalVote.request_id == request_id)
            .order_by(col(ApprovalVote.created_at), col(ApprovalVote.id))
        ).all()
    )


def _lineage_links(reader: _Reader, deployment_id: int) -> list[LineageLink]:
    """Deployment → model → run → datasets, with the datasets' content hashes."""
    graph = lineage(session=reader.session, subject_type="deployment", subject_id=deployment_id)
    kinds = {
        "deployment": "deployment",
        "model_version": "model",
        "run": "run",
        "dataset_version": "dataset",
    }
    order = list(kinds)
    links: list[LineageLink] = []
    for node in sorted(graph.nodes.values(), key=lambda n: (order.index(n["type"]), n["id"])):
        sha256 = None
        if node["type"] == "dataset_version":
            version = reader.session.get(DatasetVersion, node["id"])
            sha256 = version.content_sha256 if version is not None else None
        label = node["label"]
        if "state" in node:
            label += f" ({node['state']})"
        links.append(
            {
                "kind": kinds[node["type"]],  # type: ignore[typeddict-item]
                "reference": f"{node['type'].replace('_', ' ')} #{node['id']}",
                "label": label,
                "sha256": sha256,
            }
        )
    return links


def _ledger_excerpt(reader: _Reader, subjects: Mapping[str, Iterable[int]]) -> list[LedgerEntry]:
    """The newest events about the given subjects, in chain order."""
    conditions = [
        and_(
            col(LedgerEvent.subject_type) == subject_type,
            col(LedgerEvent.subject_id).in_([str(record_id) for record_id in ids]),
        )
        for subject_type, ids in subjects.items()
        if ids
    ]
    events = reader.session.exec(
        select(LedgerEvent)
        .where(or_(*conditions))
        .order_by(col(LedgerEvent.seq).desc())
        .limit(_MAX_LEDGER_EVENTS)
    ).all()
    return [
        {
            "sequence": event.seq,
            "time": event.occurred_at,
            "actor": reader.person(event.actor),
            "action": event.action,
            "subject": f"{event.subject_type} {event.subject_id}",
            "payload_hash": event.payload_sha256,
            "previous_hash": event.prev_hash,
            "hash": event.hash,
        }
        for event in reversed(events)
    ]


def _promotion_evidence(
    reader: _Reader, *, subject_id: int, actor: str, generated_at: dt.datetime
) -> PromotionEvidenceContext:
    """Kind ``promotion_evidence`` for a deployment with a production_promotion decision."""
    deployment_id = subject_id
    session = reader.session
    deployment = get_record(session=session, model=Deployment, record_id=deployment_id)
    decision = session.exec(
        select(PolicyDecision)
        .where(
            PolicyDecision.gate == "production_promotion",
            PolicyDecision.subject_type == "deployment",
            PolicyDecision.subject_id == deployment_id,
        )
        .order_by(col(PolicyDecision.id).desc())
    ).first()
    if decision is None:
        raise ReportSubjectNotReadyError(
            f"deployment {deployment_id} has no production_promotion decision yet; "
            "ask the gate (or request promotion) first"
        )
    model = get_record(session=session, model=ModelVersion, record_id=deployment.model_version_id)
    request = _promotion_request(reader, deployment_id)
    votes = _votes(reader, request.id or 0) if request is not None else []
    evaluations = evaluations_of(session=session, model_id=model.id or 0)
    audits = _succeeded_audits(reader, model.id or 0)
    versions = run_dataset_versions(session=session, run_id=model.run_id) if model.run_id else []
    card = card_of(session=session, model_id=model.id or 0)
    subjects: dict[str, list[int]] = {
        "deployment": [deployment_id],
        "model_version": [model.id or 0],
        "model_card": [card.id or 0] if card is not None else [],
        "evaluation": [evaluation.id or 0 for evaluation in evaluations],
        "audit_run": [audit.id or 0 for audit in audits],
        "finetune_run": [model.run_id] if model.run_id else [],
        "run": [model.run_id] if model.run_id else [],
        "dataset_version": [version.id or 0 for version in versions],
        "approval_request": [request.id or 0] if request is not None else [],
    }
    required = decision.result.get("required_approvals", [])
    approvals: list[ApprovalEntry] = [
        {
            "role": vote.role,
            "approver": reader.person(vote.voter),
            "decision": "approve" if vote.vote == "approve" else "reject",
            "decided_at": vote.created_at,
            "comment": vote.comment or "—",
        }
        for vote in votes
    ]
    return {
        "meta": _meta(
            reader,
            subject=f"deployment #{deployment_id} of {_model_label(model)}",
            actor=actor,
            generated_at=generated_at,
        ),
        "deployment": {
            "deployment_id": f"#{deployment_id}",
            "environment": "production",
            "endpoint": deployment.endpoint,
            "state": str(deployment.state),
            "requested_by": reader.person(request.requester if request else decision.actor),
            "requested_at": request.created_at if request else decision.created_at,
        },
        "model": _model_summary(reader, model),
        "decision": {
            "gate": decision.gate,
            "allow": decision.allow,
            "decided_at": decision.created_at,
            "engine": decision.engine,
            "policy_bundle_hash": decision.bundle_sha256,
            "input_hash": decision.input_sha256,
            "latency_ms": decision.latency_ms,
            "controls": _control_outcomes(reader, decision),
            "warnings": [warning["message"] for warning in decision.result.get("warnings", [])],
            "required_approvals": [
                {"role": str(item["role"]), "count": int(item["count"])} for item in required
            ],
        },
        "approvals": approvals,
        "evaluations": [_evaluation_summary(reader, evaluation) for evaluation in evaluations],
        "audits": [_audit_summary(reader, audit) for audit in audits],
        "lineage": _lineage_links(reader, deployment_id),
        "ledger": _ledger_excerpt(reader, subjects),
        "ledger_verified": verify_chain(session=session).intact,
    }


# --- periodic compliance report ----------------------------------------------------------


def _latest_decisions(reader: _Reader, before: dt.datetime) -> list[PolicyDecision]:
    """The newest decision of each (gate, subject) made before ``before``."""
    latest: dict[tuple[str, str, int], PolicyDecision] = {}
    for decision in reader.session.exec(
        select(PolicyDecision)
        .where(col(PolicyDecision.created_at) < before)
        .order_by(col(PolicyDecision.id))
    ).all():
        latest[(decision.gate, decision.subject_type, decision.subject_id)] = decision
    return list(latest.values())


def _subject_label(reader: _Reader, subject_type: str, subject_id: int) -> str:
    """A readable name for a gate's subject."""
    if subject_type == "deployment":
        deployment = reader.session.get(Deployment, subject_id)
        model = (
            reader.session.get(ModelVersion, deployment.model_version_id) if deployment else None
        )
        if model is not None:
            return f"deployment #{subject_id} ({_model_label(model)})"
    if subject_type == "run":
        run = reader.session.get(FineTuneRun, subject_id)
        if run is not None:
            return f"run {run.name}"
    if subject_type == "dataset_version":
        version = reader.session.get(DatasetVersion, subject_id)
        if version is not None:
            return f"dataset {_dataset_label(reader, version)}"
    return f"{subject_type.replace('_', ' ')} #{subject_id}"


def _model_of_subject(reader: _Reader, subject_type: str, subject_id: int) -> set[int]:
    """Model versions a gate subject belongs to (a deployment's model, a run's models)."""
    if subject_type == "deployment":
        deployment = reader.session.get(Deployment, subject_id)
        return {deployment.model_version_id} if deployment is not None else set()
    if subject_type == "run":
        return {
            model.id or 0
            for model in reader.session.exec(
                select(ModelVersion).where(ModelVersion.run_id == subject_id)
            ).all()
        }
    return set()


@dataclass(frozen=True)
class _OpenFinding:
    """A finding with the model versions and dataset versions it counts against."""

    finding: Finding
    models: frozenset[int] = frozenset()
    datasets: frozenset[int] = frozenset()


def _policy_findings(reader: _Reader, latest: Sequence[PolicyDecision]) -> list[_OpenFinding]:
    """Every violation of the newest decision of each gate and subject that denies."""
    found = []
    for decision in latest:
        if decision.allow:
            continue
        label = _subject_label(reader, decision.subject_type, decision.subject_id)
        models = frozenset(_model_of_subject(reader, decision.subject_type, decision.subject_id))
        datasets = frozenset(
            {decision.subject_id} if decision.subject_type == "dataset_version" else set()
        )
        for violation in decision.violations:
            finding: Finding = {
                "source": "policy",
                "subject": label,
                "reference": f"{violation['control']} ({decision.gate})",
                "severity": _severity(violation.get("severity")),  # type: ignore[typeddict-item]
                "opened_at": decision.created_at,
                "message": violation["message"],
            }
            found.append(_OpenFinding(finding, models, datasets))
    return found


def _model_findings(
    reader: _Reader, model: ModelVersion, end: dt.datetime
) -> tuple[list[_OpenFinding], dt.datetime | None]:
    """Open red-team findings and failing latest audits of a model; its last audit time."""
    model_id = model.id or 0
    found = []
    for evaluation in evaluations_of(session=reader.session, model_id=model_id):
        if evaluation.kind != "red_team" or not evaluation.open_findings:
            continue
        if evaluation.created_at >= end:
            continue
        red_team: Finding = {
            "source": "red_team",
            "subject": _model_label(model),
            "reference": evaluation.attack_category or evaluation.name,
            "severity": _severity(evaluation.severity),  # type: ignore[typeddict-item]
            "opened_at": evaluation.created_at,
            "message": f"{evaluation.open_findings} open finding(s) from {evaluation.name}",
        }
        found.append(_OpenFinding(red_team, frozenset({model_id})))
    audits = [
        audit
        for audit in _succeeded_audits(reader, model_id)
        if (audit.finished_at or audit.created_at) < end
    ]
    newest_by_kind = {audit.kind: audit for audit in reversed(audits)}
    for audit in newest_by_kind.values():
        if _audit_passed(reader, audit):
            continue
        breach: Finding = {
            "source": "audit",
            "subject": _model_label(model),
            "reference": f"{audit.kind} audit #{audit.id}",
            "severity": "high",
            "opened_at": audit.finished_at or audit.created_at,
            "message": "the latest audit is outside the policy bounds",
        }
        found.append(_OpenFinding(breach, frozenset({model_id})))
    last = (audits[0].finished_at or audits[0].created_at) if audits else None
    return found, last


def _erasure_findings(reader: _Reader, versions: Sequence[DatasetVersion]) -> list[_OpenFinding]:
    """Erasure requests (GDPR Art. 17) not resolved yet."""
    found = []
    for version in versions:
        for erasure in open_erasure_requests(session=reader.session, version_id=version.id or 0):
            finding: Finding = {
                "source": "erasure",
                "subject": f"dataset {_dataset_label(reader, version)}",
                "reference": erasure.reference,
                "severity": "medium",
                "opened_at": erasure.requested_at,
                "message": "erasure request (GDPR Art. 17) not resolved",
            }
            found.append(_OpenFinding(finding, datasets=frozenset({version.id or 0})))
    return found


def _decision_rows(reader: _Reader, period: Period) -> list[DecisionRow]:
    """Every gate decision made in the period, in time order."""
    decisions = reader.session.exec(
        select(PolicyDecision)
        .where(
            col(PolicyDecision.created_at) >= period.starts_at,
            col(PolicyDecision.created_at) < period.ends_before,
        )
        .order_by(col(PolicyDecision.created_at), col(PolicyDecision.id))
    ).all()
    return [
        {
            "decided_at": decision.created_at,
            "gate": decision.gate,
            "subject": _subject_label(reader, decision.subject_type, decision.subject_id),
            "allow": decision.allow,
            "violations": len(decision.violations),
        }
        for decision in decisions
    ]


def _expiring_approvals(reader: _Reader, period: Period) -> list[ExpiringApproval]:
    """Open approval requests that lapse in the period or within the horizon after it."""
    requests = reader.session.exec(
        select(ApprovalRequest)
        .where(
            ApprovalRequest.status == "pending",
            col(ApprovalRequest.expires_at) >= period.starts_at,
            col(ApprovalRequest.expires_at) < period.ends_before + EXPIRY_HORIZON,
        )
        .order_by(col(ApprovalRequest.expires_at))
    ).all()
    expiring: list[ExpiringApproval] = []
    for request in requests:
        votes = _votes(reader, request.id or 0)
        subject = _subject_label(reader, request.subject_type, request.subject_id)
        for required in request.required_approvals:
            voters = [reader.person(vote.voter) for vote in votes if vote.role == required["role"]]
            expiring.append(
                {
                    "subject": f"{request.gate}: {subject} (request #{request.id})",
                    "role": f"{required['count']} × {required['role']}",
                    "approver": ", ".join(voters) or "awaiting vote",
                    "expires_at": request.expires_at,
                }
            )
    return expiring


def _periodic(
    reader: _Reader, *, period: Period, actor: str, generated_at: dt.datetime
) -> PeriodicComplianceContext:
    """Kind ``periodic_compliance``: the registry's standing at the end of ``period``."""
    session = reader.session
    end = period.ends_before
    models = session.exec(
        select(ModelVersion)
        .where(col(ModelVersion.created_at) < end)
        .order_by(col(ModelVersion.name), col(ModelVersion.id))
    ).all()
    versions = session.exec(
        select(DatasetVersion)
        .where(col(DatasetVersion.created_at) < end)
        .order_by(col(DatasetVersion.dataset_id), col(DatasetVersion.version))
    ).all()
    latest = _latest_decisions(reader, end)
    findings = _policy_findings(reader, latest) + _erasure_findings(reader, versions)
    last_audit: dict[int, dt.datetime | None] = {}
    for model in models:
        found, last_audit[model.id or 0] = _model_findings(reader, model, end)
        findings += found
    findings.sort(
        key=lambda item: (_SEVERITIES.index(item.finding["severity"]), item.finding["opened_at"])
    )
    last_promotion: dict[int, bool] = {}
    for decision in sorted(latest, key=lambda decision: decision.id or 0):
        if decision.gate == "production_promotion":
            for model_id in _model_of_subject(reader, decision.subject_type, decision.subject_id):
                last_promotion[model_id] = decision.allow
    model_rows: list[ModelRow] = []
    for model in models:
        model_id = model.id or 0
        deployments = _deployments_of(reader, model_id)
        allowed = last_promotion.get(model_id)
        model_rows.append(
            {
                "name": model.name,
                "version": model.version,
                "risk_tier": model.risk_tier  # type: ignore[typeddict-item]
                if model.risk_tier in ("high", "medium", "low")
                else "unassigned",
                "domain": model.domain or "not recorded",
                "state": _model_state(deployments),
                "environments": sorted({str(deployment.state) for deployment in deployments}),
                "last_decision": None if allowed is None else ("allow" if allowed else "deny"),
                "last_audit_at": last_audit[model_id],
                "open_findings": sum(model_id in item.models for item in findings),
            }
        )
    dataset_rows: list[DatasetRow] = [
        {
            "name": _dataset_name(reader, version),
            "version": f"v{version.version}",
            "classification": _classification(version),
            "lawful_basis": _lawful_basis(version.lawful_basis),
            "retention_until": version.retention_until,
            "open_findings": sum((version.id or 0) in item.datasets for item in findings),
        }
        for version in versions
    ]
    return {
        "meta": _meta(
            reader,
            subject=f"all models and datasets, {period.label}",
            actor=actor,
            generated_at=generated_at,
        ),
        "period": {"start": period.start, "end": period.end, "label": period.label},
        "models": model_rows,
        "datasets": dataset_rows,
        "decisions": _decision_rows(reader, period),
        "open_findings": [item.finding for item in findings],
        "expiring_approvals": _expiring_approvals(reader, period),
    }


#: The builder of each kind that is about one registry object.
_SUBJECT_BUILDERS: Mapping[str, Callable[..., Mapping[str, Any]]] = {
    "model_card": _model_card,
    "dataset_sheet": _dataset_sheet,
    "audit_report": _audit_report,
    "promotion_evidence": _promotion_evidence,
}


def build_context(
    *,
    session: Session,
    settings: Settings,
    kind: str,
    actor: str,
    subject_id: int | None = None,
    period: Period | None = None,
    generated_at: dt.datetime | None = None,
) -> PreparedReport:
    """Gather the context of a ``kind`` report about ``subject_id`` (or ``period``).

    Reads only; raises a not-found error for an unknown subject and
    :class:`ReportSubjectNotReadyError` when the subject lacks what its report shows.
    """
    if kind not in KIND_SUBJECTS:
        raise UnknownReportKindError(
            f"unknown report kind {kind!r} (known: {', '.join(KIND_SUBJECTS)})"
        )
    generated_at = generated_at or utc_now()
    reader = _reader(session, settings)
    subject_type = KIND_SUBJECTS[kind]
    if kind == "periodic_compliance":
        if period is None:
            raise ValidationError("a periodic compliance report needs a period (start and end)")
        context: Mapping[str, Any] = _periodic(
            reader, period=period, actor=actor, generated_at=generated_at
        )
        return PreparedReport(kind, subject_type, None, period, context)
    if subject_id is None:
        raise ValidationError(
            f"a {kind} report needs the id of its {subject_type.replace('_', ' ')}"
        )
    build = _SUBJECT_BUILDERS[kind]
    context = build(reader, subject_id=subject_id, actor=actor, generated_at=generated_at)
    return PreparedReport(kind, subject_type, subject_id, None, context)
