"""What the portal's audit pages list: a page of audit runs, every audit schedule, the
names of the models they are about, and what the scheduler ran lately.

Read here, not in the views, and without silent caps: every schedule is listed and
every model the page mentions is named, however many models the registry holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models.evidence import AuditRun, JobRun
from app.models.schedules import AuditSchedule
from app.registry.connections import model_names
from app.registry.records import Page, list_records

__all__ = ["AuditListing", "audit_listing", "recent_job_runs"]


@dataclass(frozen=True)
class AuditListing:
    """One page of audit runs, every schedule, and ``name version`` of their models by id."""

    page: Page[AuditRun]
    schedules: list[AuditSchedule]
    names: dict[int, str]


def audit_listing(
    *, session: Session, kind: str | None, model_version_id: int | None, after: int | None
) -> AuditListing:
    """Audit runs after the ``after`` cursor, filtered by kind and model version, with
    every schedule and the names of the models either mentions."""
    page = list_records(
        session=session,
        model=AuditRun,
        filters={"kind": kind, "model_version_id": model_version_id},
        after=after,
    )
    schedules = list(session.exec(select(AuditSchedule).order_by(col(AuditSchedule.id))).all())
    model_ids = {a.model_version_id for a in page.items} | {s.model_version_id for s in schedules}
    return AuditListing(
        page=page, schedules=schedules, names=model_names(session=session, model_ids=model_ids)
    )


def recent_job_runs(*, session: Session, job_id: str | None, limit: int) -> list[JobRun]:
    """The ``limit`` newest runs of the scheduler's jobs (of ``job_id`` only, when given)."""
    query = select(JobRun).order_by(col(JobRun.id).desc()).limit(limit)
    if job_id:
        query = query.where(JobRun.job_id == job_id)
    return list(session.exec(query).all())
