"""The closed vocabularies of Gatehouse, one ``StrEnum`` each, declared once.

Table columns, API request models, the policy input document, the ledger and the CLI's
choices all take their values from here, so a gate name or an approval status is
spelled in one place. A ``StrEnum`` member *is* its string, so stored values, JSON
bodies and the policy input stay byte-identical to the bare strings they replace.

This module imports nothing but :mod:`enum`: the pipeline's CLI offers these choices
without loading the database layer (``tests/foundation/test_cli.py``).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "GATE_LEDGER_SUBJECTS",
    "GATE_SUBJECTS",
    "PLATFORM_VENDORS",
    "ApprovalStatus",
    "Art9Condition",
    "AttestedSubject",
    "AuditKind",
    "AuditState",
    "ClassificationSource",
    "DecisionOutcome",
    "DeidentificationMethod",
    "DeploymentState",
    "Domain",
    "EvaluationKind",
    "FindingSeverity",
    "FindingStatus",
    "GateName",
    "GateSubject",
    "Hosting",
    "IncidentStatus",
    "LawfulBasis",
    "LedgerSubject",
    "MemorisationMethod",
    "Platform",
    "RiskTier",
    "RunState",
    "TransferMechanism",
    "VoteDecision",
    "ledger_subject_spellings",
    "normalise_ledger_subject",
]


class GateName(StrEnum):
    """The policy gates a subject passes on its way to training and production."""

    TRAINING_LAUNCH = "training_launch"
    PRODUCTION_PROMOTION = "production_promotion"
    DATASET_USE = "dataset_use"


class DecisionOutcome(StrEnum):
    """What a gate decision came to. Indeterminate is a deny too (fail closed), kept apart
    because nobody decided: the policy engine gave no answer (it failed, hung, was
    unreachable or answered something that is not a decision), so asking again later may
    give one, whereas a deny is the policy's answer about the evidence."""

    ALLOWED = "allowed"
    DENIED = "denied"
    INDETERMINATE = "indeterminate"


class GateSubject(StrEnum):
    """What a gate is asked about (``subject.kind`` in the policy input)."""

    RUN = "run"
    DEPLOYMENT = "deployment"
    DATASET_VERSION = "dataset_version"


#: The subject kind each gate is asked about.
GATE_SUBJECTS: dict[GateName, GateSubject] = {
    GateName.TRAINING_LAUNCH: GateSubject.RUN,
    GateName.PRODUCTION_PROMOTION: GateSubject.DEPLOYMENT,
    GateName.DATASET_USE: GateSubject.DATASET_VERSION,
}


class RunState(StrEnum):
    """States of a fine-tune run; transitions live in ``app.registry.state_machines``."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    LAUNCHING = "launching"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DeploymentState(StrEnum):
    """States of a deployment; transitions live in ``app.registry.state_machines``."""

    STAGING = "staging"
    PROMOTION_REQUESTED = "promotion_requested"
    PRODUCTION = "production"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class ApprovalStatus(StrEnum):
    """States of an approval request; only ``pending`` takes votes."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    VOID = "void"


class VoteDecision(StrEnum):
    """One person's answer on an approval request."""

    APPROVE = "approve"
    REJECT = "reject"


class FindingSeverity(StrEnum):
    """How bad a red-team finding or an incident is; the policy decides which block."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class FindingStatus(StrEnum):
    """States of a red-team finding; transitions live in ``app.evaluations.findings``."""

    OPEN = "open"
    MITIGATED = "mitigated"
    ACCEPTED = "accepted"
    CLOSED = "closed"


class IncidentStatus(StrEnum):
    """An incident is open until someone records how it was resolved."""

    OPEN = "open"
    RESOLVED = "resolved"


class AuditKind(StrEnum):
    """The audits Gatehouse runs on a model version."""

    FAIRNESS = "fairness"
    EXPLAINABILITY = "explainability"


class AuditState(StrEnum):
    """States of an audit run; only a ``succeeded`` audit reaches the gate."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class EvaluationKind(StrEnum):
    """What an evaluation of a model version measured (the policy reads each its own way)."""

    BENCHMARK = "benchmark"
    RED_TEAM = "red_team"
    #: Only imported: how many training records the model gives back.
    MEMORISATION = "memorisation"


class MemorisationMethod(StrEnum):
    """How a memorisation test tried to elicit training records."""

    #: Records planted in the training data on purpose.
    CANARY = "canary"
    #: Records sampled from the training data.
    EXTRACTION = "extraction"


class ClassificationSource(StrEnum):
    """Who set a dataset version's classification flags; the gate believes a "no" only
    from the scan (for what it detects) or a data steward, never from the registrant."""

    #: The registrant's own declaration (a "no" reaches the policy as unknown).
    DECLARED = "declared"
    #: The PII/PHI scan of the stored file (declared "yes" answers kept).
    SCAN = "scan"
    #: A data steward confirmed or overrode it, with a justification.
    MANUAL = "manual"


class DeidentificationMethod(StrEnum):
    """How identifiers were removed (HIPAA 164.514) or masked (GDPR pseudonymisation)."""

    NONE = "none"
    SAFE_HARBOR = "safe_harbor"
    EXPERT_DETERMINATION = "expert_determination"
    PSEUDONYMISED = "pseudonymised"


