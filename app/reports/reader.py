"""What every report kind reads besides its subject, and the labels reports print.

:class:`Reader` holds the session, the policy thresholds and the control catalogue (read
once per report) and a cache of people's display names; the functions below turn
registry rows into the short labels every kind prints the same way.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from app.config import Settings
from app.models.datasets import Dataset, DatasetVersion
from app.models.deployments import Deployment
from app.models.model_versions import ModelVersion
from app.models.runs import FineTuneRun
from app.models.users import User
from app.models.vocabulary import DeploymentState
from app.policy.bundle import PolicyBundle, load_bundle
from app.policy.catalogue import Control, load_catalogue
from app.reports.contexts import (
    DatasetRef,
    ModelSummary,
    ReportMeta,
)

_LAWFUL_BASES = {
    "consent": "Art. 6(1)(a) consent",
    "contract": "Art. 6(1)(b) contract",
    "legal_obligation": "Art. 6(1)(c) legal obligation",
    "vital_interests": "Art. 6(1)(d) vital interests",
    "public_task": "Art. 6(1)(e) public task",
    "legitimate_interests": "Art. 6(1)(f) legitimate interests",
}
DEIDENTIFICATION = {
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
_STATE_ORDER = (
    DeploymentState.PRODUCTION,
    DeploymentState.SUSPENDED,
    DeploymentState.PROMOTION_REQUESTED,
    DeploymentState.STAGING,
    DeploymentState.RETIRED,
)
SEVERITIES = ("critical", "high", "medium", "low", "info")


@dataclass
class Reader:
    """What every builder reads besides its subject: the session, policy data, names."""

    session: Session
    settings: Settings
    thresholds: Mapping[str, Any]
    catalogue: Mapping[str, Control]
    bundle: PolicyBundle
    """The policy bundle as this installation loads it (modules and merged data)."""
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


def load_reader(*, session: Session, settings: Settings) -> Reader:
    """Load the policy thresholds and control catalogue once per report."""
    bundle = load_bundle(
        policy_dir=settings.policy_dir, extra_data_path=settings.policy_data_override
    )
    catalogue = {control.id: control for control in load_catalogue(policy_dir=settings.policy_dir)}
    return Reader(
        session=session,
        settings=settings,
        thresholds=bundle.data.get("gatehouse", {}).get("thresholds", {}),
        catalogue=catalogue,
        bundle=bundle,
    )


# --- labels ---------------------------------------------------------------------------


def number(value: Any) -> float:
    """A stored figure as a float; missing or non-numeric values become NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def severity(value: str | None) -> str:
    """A stored severity, or ``info`` when it is not one of ours."""
    return value if value in SEVERITIES else "info"


def classification(version: DatasetVersion) -> str:
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
        label += f" ({DEIDENTIFICATION.get(method, method)})"
    return label


def lawful_basis(value: str | None) -> str:
    """The GDPR Art. 6 basis with its paragraph."""
    if not value:
        return "not recorded"
    return _LAWFUL_BASES.get(value, value)


def dataset_name(reader: Reader, version: DatasetVersion) -> str:
    """The name of the dataset a version belongs to."""
    dataset = reader.session.get(Dataset, version.dataset_id)
    return dataset.name if dataset is not None else f"dataset {version.dataset_id}"


def dataset_label(reader: Reader, version: DatasetVersion) -> str:
    """``name vN``."""
    return f"{dataset_name(reader, version)} v{version.version}"


def dataset_ref(reader: Reader, version: DatasetVersion) -> DatasetRef:
    """A dataset version as other reports cite it."""
    return {
        "name": dataset_name(reader, version),
        "version": f"v{version.version}",
        "sha256": version.content_sha256,
        "classification": classification(version),
        "row_count": version.row_count,
    }


def model_label(model: ModelVersion) -> str:
    """``name version``."""
    return f"{model.name} {model.version}"


def deployments_of(reader: Reader, model_id: int) -> list[Deployment]:
    """A model version's deployments, oldest first."""
    return list(
        reader.session.exec(
            select(Deployment)
            .where(Deployment.model_version_id == model_id)
            .order_by(col(Deployment.id))
        ).all()
    )


def model_state(deployments: Sequence[Deployment]) -> str:
    """The most significant deployment state, or ``registered`` when never deployed."""
    return most_significant_state(str(deployment.state) for deployment in deployments)


def most_significant_state(states: Iterable[str]) -> str:
    """The most significant of a model's deployment states, ``registered`` for none."""
    present = set(states)
    return next((state for state in _STATE_ORDER if state in present), "registered")


def model_summary(reader: Reader, model: ModelVersion) -> ModelSummary:
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
        "state": model_state(deployments_of(reader, model.id or 0)),
        "created_at": model.created_at,
    }


def meta(reader: Reader, *, subject: str, actor: str, generated_at: dt.datetime) -> ReportMeta:
    """The report header."""
    return {
        "organisation": reader.settings.organisation,
        "subject": subject,
        "generated_at": generated_at,
        "generated_by": reader.person(actor),
    }
