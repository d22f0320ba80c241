"""The input document of a gate: what the policies see, and nothing more.

This is the contract between the registry (which fills it) and the Rego policies
(which judge it). A fact nobody recorded is ``null`` here, never a default that would
pass: the policies treat an unknown classification as sensitive and an unknown control
fact as failing, and say which fact is missing and who records it. It carries classifications, counts and references only, never raw
personal data: a dataset says *that* it holds PHI and which fields, not the values.

``GateInput.document()`` gives the JSON object both engines receive. Timestamps are
written in UTC as ``YYYY-MM-DDTHH:MM:SS+00:00`` (no fraction, numeric offset), one
stable form for the input hash.

Top level (``GateInput``): ``gate``, ``subject``, ``datasets``, ``run``, ``model``,
``card``, ``evaluations``, ``audits``, ``approvals``, ``deployment``, ``monitoring``, ``now``.

- ``subject`` {kind: run | deployment | dataset_version, id}: what the gate is asked about.
- ``datasets[]`` (``DatasetInput``), one per dataset version involved: id, name, version,
  contains_pii, contains_phi, special_category (GDPR Art. 9), data_subjects_regions
  (ISO country codes, or "EU"/"EEA"), deidentification_method (none | safe_harbor |
  expert_determination | pseudonymised), expert_determination_ref, pii_findings_count
  (identifiers the scan still finds), phi_fields [{name, purpose}], lawful_basis
  (GDPR Art. 6 basis), art9_condition ("a".."j"), dpia_ref, consent_ref,
  baa_refs [{vendor, ref}], residency_region, transfer_mechanism (adequacy | scc | bcr |
  none), transfer_ref, retention_until, open_erasure_requests, encrypted_at_rest,
  controller, purpose, data_categories, large_scale.
- ``run`` (``RunInput``, or null): id, platform (openai | anthropic | google | meta |
  self_hosted), hosting (external | internal), vendor, region (where training runs),
  method, requester, authors.
- ``model`` (``ModelInput``, or null before a model exists): id, name, version, domain
  (healthcare | credit | financial_risk | legal | general), risk_tier (high | medium |
  low | null), decision_type (e.g. credit_decision), automated_decision_legal_effect,
  human_review, developers, validator, monitoring_enabled, and the EU AI Act facts:
  eu_market (placed on the EU market or used there), annex_iii_use (none or the Annex III
  use, e.g. credit_scoring), gpai_modification {base_model_training_flop (null when the
  base model's compute is unknown), modification_training_flop}, gpai_documentation
  {downstream_documentation_ref, training_data_summary_ref, copyright_policy_ref},
  high_risk_evidence {risk_management_ref, data_governance_ref,
  technical_documentation_ref, instructions_for_use_ref, accuracy_robustness_ref}.
- ``card`` (``CardInput``, or null): sections {name: text}, missing [section names].
- ``evaluations[]`` (``EvaluationInput``): kind benchmark {metric, value, threshold,
  higher_is_better, baseline, measured_at, source}, red_team {attack_category,
  prompts_tried, failures, open_findings [{id, severity, category}]} or memorisation
  {method, records_tested, records_elicited, measured_at}.
- ``audits[]`` (``AuditInput``): kind fairness {adverse_impact_ratio,
  equalized_odds_difference} or explainability {principal_reasons_available}, with
  finished_at.
- ``approvals[]`` (``ApprovalInput``): role, user, decision (approve | reject).
- ``deployment`` (``DeploymentInput``, or null): id, environment (staging | production),
  access_logging, monitoring.
- ``monitoring`` (``MonitoringInput``, or null before any batch): baseline_recorded,
  latest_batch_at, drift [{group, psi, ks_statistic, ks_p_value, baseline_count,
  current_count}], open_incidents [{id, severity}].
- ``now``: the evaluation time (policies never read the clock, so decisions replay).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from app.models.evaluation_evidence import FindingSeverity
from app.models.model_versions import MODEL_CARD_SECTIONS
from app.models.users import RoleName
from app.models.vocabulary import (
    Art9Condition,
    AuditKind,
    DeidentificationMethod,
    Domain,
    EvaluationKind,
    GateName,
    GateSubject,
    Hosting,
    LawfulBasis,
    MemorisationMethod,
    Platform,
    RiskTier,
    TransferMechanism,
    VoteDecision,
)

__all__ = [
    "ApprovalInput",
    "AuditInput",
    "BusinessAssociateAgreement",
    "CardInput",
    "DatasetInput",
    "DeploymentInput",
    "DriftInput",
    "EvaluationInput",
    "GateInput",
    "GpaiDocumentation",
    "GpaiModification",
    "HighRiskEvidence",
    "IncidentInput",
    "ModelInput",
    "MonitoringInput",
    "PhiField",
    "RedTeamFinding",
    "RunInput",
    "Subject",
    "example_inputs",
    "format_timestamp",
]


def _to_utc_seconds(value: datetime) -> datetime:
    """Timestamps are UTC, whole seconds; a naive datetime is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def format_timestamp(value: datetime) -> str:
    """The one timestamp form both engines parse: ``2026-01-01T00:00:00+00:00``."""
    return _to_utc_seconds(value).strftime("%Y-%m-%dT%H:%M:%S+00:00")