class LawfulBasis(StrEnum):
    """GDPR Art. 6(1) (a)-(f): the lawful basis of processing personal data."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


class Art9Condition(StrEnum):
    """GDPR Art. 9(2) (a)-(j): the condition that lifts the ban on special categories."""

    A = "a"
    B = "b"
    C = "c"
    D = "d"
    E = "e"
    F = "f"
    G = "g"
    H = "h"
    I = "i"  # noqa: E741 (the letter of Art. 9(2)(i))
    J = "j"


class TransferMechanism(StrEnum):
    """GDPR Chapter V: how personal data may leave the EEA."""

    ADEQUACY = "adequacy"
    SCC = "scc"
    BCR = "bcr"
    NONE = "none"


class Platform(StrEnum):
    """Where a model is fine-tuned."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GOOGLE = "google"
    META = "meta"
    SELF_HOSTED = "self_hosted"


#: The vendor a platform's fine-tuning runs at (the launcher sends the job there); a
#: self-hosted or Meta-model run names its own vendor, if any.
PLATFORM_VENDORS: dict[Platform, str] = {
    Platform.OPENAI: "openai",
    Platform.ANTHROPIC: "anthropic",
    Platform.GOOGLE: "google",
}


class Hosting(StrEnum):
    """Vendor-hosted fine-tuning or our own GPUs."""

    EXTERNAL = "external"
    INTERNAL = "internal"


class Domain(StrEnum):
    """The business domain of a dataset or model (decides which controls apply)."""

    HEALTHCARE = "healthcare"
    CREDIT = "credit"
    FINANCIAL_RISK = "financial_risk"
    LEGAL = "legal"
    GENERAL = "general"


class RiskTier(StrEnum):
    """Model risk tier as the bank's model risk policy assigns it (SR 26-2 / OCC 2026-13)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class LedgerSubject(StrEnum):
    """What a ledger event is about: a registry table's name, a reporting period, or the
    upload store.

    Record events take the table name (``app.registry.records.kind_of``); a test holds
    every table name to a member, so a new table is a new member.
    """

    API_TOKEN = "api_token"
    APPROVAL_REQUEST = "approval_request"
    APPROVAL_VOTE = "approval_vote"
    ATTESTATION = "attestation"
    AUDIT_RUN = "audit_run"
    AUDIT_SCHEDULE = "audit_schedule"
    DATASET = "dataset"
    DATASET_VERSION = "dataset_version"
    DEPLOYMENT = "deployment"
    ERASURE_REQUEST = "erasure_request"
    EVALUATION = "evaluation"
    EVIDENCE_IMPORT = "evidence_import"
    FINETUNE_RUN = "finetune_run"
    GATEHOUSE_INSTANCE = "gatehouse_instance"
    IDEMPOTENT_RESPONSE = "idempotent_response"
    INCIDENT = "incident"
    JOB_RUN = "job_run"
    LEDGER_CHECKPOINT = "ledger_checkpoint"
    LEDGER_EVENT = "ledger_event"
    LEDGER_VERIFICATION = "ledger_verification"
    MEMORISATION_TEST = "memorisation_test"
    METRIC_RESULT = "metric_result"
    MODEL_CARD = "model_card"
    MODEL_VERSION = "model_version"
    MONITORING_BASELINE = "monitoring_baseline"
    MONITORING_BATCH = "monitoring_batch"
    PERIOD = "period"
    POLICY_DECISION = "policy_decision"
    POLICY_DECISION_INPUT = "policy_decision_input"
    RED_TEAM_CAMPAIGN = "red_team_campaign"
    RED_TEAM_FINDING = "red_team_finding"
    REPORT = "report"
    ROLE = "role"
    RUN_DATASET = "run_dataset"
    #: The upload store (a sweep of files no row references).
    STORAGE = "storage"
    USER_ACCOUNT = "user_account"
    USER_ROLE = "user_role"
    WEBHOOK_DELIVERY = "webhook_delivery"
    WEBHOOK_SUBSCRIPTION = "webhook_subscription"


class AttestedSubject(StrEnum):
    """What governance facts are attested about (spelled as their ledger subjects)."""

    FINETUNE_RUN = LedgerSubject.FINETUNE_RUN.value
    MODEL_VERSION = LedgerSubject.MODEL_VERSION.value
    DATASET_VERSION = LedgerSubject.DATASET_VERSION.value
    DEPLOYMENT = LedgerSubject.DEPLOYMENT.value


#: The ledger subject of each gate's subject kind (gate events are about these records).
GATE_LEDGER_SUBJECTS: dict[GateSubject, LedgerSubject] = {
    GateSubject.RUN: LedgerSubject.FINETUNE_RUN,
    GateSubject.DEPLOYMENT: LedgerSubject.DEPLOYMENT,
    GateSubject.DATASET_VERSION: LedgerSubject.DATASET_VERSION,
}

#: Spellings older events carry. The chain cannot be rewritten (each hash covers the
#: subject type), so readers map them on read: gate events before this vocabulary
#: recorded a fine-tune run as ``run``.
_LEGACY_LEDGER_SUBJECTS: dict[str, LedgerSubject] = {"run": LedgerSubject.FINETUNE_RUN}


def normalise_ledger_subject(spelling: str) -> LedgerSubject:
    """The subject type a stored (or asked-for) spelling means; ``ValueError`` if none."""
    legacy = _LEGACY_LEDGER_SUBJECTS.get(spelling)
    return legacy if legacy is not None else LedgerSubject(spelling)


def ledger_subject_spellings(subject: LedgerSubject) -> tuple[str, ...]:
    """Every spelling stored events use for ``subject``, so a filter finds old events too."""
    return (
        subject.value,
        *sorted(old for old, new in _LEGACY_LEDGER_SUBJECTS.items() if new is subject),
    )
