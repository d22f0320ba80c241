"""SQLModel tables, one module per aggregate; importing this registers them all."""

from app.models.attestations import Attestation
from app.models.datasets import (
    Dataset,
    DatasetFormat,
    DatasetVersion,
    DeidentificationMethod,
    ErasureRequest,
)
from app.models.deployments import Deployment, DeploymentState
from app.models.evaluation_evidence import (
    EvidenceImport,
    FindingSeverity,
    FindingStatus,
    MemorisationTest,
    MetricResult,
    RedTeamCampaign,
    RedTeamFinding,
)
from app.models.evidence import AuditRun, JobRun, Report
from app.models.governance import ApprovalRequest, ApprovalVote, PolicyDecision
from app.models.instance import GatehouseInstance
from app.models.ledger import LedgerCheckpoint, LedgerEvent, LedgerVerification
from app.models.model_versions import (
    MODEL_CARD_SECTIONS,
    Evaluation,
    ModelCard,
    ModelVersion,
    RiskTier,
)
from app.models.monitoring import Incident, IncidentStatus, MonitoringBaseline, MonitoringBatch
from app.models.runs import FineTuneRun, RunDataset, RunState
from app.models.schedules import AuditSchedule, SchedulerJob  # noqa: F401
from app.models.users import ApiToken, Role, RoleName, User, UserRole
from app.models.webhooks import WebhookDelivery, WebhookSubscription  # noqa: F401

__all__ = [
    "MODEL_CARD_SECTIONS",
    "ApiToken",
    "ApprovalRequest",
    "ApprovalVote",
    "Attestation",
    "AuditRun",
    "Dataset",
    "DatasetFormat",
    "DatasetVersion",
    "DeidentificationMethod",
    "Deployment",
    "DeploymentState",
    "ErasureRequest",
    "Evaluation",
    "EvidenceImport",
    "FindingSeverity",
    "FindingStatus",
    "FineTuneRun",
    "GatehouseInstance",
    "Incident",
    "IncidentStatus",
    "JobRun",
    "LedgerCheckpoint",
    "LedgerEvent",
    "LedgerVerification",
    "MemorisationTest",
    "MetricResult",
    "ModelCard",
    "ModelVersion",
    "MonitoringBaseline",
    "MonitoringBatch",
    "PolicyDecision",
    "RedTeamCampaign",
    "RedTeamFinding",
    "Report",
    "RiskTier",
    "Role",
    "RoleName",
    "RunDataset",
    "RunState",
    "User",
    "UserRole",
]
