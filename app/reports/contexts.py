"""The data each report kind is built from: plain dicts, typed here.

The report service reads the database and hands :func:`app.reports.generate_report` one
of these contexts; the templates read nothing else. With the shape explicit, tests build
realistic ones without a database.

Conventions for every kind:

* times are timezone-aware ``datetime`` (printed in UTC), dates are ``date``;
* rates and scores are floats (``nan`` where a metric is undefined for a group);
* hashes are lowercase hex SHA-256;
* free text (model card sections, comments) is plain text; blank lines separate
  paragraphs; nothing is interpreted as HTML;
* ``masked_samples`` must already be masked by the PII scanner: the report prints them
  as given;
* ``NotRequired`` fields may be left out; every other field must be present (a missing
  field is a :class:`~app.reports.errors.ReportContextError`, not an empty cell).

The periodic compliance report's context is in :mod:`app.reports.periodic_contexts`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "ApprovalEntry",
    "ApprovalRequestRef",
    "AuditDetails",
    "AuditReportContext",
    "AuditSummary",
    "ControlOutcome",
    "DatasetClassification",
    "DatasetComplianceContext",
    "DatasetDetails",
    "DatasetLegalBasis",
    "DatasetRef",
    "DecisionReasons",
    "DeploymentDetails",
    "EvaluationSummary",
    "ExplainabilityResults",
    "FairnessGroup",
    "FairnessTable",
    "FeatureImportance",
    "Figure",
    "Finding",
    "GateDecision",
    "LedgerEntry",
    "LineageLink",
    "MetricResult",
    "ModelCardContext",
    "ModelCardSections",
    "ModelSummary",
    "PromotionEvidenceContext",
    "Provenance",
    "ReasoningSummary",
    "RedTeamResult",
    "ReportMeta",
    "RequiredApproval",
    "ScanFinding",
    "ScanSummary",
    "ValidationIssue",
    "ValidationSummary",
]

Severity = Literal["critical", "high", "medium", "low", "info"]


class ReportMeta(TypedDict):
    """Who issues the report, about what, and when (every kind has it as ``meta``)."""

    organisation: str
    subject: str
    """Human-readable reference of the subject, e.g. ``model credit-scorer v3 (#42)``."""
    generated_at: dt.datetime
    """Also written as the PDF's creation date."""
    generated_by: str
    """The user or pipeline token that asked for the report."""
    report_id: NotRequired[str]
    """The registry's id for this report, if allocated before rendering."""


class DatasetRef(TypedDict):
    """A dataset version as other reports cite it."""

    name: str
    version: str
    sha256: str
    classification: str
    """Short label, e.g. ``PHI (Safe Harbor de-identified)``, ``PII``, ``none``."""
    row_count: int


class ModelSummary(TypedDict):
    """The model version a report is about."""

    name: str
    version: str
    base_model: str
    platform: str
    """``openai``, ``anthropic``, ``google``, ``meta`` or ``open``."""
    method: str
    """Fine-tuning method: ``SFT``, ``LoRA``, ``QLoRA``, ``RLHF``, ``DPO``, ..."""
    risk_tier: Literal["high", "medium", "low", "unassigned"]
    domain: str
    decision_type: str
    owner: str
    state: str
    created_at: dt.datetime


class MetricResult(TypedDict):
    """One measured figure against its policy threshold."""

    name: str
    value: float
    threshold: float | None
    comparison: NotRequired[Literal[">=", "<=", "=="]]
    """How ``value`` must compare with ``threshold``; ``>=`` when left out."""
    passed: bool | None
    """``None`` when no threshold applies."""


class RedTeamResult(TypedDict):
    """Red-team results for one attack category."""

    category: str
    prompts_tried: int
    failures: int
    severity: Severity
    open_findings: int


class EvaluationSummary(TypedDict):
    """A benchmark or red-team evaluation of a model version."""

    name: str
    kind: Literal["benchmark", "red_team"]
    dataset: str
    run_at: dt.datetime
    metrics: list[MetricResult]
    red_team: NotRequired[list[RedTeamResult]]


class AuditSummary(TypedDict):
    """One audit run as cited from another report."""

    audit_id: str
    kind: Literal["fairness", "explainability", "fairness+explainability"]
    dataset: str
    run_at: dt.datetime
    verdict: Literal["pass", "fail", "not_judged"]
    headline: list[MetricResult]


class Figure(TypedDict):
    """A chart produced elsewhere (an :mod:`app.charts` SVG string), shown as given."""

    title: str
    svg: str
    """Inline ``<svg>`` markup from :mod:`app.charts`; never user-supplied markup."""
    caption: NotRequired[str]


class Finding(TypedDict):
    """An open problem: a failed control, an audit breach, a red-team issue, a scan hit."""

    source: str
    """``policy``, ``audit``, ``red_team``, ``pii_scan``, ..."""
    subject: str
    reference: str
    """Control id, metric or category the finding is about."""
    severity: Severity
    opened_at: dt.datetime
    message: str


# --- model card -------------------------------------------------------------------------


class ModelCardSections(TypedDict):
    """The sections of Mitchell et al., "Model Cards for Model Reporting" (2019), as text.

    The keys are the registry's :data:`app.models.model_versions.MODEL_CARD_SECTIONS`
    (the names the model-card policy requires), in the same order.
    """

    details: str
    intended_use: str
    out_of_scope_use: str
    factors: str
    metrics: str
    evaluation_data: str
    training_data: str
    quantitative_analyses: str
    ethical_considerations: str
    caveats: str


class ModelCardContext(TypedDict):
    """Kind ``model_card``."""

    meta: ReportMeta
    model: ModelSummary
    card: ModelCardSections
    training_datasets: list[DatasetRef]
    evaluations: list[EvaluationSummary]
    audits: list[AuditSummary]


# --- dataset compliance sheet ----------------------------------------------------------


class DatasetDetails(TypedDict):
    """Identity and shape of the dataset version."""

    name: str
    version: str
    owner: str
    purpose: str
    sha256: str
    size_bytes: int
    row_count: int
    platform_format: str
    """``openai_chat``, ``anthropic_text``, ``llama_io``, ``gemini_multimodal``, ``tabular``."""
    created_at: dt.datetime


class DatasetClassification(TypedDict):
    """What kind of personal data the version holds and how it was treated."""

    contains_pii: bool | None
    contains_phi: bool | None
    special_category: bool | None
    """GDPR Art. 9 special-category data."""
    deidentification: str
    """``none``, ``HIPAA Safe Harbor``, ``expert determination``, ``pseudonymised``."""
    residency_region: str


class DatasetLegalBasis(TypedDict):
    """Why processing is lawful and for how long the data may be kept."""

    lawful_basis: str
    """GDPR Art. 6 basis, e.g. ``Art. 6(1)(b) contract``."""
    art9_condition: str | None
    consent_reference: str | None
    dpia_reference: str | None
    baa_reference: str | None
    retention_until: dt.date | None
    erasure_requests_open: int


class Provenance(TypedDict):
    """Where the data came from."""

    source: str
    licence: str
    collection_method: str


class ScanFinding(TypedDict):
    """PII/PHI scan hits of one entity type."""

    entity_type: str
    count: int
    masked_samples: list[str]


class ScanSummary(TypedDict):
    """Outcome of the PII/PHI scan of the version."""

    scanned_at: dt.datetime
    rows_scanned: int
    scanner: str
    findings: list[ScanFinding]
    not_detected: NotRequired[list[str]]
    """Entity types the scanner cannot detect (stated, so coverage is honest)."""


class ValidationIssue(TypedDict):
    """One format problem, with the line of the file it is on."""

    line: int | None
    """1-based line in the file; ``None`` for a problem with the whole file."""
    severity: Literal["error", "warning"]
    message: str


class ReasoningSummary(TypedDict):
    """Reasoning-chain quality of the outputs the model is trained to produce."""

    outputs: int
    complete_share: float
    """Share of outputs with steps and a conclusion."""
    step_counts: dict[str, int]
    """Outputs per step count (``"10+"`` gathers ten or more)."""
    empty_steps: int
    repeated_steps: int
    unfinished: int
    """Outputs that stop mid-chain."""
    unsupported: int
    """Outputs that are only an answer, with no reasoning before it."""


class ValidationSummary(TypedDict):
    """Format validation against the platform's fine-tuning format."""

    valid: bool
    error_count: int
    warning_count: int
    issues: list[ValidationIssue]
    """The first issues (the report prints them all; pass a bounded excerpt)."""
    reasoning: ReasoningSummary | None
    """``None`` for data without model outputs (tabular) or an old report without figures."""


class DatasetComplianceContext(TypedDict):
    """Kind ``dataset_sheet``."""

    meta: ReportMeta
    dataset: DatasetDetails
    classification: DatasetClassification
    legal: DatasetLegalBasis
    provenance: Provenance
    scan: ScanSummary
    validation: ValidationSummary


# --- audit report -----------------------------------------------------------------------


class FairnessGroup(TypedDict):
    """Metrics for one group of a sensitive feature (or an intersection)."""

    group: str
    count: int
    selection_rate: float
    selection_rate_ci: tuple[float, float] | None
    """Bootstrap confidence interval (lower, upper) of the selection rate."""
    true_positive_rate: float
    false_positive_rate: float
    false_negative_rate: float
    accuracy: float


class FairnessTable(TypedDict):
    """Fairness results for one sensitive feature."""

    sensitive_feature: str
    groups: list[FairnessGroup]
    demographic_parity_difference: float
    demographic_parity_ratio: float
    equalized_odds_difference: float
    four_fifths_threshold: float | None
    """Selection-rate ratio bound (0.8 for the four-fifths rule; policy data)."""
    passed: bool | None


class FeatureImportance(TypedDict):
    """Global importance of one feature (mean absolute SHAP value)."""

    feature: str
    importance: float


class DecisionReasons(TypedDict):
    """Principal reasons for one decision, as an adverse-action notice needs them."""

    decision_id: str
    outcome: str
    reasons: list[str]


class ExplainabilityResults(TypedDict):
    """SHAP results."""

    method: str
    """e.g. ``TreeExplainer`` or ``KernelExplainer on a surrogate``."""
    surrogate_fidelity: float | None
    """R² / agreement of the surrogate with the model; ``None`` when explained directly."""
    global_importance: list[FeatureImportance]
    sample_decisions: list[DecisionReasons]


class AuditDetails(TypedDict):
    """Which audit this is."""

    audit_id: str
    model: str
    dataset: DatasetRef
    run_at: dt.datetime
    trigger: Literal["schedule", "on_demand"]
    verdict: Literal["pass", "fail", "not_judged"]
    summary: str


class AuditReportContext(TypedDict):
    """Kind ``audit_report``."""

    meta: ReportMeta
    audit: AuditDetails
    fairness: list[FairnessTable]
    explainability: ExplainabilityResults | None
    findings: list[Finding]
    figures: NotRequired[list[Figure]]
    decision_ids: NotRequired[list[int]]  # the gate decision its verdict is read from


# --- promotion evidence pack -------------------------------------------------------------


class DeploymentDetails(TypedDict):
    """The deployment asking for production."""

    deployment_id: str
    environment: str
    """The environment asked for (``production`` for a promotion)."""
    endpoint: str
    state: str
    requested_by: str
    requested_at: dt.datetime


class ControlOutcome(TypedDict):
    """What one policy control reported."""

    control_id: str
    regulation: str
    citation: str
    title: str
    outcome: Literal["pass", "fail", "not_applicable", "missing"]
    """``missing``: the control applies but reported nothing (a gate failure)."""
    severity: Severity
    messages: list[str]
    """Violation messages, or the reason it does not apply."""


class RequiredApproval(TypedDict):
    """Sign-off the decision requires."""

    role: str
    count: int


class GateDecision(TypedDict):
    """The stored policy decision for the gate."""

    gate: str
    allow: bool
    outcome: Literal["allowed", "denied", "indeterminate"]
    """``indeterminate``: the policy engine gave no answer (a deny, but nobody decided)."""
    error: str | None
    """Why the engine gave no answer, for an indeterminate decision."""
    decided_at: dt.datetime
    engine: str
    policy_bundle_hash: str
    input_hash: str
    latency_ms: float
    controls: list[ControlOutcome]
    warnings: list[str]
    required_approvals: list[RequiredApproval]


class ApprovalEntry(TypedDict):
    """One vote on the approval request."""

    role: str
    approver: str
    decision: Literal["approve", "reject"]
    decided_at: dt.datetime
    comment: str
    excluded: bool
    """Whether separation of duties excludes the voter (the policy says if a vote counts)."""


class ApprovalRequestRef(TypedDict):
    """The promotion's approval request, so the pack can tell "no request" from "no votes"."""

    request_id: str
    status: str
    requested_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    evidence_sha256: str  # the evidence the request froze: every vote is on it
    excluded_approvers: list[str]


class LineageLink(TypedDict):
    """One hop of deployment → model → run → datasets."""

    kind: Literal["deployment", "model", "run", "dataset"]
    reference: str
    label: str
    sha256: str | None


class LedgerEntry(TypedDict):
    """A ledger event with its chain hashes."""

    sequence: int
    time: dt.datetime
    actor: str
    action: str
    subject: str
    payload_hash: str
    previous_hash: str
    hash: str


class PromotionEvidenceContext(TypedDict):
    """Kind ``promotion_evidence``."""

    meta: ReportMeta
    deployment: DeploymentDetails
    model: ModelSummary
    decision: GateDecision
    approval_request: ApprovalRequestRef | None
    """None when nobody has requested promotion approval for the deployment."""
    approvals: list[ApprovalEntry]
    evaluations: list[EvaluationSummary]
    audits: list[AuditSummary]
    lineage: list[LineageLink]
    ledger: list[LedgerEntry]
    ledger_verified: bool
    """Whether the ledger chain verified when the pack was assembled."""
    decision_ids: list[int]
    """The stored decisions the pack reports on, embedded with their inputs for replay."""
    imported_evidence: NotRequired[dict[str, Any]]
    """Imported metrics, red-team tallies and findings, memorisation tests, monitoring
    trends and incidents (``app.evaluations.report_sections``)."""
