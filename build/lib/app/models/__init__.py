"""SQLModel tables, one module per aggregate; importing this registers them all."""

from app.models.datasets import (
    Dataset,
    DatasetFormat,
    DatasetVersion,
    DeidentificationMethod,
    ErasureRequest,
)
from app.models.deployments import Deployment, DeploymentState
from app.models.evidence import AuditRun, JobRun, Report
from app.models.governance import ApprovalRequest, ApprovalVote, PolicyDecision
from app.models.instance import GatehouseInstance
from app.models.ledger import LedgerEvent
from app.models.model_versions import (
    MODEL_CARD_SECTIONS,
    Evaluation,
    ModelCard,
    ModelVersion,
    RiskTier,
)
from app.models.runs import FineTuneRun, RunDataset, RunState
from app.models.schedules import AuditSchedule, SchedulerJob  # noqa: F401
from app.models.users import ApiToken, Role, RoleName, User, UserRole
from app.models.webhooks import WebhookDelivery, WebhookSubscription  # noqa: F401

__all__ = [
    "MODEL_CARD_SECTIONS",
    "ApiToken",
    "ApprovalRequest",
    "ApprovalVote",
    "AuditRun",
    "Dataset",
    "DatasetFormat",
    "DatasetVersion",
    "DeidentificationMethod",
    "Deployment",
    "DeploymentState",
    "ErasureRequest",
    "Evaluation",
    "FineTuneRun",
    "GatehouseInstance",
    "JobRun",
    "LedgerEvent",
    "ModelCard",
    "ModelVersion",
    "PolicyDecision",
    "Report",
    "RiskTier",
    "Role",
    "RoleName",
    "RunDataset",
    "RunState",
    "User",
    "UserRole",
]
