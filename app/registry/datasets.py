"""Dataset and dataset-version services."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from app.errors import ConflictError, PermissionDeniedError, ValidationError
from app.ledger.free_text import refuse_direct_identifiers
from app.models.base import utc_now
from app.models.datasets import CLASSIFICATION_FLAGS, Dataset, DatasetVersion, ErasureRequest
from app.models.vocabulary import ClassificationSource
from app.registry.involvement import people_involved
from app.registry.records import create_record, get_record, records_where, update_record
from app.registry.schemas import DatasetCreate, DatasetVersionMetadata, DatasetVersionRegister


def create_dataset(*, session: Session, data: DatasetCreate, actor: str) -> Dataset:
    """Register a new dataset name; names are unique."""
    existing = session.exec(select(Dataset).where(Dataset.name == data.name)).first()
    if existing is not None:
        raise ValidationError(f"a dataset named '{data.name}' already exists (id {existing.id})")
    return create_record(
        session=session, record=Dataset(**data.model_dump(), created_by=actor), actor=actor
    )


def _next_version_number(session: Session, dataset_id: int) -> int:
    latest = session.exec(
        select(func.max(DatasetVersion.version)).where(DatasetVersion.dataset_id == dataset_id)
    ).one()
    return (latest or 0) + 1


def register_version(
    *,
    session: Session,
    dataset_id: int,
    data: DatasetVersionRegister,
    actor: str,
    validation_report: dict | None = None,
    pii_findings: dict | None = None,
    is_valid: bool = True,
    classification_source: ClassificationSource = ClassificationSource.DECLARED,
    classification_justification: str = "",
) -> DatasetVersion:
    """Add the next immutable version of a dataset, with what is known about its content."""
    get_record(session=session, model=Dataset, record_id=dataset_id)
    declared = data.model_dump(exclude_none=True)
    version = DatasetVersion(
        **declared,
        dataset_id=dataset_id,
        version=_next_version_number(session, dataset_id),
        validation_report=validation_report or {},
        pii_findings=pii_findings or {},
        is_valid=is_valid,
        classification_source=classification_source,
        classification_justification=classification_justification,
        created_by=actor,
    )
    return create_record(
        session=session, record=version, actor=actor, action="dataset_version.registered"
    )


def update_version_metadata(
    *,
    session: Session,
    version_id: int,
    data: DatasetVersionMetadata,
    actor: str,
    justification: str = "",
) -> DatasetVersion:
    """Change a version's references, or classify it (never its content).

    A change to the classification is a human override of the scan and needs a reason;
    the classification given with a reason, changed or not, is then the steward's, and
    the gate believes its "no" answers. It is ledgered as ``dataset_version.classified``:
    a judgement about the data, like an attestation, so it does not make the steward one
    of the people who built it (``app.registry.involvement``).
    """
    version = get_record(session=session, model=DatasetVersion, record_id=version_id)
    changes = data.model_dump(exclude_none=True)
    classification = {flag: changes.pop(flag) for flag in CLASSIFICATION_FLAGS & changes.keys()}
    if not justification.strip() and any(
        value != getattr(version, flag) for flag, value in classification.items()
    ):
        raise ValidationError("changing the data classification needs a justification")
    if changes:
        version = update_record(session=session, record=version, changes=changes, actor=actor)
    if classification and justification.strip():
        refuse_direct_identifiers(field="justification", text=justification)
        if classification.keys() != CLASSIFICATION_FLAGS:
            raise ValidationError(
                "a classification states all of "
                + ", ".join(sorted(CLASSIFICATION_FLAGS))
                + ": the steward's answer replaces the registrant's and the scan's"
            )
        involved = people_involved(
            session=session, subject_type="dataset_version", subject_id=version_id
        )
        if actor in involved:
            raise PermissionDeniedError(
                f"{actor} may not classify dataset version {version_id}: they "
                f"{involved[actor]} (separation of duties: whoever classifies data must be "
                "independent of it)"
            )
        version = update_record(
            session=session,
            record=version,
            changes={
                **classification,
                "classification_source": ClassificationSource.MANUAL,
                "classification_justification": justification.strip(),
            },
            actor=actor,
            action="dataset_version.classified",
        )
    return version


def record_erasure_request(
    *, session: Session, version_id: int, reference: str, actor: str
) -> ErasureRequest:
    """Record a data subject's erasure request (GDPR Art. 17) against a version."""
    get_record(session=session, model=DatasetVersion, record_id=version_id)
    refuse_direct_identifiers(field="reference", text=reference)
    return create_record(
        session=session,
        record=ErasureRequest(dataset_version_id=version_id, reference=reference),
        actor=actor,
    )


def resolve_erasure_request(
    *, session: Session, request_id: int, resolution: str, actor: str
) -> ErasureRequest:
    """Close an erasure request with what was done (ledgered); a second close is a conflict."""
    request = get_record(session=session, model=ErasureRequest, record_id=request_id)
    if request.resolved_at is not None:
        raise ConflictError(f"erasure request {request_id} is already resolved")
    if not resolution.strip():
        raise ValidationError("say what was done to resolve the erasure request")
    refuse_direct_identifiers(field="resolution", text=resolution)
    return update_record(
        session=session,
        record=request,
        changes={"resolved_at": utc_now(), "resolution": resolution},
        actor=actor,
        action="erasure_request.resolved",
    )


def versions_of(*, session: Session, dataset_id: int) -> list[DatasetVersion]:
    """Every version of a dataset, oldest first."""
    return records_where(session=session, model=DatasetVersion, dataset_id=dataset_id)


def open_erasure_requests(*, session: Session, version_id: int) -> list[ErasureRequest]:
    """Erasure requests against a version that are not resolved yet."""
    return list(
        session.exec(
            select(ErasureRequest)
            .where(ErasureRequest.dataset_version_id == version_id)
            .where(col(ErasureRequest.resolved_at).is_(None))
        ).all()
    )