Timestamp = Annotated[
    datetime,
    AfterValidator(_to_utc_seconds),
    PlainSerializer(format_timestamp, return_type=str),
]
NonNegative = Annotated[int, Field(ge=0)]


class _Part(BaseModel):
    """Parts of the document are immutable and reject unknown members."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Subject(_Part):
    """What the gate is asked about."""

    kind: GateSubject
    id: str


class PhiField(_Part):
    """A PHI field a dataset uses, with the purpose it serves (minimum necessary)."""

    name: str
    purpose: str | None = None


class BusinessAssociateAgreement(_Part):
    """A HIPAA business associate agreement with a vendor, by reference."""

    vendor: str
    ref: str


class DatasetInput(_Part):
    """A dataset version's classification and compliance references."""

    id: str
    name: str
    version: str
    contains_pii: bool | None = None
    contains_phi: bool | None = None
    special_category: bool | None = None
    data_subjects_regions: list[str] | None = None
    deidentification_method: DeidentificationMethod | None = None
    expert_determination_ref: str | None = None
    pii_findings_count: NonNegative | None = None
    phi_fields: list[PhiField] | None = None
    lawful_basis: LawfulBasis | None = None
    art9_condition: Art9Condition | None = None
    dpia_ref: str | None = None
    consent_ref: str | None = None
    baa_refs: list[BusinessAssociateAgreement] = []
    residency_region: str | None = None
    transfer_mechanism: TransferMechanism | None = None
    transfer_ref: str | None = None
    retention_until: Timestamp | None = None
    open_erasure_requests: NonNegative = 0
    encrypted_at_rest: bool | None = None
    controller: str | None = None
    purpose: str | None = None
    data_categories: list[str] | None = None
    large_scale: bool | None = None


class RunInput(_Part):
    """The fine-tune run: where training happens and who asked for it."""

    id: str
    platform: Platform
    hosting: Hosting | None = None
    vendor: str | None = None
    region: str | None = None
    method: str
    requester: str
    authors: list[str] = []


class GpaiModification(_Part):
    """Training compute of a fine-tune and of its base model (EU AI Act GPAI guidelines)."""

    base_model_training_flop: float | None = None
    modification_training_flop: float


class GpaiDocumentation(_Part):
    """EU AI Act Art. 53(1)(b)-(d) documents of a modified GPAI model, by reference."""

    downstream_documentation_ref: str | None = None
    training_data_summary_ref: str | None = None
    copyright_policy_ref: str | None = None


class HighRiskEvidence(_Part):
    """EU AI Act Art. 9, 10, 11, 13 and 15 evidence of a high-risk use, by reference."""

    risk_management_ref: str | None = None
    data_governance_ref: str | None = None
    technical_documentation_ref: str | None = None
    instructions_for_use_ref: str | None = None
    accuracy_robustness_ref: str | None = None


