"""Fine-tune run services (a run moves through ``records.transition_record``)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.errors import ConflictError, ValidationError
from app.ledger import append_record_event
from app.models.datasets import DatasetVersion
from app.models.runs import FineTuneRun, RunDataset
from app.models.vocabulary import PLATFORM_VENDORS, Platform, RunState
from app.registry.ownership import ensure_owner_or_admin, keep_everyone_named
from app.registry.records import create_record, get_record, update_record
from app.registry.schemas import RunCreate, RunUpdate


def create_run(*, session: Session, data: RunCreate, actor: str) -> FineTuneRun:
    """A new draft run requested by ``actor`` on the given dataset versions."""
    if session.exec(select(FineTuneRun).where(FineTuneRun.name == data.name)).first() is not None:
        raise ValidationError(f"a run named '{data.name}' already exists")
    fields = data.model_dump(exclude={"dataset_version_ids"})
    _refuse_another_vendor(data.platform, data.vendor)
    if actor not in fields["authors"]:
        fields["authors"] = [actor, *fields["authors"]]
    run = create_record(session=session, record=FineTuneRun(**fields, requester=actor), actor=actor)
    for version_id in data.dataset_version_ids:
        attach_dataset_version(
            session=session, run_id=run.id or 0, version_id=version_id, actor=actor
        )
    return run


def _refuse_another_vendor(platform: str, vendor: str | None) -> None:
    """A vendor platform trains at that vendor: another vendor's name on the run would
    let the gate look for the wrong business associate agreement."""
    own = PLATFORM_VENDORS.get(Platform(platform))
    if own is not None and vendor is not None and vendor.strip().lower() != own:
        raise ValidationError(
            f"platform {platform} fine-tunes at {own}: the vendor cannot be '{vendor}'"
        )


def ensure_may_change(*, session: Session, run: FineTuneRun, actor: str) -> None:
    """Only the run's requester, its authors or an admin edit, re-open or cancel it."""
    ensure_owner_or_admin(
        session=session,
        actor=actor,
        owners={run.requester, *run.authors},
        subject=f"run {run.id}",
        owned_by=f"its requester ({run.requester}), its authors",
    )


def attach_dataset_version(
    *, session: Session, run_id: int, version_id: int, actor: str
) -> RunDataset:
    """Add a dataset version to a draft run."""
    run = get_record(session=session, model=FineTuneRun, record_id=run_id)
    ensure_may_change(session=session, run=run, actor=actor)
    get_record(session=session, model=DatasetVersion, record_id=version_id)
    if run.state != RunState.DRAFT:
        raise ConflictError(
            f"datasets can be attached only to a draft run; run {run_id} is '{run.state}'"
        )
    if session.get(RunDataset, (run_id, version_id)) is not None:
        raise ValidationError(f"dataset version {version_id} is already attached to run {run_id}")
    link = RunDataset(run_id=run_id, dataset_version_id=version_id)
    session.add(link)
    append_record_event(
        session=session,
        record=run,
        action="run.dataset_attached",
        actor=actor,
        payload={"dataset_version_id": version_id},
    )
    return link


def update_run(*, session: Session, run_id: int, data: RunUpdate, actor: str) -> FineTuneRun:
    """Change a draft run; submitted runs are frozen evidence."""
    run = get_record(session=session, model=FineTuneRun, record_id=run_id)
    ensure_may_change(session=session, run=run, actor=actor)
    if run.state != RunState.DRAFT:
        raise ConflictError(f"only a draft run can be edited; run {run_id} is '{run.state}'")
    keep_everyone_named(
        named=run.authors, given=data.authors, field="the authors", subject=f"run {run_id}"
    )
    return update_record(
        session=session, record=run, changes=data.model_dump(exclude_none=True), actor=actor
    )


def run_dataset_versions(*, session: Session, run_id: int) -> list[DatasetVersion]:
    """The dataset versions a run trains on, by id."""
    return list(
        session.exec(
            select(DatasetVersion)
            .join(RunDataset, RunDataset.dataset_version_id == DatasetVersion.id)  # type: ignore[arg-type]
            .where(RunDataset.run_id == run_id)
            .order_by(DatasetVersion.id)  # type: ignore[arg-type]
        ).all()
    )
