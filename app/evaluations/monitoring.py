"""Production monitoring of deployments: the audit baseline, batches from the serving
side with their drift, incidents, and the policy's verdict on them.

After each batch and each incident change the ``production_promotion`` gate is asked
again about the deployment (the standing question: may it be in production?). The
policy's monitoring controls decide: ``COMMON-MONITORING`` failing marks the deployment
``needs_review``; ``COMMON-MONITORING-SUSPEND`` failing moves a production deployment
to ``suspended``. Both are ledgered and sent to webhook subscribers. An engine failure
marks the deployment for review (fail closed) but suspends nothing on its own.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.approvals.webhooks import enqueue_event
from app.errors import ConflictError
from app.evaluations.drift import drift_by_group
from app.evaluations.schemas import BaselineCreate, IncidentCreate, MonitoringBatchCreate
from app.gates.service import promotion_controls
from app.ledger import append_record_event
from app.ledger.free_text import refuse_direct_identifiers
from app.models.base import utc_now
from app.models.deployments import Deployment
from app.models.monitoring import Incident, MonitoringBaseline, MonitoringBatch
from app.models.vocabulary import DeploymentState, IncidentStatus
from app.policy.engine import PolicyEngine
from app.registry.deployments import flag_for_review
from app.registry.errors import RecordNotFoundError
from app.registry.records import (
    create_record,
    get_record,
    records_where,
    transition_record,
    update_record,
)
from app.registry.state_machines import DEPLOYMENT_MACHINE

__all__ = [
    "REVIEW_CONTROL",
    "SUSPEND_CONTROL",
    "batches_of",
    "incidents_of",
    "open_incident",
    "receive_batch",
    "record_baseline",
    "resolve_incident",
    "review_deployment",
]

REVIEW_CONTROL = "COMMON-MONITORING"
SUSPEND_CONTROL = "COMMON-MONITORING-SUSPEND"


def record_baseline(
    *, session: Session, deployment_id: int, data: BaselineCreate, actor: str
) -> MonitoringBaseline:
    """Set (or replace) the score distribution drift is measured against."""
    get_record(session=session, model=Deployment, record_id=deployment_id)
    baseline = session.exec(
        select(MonitoringBaseline).where(MonitoringBaseline.deployment_id == deployment_id)
    ).first()
    if baseline is None:
        return create_record(
            session=session,
            record=MonitoringBaseline(
                deployment_id=deployment_id, created_by=actor, **data.model_dump()
            ),
            actor=actor,
        )
    return update_record(
        session=session,
        record=baseline,
        changes={**data.model_dump(), "created_by": actor, "created_at": utc_now()},
        actor=actor,
    )


def receive_batch(
    *,
    session: Session,
    engine: PolicyEngine,
    deployment_id: int,
    data: MonitoringBatchCreate,
    actor: str,
) -> tuple[MonitoringBatch, dict[str, Any]]:
    """Store a batch with its drift against the baseline, then ask the policy about it."""
    deployment = get_record(session=session, model=Deployment, record_id=deployment_id)
    if deployment.state == DeploymentState.RETIRED:
        raise ConflictError(f"deployment {deployment_id} is retired: it receives no monitoring")
    baseline = session.exec(
        select(MonitoringBaseline).where(MonitoringBaseline.deployment_id == deployment_id)
    ).first()
    drift = (
        drift_by_group(
            baseline_scores=baseline.scores,
            baseline_groups=baseline.groups,
            scores=data.scores,
            groups=data.groups,
        )
        if baseline is not None
        else []
    )
    batch = create_record(
        session=session,
        record=MonitoringBatch(
            deployment_id=deployment_id, drift=drift, received_by=actor, **data.model_dump()
        ),
        actor=actor,
    )
    return batch, review_deployment(
        session=session, engine=engine, deployment=deployment, actor=actor
    )


def open_incident(
    *, session: Session, engine: PolicyEngine, deployment_id: int, data: IncidentCreate, actor: str
) -> tuple[Incident, dict[str, Any]]:
    """Open an incident on a deployment, then ask the policy about the deployment."""
    deployment = get_record(session=session, model=Deployment, record_id=deployment_id)
    refuse_direct_identifiers(field="title", text=data.title)
    refuse_direct_identifiers(field="description", text=data.description)
    incident = create_record(
        session=session,
        record=Incident(deployment_id=deployment_id, opened_by=actor, **data.model_dump()),
        actor=actor,
        action="incident.opened",
    )
    return incident, review_deployment(
        session=session, engine=engine, deployment=deployment, actor=actor
    )


def resolve_incident(
    *, session: Session, incident_id: int, resolution: str, actor: str
) -> Incident:
    """Record how an incident was resolved (a suspended deployment stays suspended)."""
    incident = get_record(session=session, model=Incident, record_id=incident_id)
    if incident.status != IncidentStatus.OPEN:
        raise ConflictError(f"incident {incident_id} is already {incident.status}")
    refuse_direct_identifiers(field="resolution", text=resolution)
    return update_record(
        session=session,
        record=incident,
        changes={
            "status": IncidentStatus.RESOLVED.value,
            "resolution": resolution,
            "resolved_by": actor,
            "resolved_at": utc_now(),
        },
        actor=actor,
        action="incident.resolved",
    )


def _notify(
    session: Session,
    event: str,
    deployment: Deployment,
    decision_id: int | None,
    messages: list[str],
) -> None:
    enqueue_event(
        session=session,
        event=event,
        data={
            "deployment_id": deployment.id,
            "state": deployment.state,
            "policy_decision_id": decision_id,
            "messages": messages,
        },
    )


def review_deployment(
    *, session: Session, engine: PolicyEngine, deployment: Deployment, actor: str
) -> dict[str, Any]:
    """Ask the promotion gate about ``deployment`` and act on its monitoring controls."""
    readings = promotion_controls(
        session=session,
        engine=engine,
        deployment=deployment,
        actor=actor,
        controls=(REVIEW_CONTROL, SUSPEND_CONTROL),
    )
    decision, statuses, messages = readings.decision, readings.statuses, readings.messages
    review = decision.error is not None or "fail" in statuses.values()
    suspend = statuses.get(SUSPEND_CONTROL) == "fail"
    if review and not deployment.needs_review:
        flag_for_review(
            session=session,
            deployment=deployment,
            actor=actor,
            note={"policy_decision_id": decision.id, "messages": messages},
        )
        _notify(session, "deployment.needs_review", deployment, decision.id, messages)
    suspended = False
    if suspend and deployment.state == DeploymentState.PRODUCTION:
        transition_record(
            session=session,
            machine=DEPLOYMENT_MACHINE,
            record_id=deployment.id or 0,
            to=DeploymentState.SUSPENDED.value,
            actor=actor,
            reason=f"policy decision {decision.id}: " + "; ".join(messages),
        )
        suspended = True
        _notify(session, "deployment.suspended", deployment, decision.id, messages)
    append_record_event(
        session=session,
        record=deployment,
        action="deployment.monitoring_reviewed",
        actor=actor,
        payload={
            "policy_decision_id": decision.id,
            "controls": statuses,
            "review": review,
            "suspended": suspended,
        },
    )
    return {
        "policy_decision_id": decision.id,
        "controls": statuses,
        "needs_review": deployment.needs_review,
        "suspended": suspended,
        "state": deployment.state,
        "messages": messages,
    }


def review_psi_bound(engine: PolicyEngine) -> float | None:
    """The population stability index above which the policy asks for review.

    Read from the policy data the engine decides with (overrides included), so the
    portal's reference line is the bound the gate applies; None when the data has none.
    """
    thresholds = engine.bundle.data.get("gatehouse", {}).get("thresholds", {})
    bound = thresholds.get("monitoring", {}).get("review", {}).get("max_psi")
    return float(bound) if isinstance(bound, int | float) else None


def batches_of(*, session: Session, deployment_id: int, limit: int = 200) -> list[MonitoringBatch]:
    """The deployment's latest batches, oldest first."""
    rows = session.exec(
        select(MonitoringBatch)
        .where(MonitoringBatch.deployment_id == deployment_id)
        .order_by(col(MonitoringBatch.id).desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def incidents_of(*, session: Session, deployment_id: int) -> list[Incident]:
    """The deployment's incidents, oldest first."""
    return records_where(session=session, model=Incident, deployment_id=deployment_id)


def baseline_of(*, session: Session, deployment_id: int) -> MonitoringBaseline:
    """The deployment's baseline, or a not-found error."""
    baseline = session.exec(
        select(MonitoringBaseline).where(MonitoringBaseline.deployment_id == deployment_id)
    ).first()
    if baseline is None:
        raise RecordNotFoundError("monitoring baseline of deployment", deployment_id)
    return baseline