class ModelInput(_Part):
    """The model version: domain, risk tier and who built and validated it."""

    id: str
    name: str
    version: str
    domain: Domain | None = None
    risk_tier: RiskTier | None = None
    decision_type: str | None = None
    automated_decision_legal_effect: bool | None = None
    human_review: bool | None = None
    developers: list[str] = []
    validator: str | None = None
    monitoring_enabled: bool | None = None
    eu_market: bool | None = None
    annex_iii_use: str | None = None
    gpai_modification: GpaiModification | None = None
    gpai_documentation: GpaiDocumentation | None = None
    high_risk_evidence: HighRiskEvidence | None = None


class CardInput(_Part):
    """The model card's sections (name -> text) and the sections it lacks."""

    sections: dict[str, str] = {}
    missing: list[str] = []


class RedTeamFinding(_Part):
    """An open red-team finding."""

    id: str
    severity: FindingSeverity | None = None
    category: str | None = None


class EvaluationInput(_Part):
    """A benchmark result, a red-team run (per attack category) or a memorisation test."""

    id: str
    kind: EvaluationKind
    metric: str | None = None
    value: float | None = None
    threshold: float | None = None
    higher_is_better: bool = True
    #: The base model's value on the same task and dataset (benchmark).
    baseline: float | None = None
    #: When the figure was measured; null when nobody recorded it (then it is stale).
    measured_at: Timestamp | None = None
    #: Where the figure came from: tool, task, dataset identity.
    source: str | None = None
    attack_category: str | None = None
    prompts_tried: NonNegative | None = None
    failures: NonNegative | None = None
    open_findings: list[RedTeamFinding] = []
    #: Memorisation tests: planted or sampled training records tried and elicited.
    method: MemorisationMethod | None = None
    records_tested: NonNegative | None = None
    records_elicited: NonNegative | None = None
    #: Who recorded it in Gatehouse (an evaluation's registrant, an import's importer):
    #: the policy counts evidence only from someone who did not build the model.
    recorded_by: str | None = None


class DriftInput(_Part):
    """Score drift of the latest monitoring batch against the audit baseline."""

    group: str | None = None
    psi: float
    ks_statistic: float
    ks_p_value: float
    baseline_count: NonNegative
    current_count: NonNegative


class IncidentInput(_Part):
    """An open production incident."""

    id: str
    severity: FindingSeverity


class MonitoringInput(_Part):
    """What production monitoring saw: drift (overall and per group) and open incidents."""

    baseline_recorded: bool
    latest_batch_at: Timestamp | None = None
    drift: list[DriftInput] = []
    open_incidents: list[IncidentInput] = []


class AuditInput(_Part):
    """A finished fairness or explainability audit's figures."""

    id: str
    kind: AuditKind
    finished_at: Timestamp | None = None
    adverse_impact_ratio: float | None = None
    equalized_odds_difference: float | None = None
    principal_reasons_available: bool | None = None
    #: Who started it (a person, or the scheduler for a scheduled audit).
    requested_by: str | None = None
    #: Whether the decisions audited were the model artifact's own predictions (a
    #: fairness audit; null for other kinds).
    predicted_by_artifact: bool | None = None


def _person_role(role: RoleName) -> RoleName:
    """Votes are people's: a pipeline token never approves anything."""
    if role is RoleName.PIPELINE:
        raise ValueError("a pipeline cannot vote")
    return role


class ApprovalInput(_Part):
    """One vote on the subject."""

    role: Annotated[RoleName, AfterValidator(_person_role)]
    user: str
    decision: VoteDecision


class DeploymentInput(_Part):
    """The deployment being promoted."""

    id: str
    environment: Literal["staging", "production"]
    access_logging: bool | None = None
    monitoring: bool | None = None


