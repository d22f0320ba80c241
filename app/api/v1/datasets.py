"""Datasets and dataset versions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.api.v1.common import Answer, ListQuery, list_page, page_of, public, route
from app.api.v1.file_parts import FilePart
from app.api.v1.resources import Resource, command
from app.auth.guard import current_principal
from app.auth.roles import DATA_STEWARDS, READERS, REGISTRARS
from app.models.datasets import (
    Dataset,
    DatasetFormat,
    DatasetPublic,
    DatasetVersion,
    DatasetVersionPublic,
    ErasureRequestPublic,
)
from app.models.vocabulary import Domain
from app.registry import datasets as service
from app.registry.dataset_ingest import ingest_dataset_file, parse_declared_metadata
from app.registry.records import get_record
from app.registry.schemas import DatasetVersionMetadata
from app.storage import stage_stream, stored_suffix

bp = Blueprint("api_datasets", __name__, url_prefix="/api/v1/datasets")


class DatasetListQuery(ListQuery):
    """Filters for datasets."""

    owner: str | None = None
    domain: Domain | None = None


class VersionListQuery(ListQuery):
    """Filters for a dataset's versions."""

    contains_phi: bool | None = None
    contains_pii: bool | None = None
    format: str | None = None


class ClassificationChange(DatasetVersionMetadata):
    """Metadata changes; a classification change needs a justification."""

    justification: str = Field(default="", max_length=2000)


class ErasureRequestCreate(BaseModel):
    """A data subject's erasure request."""

    reference: str = Field(min_length=1, max_length=200)


class ErasureResolution(BaseModel):
    """What was done about an erasure request (e.g. the rows removed and the retrain)."""

    resolution: str = Field(min_length=1, max_length=4000)


class DatasetVersionDetail(DatasetVersionPublic):
    """A version with the erasure requests still open against it."""

    open_erasure_requests: list[ErasureRequestPublic]


class DatasetVersionUploaded(DatasetVersionPublic):
    """A version registered from an upload, with the validation report of the file."""

    validation: dict[str, Any]


class UploadForm(BaseModel):
    """The dataset file and what is declared about it."""

    file: FilePart
    format: DatasetFormat | None = None
    #: JSON object with the declared classification and references.
    metadata: str = "{}"


datasets = Resource(bp, Dataset, "dataset_id", DatasetPublic, REGISTRARS)
datasets.listing(DatasetListQuery, DatasetPublic, "List datasets, filtered by owner or domain.")
datasets.create(service.create_dataset, "Create a dataset.")
datasets.get("One dataset.")


@route(
    bp,
    "GET",
    "/<int:dataset_id>/versions",
    READERS,
    answer=page_of(DatasetVersionPublic),
)
def list_versions(session: Session, dataset_id: int, query: VersionListQuery) -> Answer:
    """A dataset's versions."""
    get_record(session=session, model=Dataset, record_id=dataset_id)
    return list_page(session, DatasetVersion, DatasetVersionPublic, query, dataset_id=dataset_id)


command(
    bp,
    "POST",
    "/<int:dataset_id>/versions",
    REGISTRARS,
    service.register_version,
    answer=DatasetVersionPublic,
    status=201,
    summary="Register a version by reference (storage URI and SHA-256).",
)


@route(
    bp,
    "POST",
    "/<int:dataset_id>/versions/upload",
    REGISTRARS,
    status=201,
    answer=DatasetVersionUploaded,
)
def upload_version(session: Session, dataset_id: int, form: UploadForm) -> Answer:
    """Upload a file (multipart ``file``): stored under its SHA-256, validated, scanned, registered."""
    upload = form.file
    declared = parse_declared_metadata(form.metadata, source="metadata")
    settings = current_app.config["GATEHOUSE"]
    # The session has not begun a transaction yet: staging the file holds no lock. The
    # file reaches its content address only if the version commits.
    stored = stage_stream(
        upload.stream,
        root=settings.storage_dir / "datasets",
        max_bytes=settings.max_upload_bytes,
        suffix=stored_suffix(upload.filename or ""),
    )
    version, report = ingest_dataset_file(
        session=session,
        dataset_id=dataset_id,
        stored=stored,
        declared=declared,
        actor=current_principal().username,
        format=form.format,
        tabular_limits=settings.tabular_limits,
    )
    return public(DatasetVersionUploaded, version, validation=report.to_dict())


@route(bp, "GET", "/versions/<int:version_id>", READERS, answer=DatasetVersionDetail)
def get_version(session: Session, version_id: int) -> Answer:
    """One dataset version with its validation report and classification."""
    version = get_record(session=session, model=DatasetVersion, record_id=version_id)
    erasures = service.open_erasure_requests(session=session, version_id=version_id)
    return public(
        DatasetVersionDetail,
        version,
        open_erasure_requests=[public(ErasureRequestPublic, e) for e in erasures],
    )


@route(
    bp,
    "PATCH",
    "/versions/<int:version_id>",
    DATA_STEWARDS,
    answer=DatasetVersionPublic,
)
def update_version(session: Session, version_id: int, json: ClassificationChange) -> Answer:
    """Change a version's classification or references (ledgered, justified)."""
    data = DatasetVersionMetadata(**json.model_dump(exclude={"justification"}, exclude_none=True))
    version = service.update_version_metadata(
        session=session,
        version_id=version_id,
        data=data,
        actor=current_principal().username,
        justification=json.justification,
    )
    return public(DatasetVersionPublic, version)


command(
    bp,
    "POST",
    "/versions/<int:version_id>/erasure-requests",
    DATA_STEWARDS,
    service.record_erasure_request,
    body=ErasureRequestCreate,
    answer=ErasureRequestPublic,
    status=201,
    name="create_erasure_request",
    summary="Record a GDPR Art. 17 erasure request against a version.",
)


command(
    bp,
    "POST",
    "/erasure-requests/<int:request_id>/resolution",
    DATA_STEWARDS,
    service.resolve_erasure_request,
    body=ErasureResolution,
    answer=ErasureRequestPublic,
    summary="Close a GDPR Art. 17 erasure request with what was done (409 when already closed).",
)
