"""Recurring audits: record, change and delete schedules (the scheduler's leader runs them)."""

from __future__ import annotations

from typing import Any

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from app.audits.parameters import AuditKind, AuditParameters, check_requirements
from app.errors import ConflictError, ValidationError
from app.ledger import append_record_event
from app.models.base import RowId
from app.models.datasets import DatasetVersion
from app.models.model_versions import ModelVersion
from app.models.schedules import AuditSchedule
from app.registry.records import create_record, get_record, update_record

__all__ = [
    "AuditScheduleCreate",
    "AuditScheduleUpdate",
    "create_schedule",
    "cron_trigger",
    "delete_schedule",
    "update_schedule",
    "upsert_schedule",
]


class AuditScheduleCreate(BaseModel):
    """A recurring audit: what to audit, how, and when (five-field cron, UTC)."""

    model_config = ConfigDict(extra="forbid")

    model_version_id: RowId
    dataset_version_id: RowId
    kind: AuditKind
    cron: str = Field(min_length=9, max_length=100)
    parameters: AuditParameters = Field(default_factory=AuditParameters)
    enabled: bool = True


class AuditScheduleUpdate(BaseModel):
    """Changes to a schedule; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    cron: str | None = Field(default=None, min_length=9, max_length=100)
    parameters: AuditParameters | None = None
    enabled: bool | None = None


#: What a schedule audits and when: all its deletion leaves in the ledger.
_WHAT_AND_WHEN = {"model_version_id", "dataset_version_id", "kind", "cron"}


def cron_trigger(cron: str) -> CronTrigger:
    """The APScheduler trigger of a five-field crontab expression, in UTC."""
    try:
        return CronTrigger.from_crontab(cron, timezone="UTC")
    except ValueError as error:
        raise ValidationError(f"invalid cron expression '{cron}': {error}") from None


def create_schedule(*, session: Session, data: AuditScheduleCreate, actor: str) -> AuditSchedule:
    """Record a schedule; the scheduler's leader picks it up at its next sync."""
    cron_trigger(data.cron)
    check_requirements(data.kind, data.parameters)
    get_record(session=session, model=ModelVersion, record_id=data.model_version_id)
    get_record(session=session, model=DatasetVersion, record_id=data.dataset_version_id)
    existing = _schedule_for(session, data.model_version_id, data.dataset_version_id, data.kind)
    if existing is not None:
        raise ConflictError(
            f"schedule {existing.id} already audits this model on this dataset ({data.kind})"
        )
    return create_record(
        session=session,
        record=AuditSchedule(
            model_version_id=data.model_version_id,
            dataset_version_id=data.dataset_version_id,
            kind=data.kind,
            cron=data.cron,
            parameters=data.parameters.model_dump(mode="json"),
            enabled=data.enabled,
            created_by=actor,
        ),
        actor=actor,
    )


def _schedule_for(
    session: Session, model_version_id: int, dataset_version_id: int, kind: AuditKind
) -> AuditSchedule | None:
    return session.exec(
        select(AuditSchedule)
        .where(AuditSchedule.model_version_id == model_version_id)
        .where(AuditSchedule.dataset_version_id == dataset_version_id)
        .where(AuditSchedule.kind == kind)
    ).first()


def update_schedule(
    *, session: Session, schedule_id: int, data: AuditScheduleUpdate, actor: str
) -> AuditSchedule:
    """Change a schedule's cron, parameters or enabled flag (ledgered)."""
    schedule = get_record(session=session, model=AuditSchedule, record_id=schedule_id)
    changes: dict[str, Any] = {}
    if data.cron is not None:
        cron_trigger(data.cron)
        changes["cron"] = data.cron
    if data.parameters is not None:
        check_requirements(schedule.kind, data.parameters)
        changes["parameters"] = data.parameters.model_dump(mode="json")
    if data.enabled is not None:
        changes["enabled"] = data.enabled
    return update_record(session=session, record=schedule, changes=changes, actor=actor)


def upsert_schedule(*, session: Session, data: AuditScheduleCreate, actor: str) -> AuditSchedule:
    """Create the schedule, or update the one for the same model, dataset and kind (CLI)."""
    existing = _schedule_for(session, data.model_version_id, data.dataset_version_id, data.kind)
    if existing is None:
        return create_schedule(session=session, data=data, actor=actor)
    return update_schedule(
        session=session,
        schedule_id=existing.id or 0,
        data=AuditScheduleUpdate(cron=data.cron, parameters=data.parameters, enabled=data.enabled),
        actor=actor,
    )


def delete_schedule(*, session: Session, schedule_id: int, actor: str) -> None:
    """Remove a schedule (its past runs stay); the leader drops its job at the next sync."""
    schedule = get_record(session=session, model=AuditSchedule, record_id=schedule_id)
    session.delete(schedule)
    append_record_event(
        session=session,
        record=schedule,
        action="audit_schedule.deleted",
        actor=actor,
        payload=schedule.model_dump(include=_WHAT_AND_WHEN),
    )