class GateInput(_Part):
    """The whole document one gate decision is made on."""

    gate: GateName
    subject: Subject
    datasets: list[DatasetInput] = []
    run: RunInput | None = None
    model: ModelInput | None = None
    card: CardInput | None = None
    evaluations: list[EvaluationInput] = []
    audits: list[AuditInput] = []
    approvals: list[ApprovalInput] = []
    deployment: DeploymentInput | None = None
    monitoring: MonitoringInput | None = None
    now: Timestamp

    def document(self) -> dict[str, Any]:
        """The JSON object the engines evaluate."""
        return self.model_dump(mode="json")


_NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


#: Who records the examples' evidence: the release pipeline, not one of the model's makers.
_EVALUATOR = "release-bot"


def example_inputs() -> dict[str, GateInput]:
    """Named, realistic documents for tests, demos and benchmarks.

    ``phi_notes_raw`` (PHI, not de-identified) is denied at training_launch by
    HIPAA-164.514; ``phi_notes_deidentified`` passes every HIPAA control (both carry
    the officer's approval that training_launch requires);
    ``gdpr_special_no_art9`` is denied by GDPR-9.2; ``credit_promotion_ready`` is a
    credit model that passes every control at production_promotion.
    """
    notes = DatasetInput(
        id="ds-notes-3",
        name="clinical-notes",
        version="3",
        contains_pii=True,
        contains_phi=True,
        special_category=False,
        data_subjects_regions=["US"],
        pii_findings_count=0,
        phi_fields=[
            PhiField(name="diagnosis", purpose="condition summarisation"),
            PhiField(name="medication", purpose="drug interaction answers"),
        ],
        baa_refs=[BusinessAssociateAgreement(vendor="openai", ref="BAA-2026-014")],
        residency_region="US",
        encrypted_at_rest=True,
        retention_until=datetime(2028, 1, 1, tzinfo=UTC),
        deidentification_method=DeidentificationMethod.NONE,
    )
    run = RunInput(
        id="run-41",
        platform=Platform.OPENAI,
        hosting=Hosting.EXTERNAL,
        vendor="openai",
        region="US",
        method="sft",
        requester="maya",
        authors=["maya"],
    )
    eu_applicants = DatasetInput(
        id="ds-applicants-7",
        name="loan-applicants",
        version="7",
        contains_pii=True,
        contains_phi=False,
        special_category=False,
        data_subjects_regions=["DE", "FR"],
        deidentification_method=DeidentificationMethod.PSEUDONYMISED,
        lawful_basis=LawfulBasis.CONTRACT,
        dpia_ref="DPIA-2026-03",
        residency_region="DE",
        retention_until=datetime(2029, 6, 30, tzinfo=UTC),
        encrypted_at_rest=True,
        controller="Example Bank AG",
        purpose="credit decision support",
        data_categories=["income", "employment", "repayment history"],
        large_scale=True,
    )
    credit_model = ModelInput(
        id="mv-9",
        name="credit-assistant",
        version="2",
        domain=Domain.CREDIT,
        risk_tier=RiskTier.HIGH,
        decision_type="credit_decision",
        automated_decision_legal_effect=True,
        human_review=True,
        developers=["maya", "omar"],
        validator="lena",
        monitoring_enabled=True,
        eu_market=True,
        annex_iii_use="credit_scoring",
        gpai_modification=GpaiModification(
            base_model_training_flop=9e23, modification_training_flop=4e23
        ),
        gpai_documentation=GpaiDocumentation(
            downstream_documentation_ref="GPAI-DOC-2026-02",
            training_data_summary_ref="TDS-2026-02",
            copyright_policy_ref="CPY-2026-01",
        ),
        high_risk_evidence=HighRiskEvidence(
            risk_management_ref="RMS-2026-05",
            data_governance_ref="DG-2026-07",
            technical_documentation_ref="TD-2026-09",
            instructions_for_use_ref="IFU-2026-03",
            accuracy_robustness_ref="VAL-2026-11",
        ),
    )
    eu_run = run.model_copy(update={"vendor": "self", "hosting": Hosting.INTERNAL, "region": "DE"})
    officer_approval = ApprovalInput(
        role=RoleName.COMPLIANCE_OFFICER, user="carla", decision=VoteDecision.APPROVE
    )
    return {
        "phi_notes_raw": GateInput(
            gate=GateName.TRAINING_LAUNCH,
            subject=Subject(kind=GateSubject.RUN, id=run.id),
            datasets=[notes],
            run=run,
            approvals=[officer_approval],
            now=_NOW,
        ),
        "phi_notes_deidentified": GateInput(
            gate=GateName.TRAINING_LAUNCH,
            subject=Subject(kind=GateSubject.RUN, id=run.id),
            datasets=[
                notes.model_copy(
                    update={"deidentification_method": DeidentificationMethod.SAFE_HARBOR}
                )
            ],
            run=run,
            approvals=[officer_approval],
            now=_NOW,
        ),
        "gdpr_special_no_art9": GateInput(
            gate=GateName.DATASET_USE,
            subject=Subject(kind=GateSubject.DATASET_VERSION, id="ds-health-survey-1"),
            datasets=[
                eu_applicants.model_copy(
                    update={
                        "id": "ds-health-survey-1",
                        "name": "health-survey",
                        "version": "1",
                        "special_category": True,
                    }
                )
            ],
            run=eu_run,
            now=_NOW,
        ),
        "credit_promotion_ready": GateInput(
            gate=GateName.PRODUCTION_PROMOTION,
            subject=Subject(kind=GateSubject.DEPLOYMENT, id="dep-3"),
            datasets=[eu_applicants],
            run=eu_run,
            model=credit_model,
            card=CardInput(sections={name: f"{name} text" for name in MODEL_CARD_SECTIONS}),
            evaluations=[
                *(
                    EvaluationInput(
                        id=f"ev-{metric}",
                        kind=EvaluationKind.BENCHMARK,
                        metric=metric,
                        value=value,
                        baseline=baseline,
                        measured_at=datetime(2026, 11, 20, tzinfo=UTC),
                        recorded_by=_EVALUATOR,
                    )
                    for metric, value, baseline in (
                        ("accuracy", 0.91, 0.9),
                        ("logical_consistency", 0.88, 0.86),
                        ("hallucination_rate", 0.02, 0.03),
                        ("latency_p99_ms", 1200, 1100),
                    )
                ),
                *(
                    EvaluationInput(
                        id=f"ev-{category}",
                        kind=EvaluationKind.RED_TEAM,
                        attack_category=category,
                        prompts_tried=400,
                        failures=failures,
                        recorded_by=_EVALUATOR,
                    )
                    for category, failures in (
                        ("prompt_injection", 4),
                        ("jailbreak", 6),
                        ("data_leakage", 0),
                        ("counterfactual", 2),
                    )
                ),
                EvaluationInput(
                    id="ev-canary",
                    kind=EvaluationKind.MEMORISATION,
                    method=MemorisationMethod.CANARY,
                    records_tested=200,
                    records_elicited=0,
                    measured_at=datetime(2026, 11, 20, tzinfo=UTC),
                    recorded_by=_EVALUATOR,
                ),
            ],
            audits=[
                AuditInput(
                    id="au-1",
                    kind=AuditKind.FAIRNESS,
                    finished_at=datetime(2026, 11, 1, tzinfo=UTC),
                    adverse_impact_ratio=0.86,
                    equalized_odds_difference=0.04,
                    requested_by="rita",
                    predicted_by_artifact=True,
                ),
                AuditInput(
                    id="au-2",
                    kind=AuditKind.EXPLAINABILITY,
                    finished_at=datetime(2026, 11, 2, tzinfo=UTC),
                    principal_reasons_available=True,
                    requested_by="rita",
                ),
            ],
            approvals=[
                ApprovalInput(
                    role=RoleName.COMPLIANCE_OFFICER, user="carla", decision=VoteDecision.APPROVE
                ),
                ApprovalInput(role=RoleName.MODEL_RISK, user="lena", decision=VoteDecision.APPROVE),
            ],
            deployment=DeploymentInput(
                id="dep-3", environment="production", access_logging=True, monitoring=True
            ),
            now=_NOW,
        ),
    }
