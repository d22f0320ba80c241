"""SQLModel tables, one module per aggregate, and the vocabularies they share.

Importing this package loads nothing heavy: ``app.models.vocabulary`` must stay
importable by the pipeline's CLI without the database layer. ``app.models.tables``
registers every table on the metadata (the database layer and Alembic import it); the
names below are read from their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module under ``app.models`` that defines it.
_HOMES: dict[str, str] = {
    "Attestation": "attestations",
    "Dataset": "datasets",
    "DatasetFormat": "datasets",
    "DatasetVersion": "datasets",
    "DeidentificationMethod": "vocabulary",
    "ErasureRequest": "datasets",
    "Deployment": "deployments",
    "DeploymentState": "vocabulary",
    "EvidenceImport": "evaluation_evidence",
    "FindingSeverity": "vocabulary",
    "FindingStatus": "vocabulary",
    "MemorisationTest": "evaluation_evidence",
    "MetricResult": "evaluation_evidence",
    "RedTeamCampaign": "evaluation_evidence",
    "RedTeamFinding": "evaluation_evidence",
    "AuditRun": "evidence",
    "JobRun": "evidence",
    "Report": "evidence",
    "ApprovalRequest": "governance",
    "ApprovalVote": "governance",
    "PolicyDecision": "governance",
    "PolicyDecisionInput": "governance",
    "GatehouseInstance": "instance",
    "LedgerCheckpoint": "ledger",
    "LedgerEvent": "ledger",
    "LedgerVerification": "ledger",
    "MODEL_CARD_SECTIONS": "model_versions",
    "Evaluation": "model_versions",
    "ModelCard": "model_versions",
    "ModelVersion": "model_versions",
    "RiskTier": "vocabulary",
    "Incident": "monitoring",
    "IncidentStatus": "vocabulary",
    "MonitoringBaseline": "monitoring",
    "MonitoringBatch": "monitoring",
    "FineTuneRun": "runs",
    "RunDataset": "runs",
    "RunState": "vocabulary",
    "ApiToken": "users",
    "Role": "users",
    "RoleName": "users",
    "User": "users",
    "UserRole": "users",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    """``from app.models import Dataset`` still works, loading only that module."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'app.models' has no attribute {name!r}")
    return getattr(importlib.import_module(f"app.models.{home}"), name)
