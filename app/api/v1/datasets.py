"""Datasets and dataset versions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel, Field

from app.api.v1.common import (
    ListQuery,
    body,
    created,
    list_response,
    page_of,
    public,
    responses,
)
from app.api.v1.spec import spec
from app.auth.guard import allow, current_principal
from app.auth.roles import DATA_STEWARDS, READERS, REGISTRARS
from app.db import unit_of_work
from app.errors import ValidationError
from app.models.datasets import (
    Dataset,
    DatasetFormat,
    DatasetPublic,
    DatasetVersion,
    DatasetVersionPublic,
    ErasureRequestPublic,
)
from app.registry import datasets as service
from app.registry.dataset_ingest import ingest_dataset_file, parse_declared_metadata
from app.registry.records import get_record
from app.registry.schemas import DatasetCreate, DatasetVersionMetadata, DatasetVersionRegister
from app.storage import store_stream, stored_suffix

bp = Blueprint("api_datasets", __name__, url_prefix="/api/v1/datasets")
TAG = "datasets"


class DatasetListQuery(ListQuery):
    """Filters for datasets."""

    owner: str | None = None
    domain: str | None = None


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


@bp.get("")
@allow(*READERS, scope="read")
@spec.validate(query=DatasetListQuery, resp=responses(page_of(DatasetPublic)), tags=[TAG])
def list_datasets(query: DatasetListQuery) -> Any:
    """List datasets, filtered by owner or domain."""
    return list_response(Dataset, DatasetPublic, query)


@bp.post("")
@allow(*REGISTRARS, scope="write")
@spec.validate(json=DatasetCreate, resp=responses(created=DatasetPublic), tags=[TAG])
def create_dataset(json: DatasetCreate) -> Any:
    """Create a dataset."""
    with unit_of_work() as session:
        dataset = service.create_dataset(
            session=session, data=json, actor=current_principal().username
        )
        return created(body(public(DatasetPublic, dataset)))


@bp.get("/<int:dataset_id>")
@allow(*READERS, scope="read")
@spec.validate(resp=responses(DatasetPublic), tags=[TAG])
def get_dataset(dataset_id: int) -> Any:
    """One dataset."""
    with unit_of_work() as session:
        dataset = get_record(session=session, model=Dataset, record_id=dataset_id)
        return jsonify(body(public(DatasetPublic, dataset)))


@bp.get("/<int:dataset_id>/versions")
@allow(*READERS, scope="read")
@spec.validate(query=VersionListQuery, resp=responses(page_of(DatasetVersionPublic)), tags=[TAG])
def list_versions(dataset_id: int, query: VersionListQuery) -> Any:
    """A dataset's versions."""
    with unit_of_work() as session:
        get_record(session=session, model=Dataset, record_id=dataset_id)
    return list_response(DatasetVersion, DatasetVersionPublic, query, dataset_id=dataset_id)


@bp.post("/<int:dataset_id>/versions")
@allow(*REGISTRARS, scope="write")
@spec.validate(
    json=DatasetVersionRegister, resp=responses(created=DatasetVersionPublic), tags=[TAG]
)
def register_version(dataset_id: int, json: DatasetVersionRegister) -> Any:
    """Register a version by reference (storage URI and SHA-256)."""
    with unit_of_work() as session:
        version = service.register_version(
            session=session, dataset_id=dataset_id, data=json, actor=current_principal().username
        )
        return created(body(public(DatasetVersionPublic, version)))


class UploadForm(BaseModel):
    """Multipart fields beside the ``file`` part."""

    format: DatasetFormat | None = None
    #: JSON object with the declared classification and references.
    metadata: str = "{}"


@bp.post("/<int:dataset_id>/versions/upload")
@allow(*REGISTRARS, scope="write")
@spec.validate(form=UploadForm, resp=responses(created=DatasetVersionUploaded), tags=[TAG])
def upload_version(dataset_id: int, form: UploadForm) -> Any:
    """Upload a file (multipart ``file``): stored under its SHA-256, validated, scanned, registered."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError("send the dataset as a multipart part named 'file'")
    declared = parse_declared_metadata(form.metadata, source="metadata")
    settings = current_app.config["GATEHOUSE"]
    stored = store_stream(
        upload.stream,
        root=settings.storage_dir / "datasets",
        max_bytes=settings.max_upload_bytes,
        suffix=stored_suffix(upload.filename),
    )
    with unit_of_work() as session:
        version, report = ingest_dataset_file(
            session=session,
            dataset_id=dataset_id,
            stored=stored,
            declared=declared,
            actor=current_principal().username,
            format=form.format,
        )
        return created(body(public(DatasetVersionUploaded, version, validation=report.to_dict())))


@bp.get("/versions/<int:version_id>")
@allow(*READERS, scope="read")
@spec.validate(resp=responses(DatasetVersionDetail), tags=[TAG])
def get_version(version_id: int) -> Any:
    """One dataset version with its validation report and classification."""
    with unit_of_work() as session:
        version = get_record(session=session, model=DatasetVersion, record_id=version_id)
        erasures = service.open_erasure_requests(session=session, version_id=version_id)
        detail = public(
            DatasetVersionDetail,
            version,
            open_erasure_requests=[public(ErasureRequestPublic, e) for e in erasures],
        )
        return jsonify(body(detail))


@bp.patch("/versions/<int:version_id>")
@allow(*DATA_STEWARDS, scope="write")
@spec.validate(json=ClassificationChange, resp=responses(DatasetVersionPublic), tags=[TAG])
def update_version(version_id: int, json: ClassificationChange) -> Any:
    """Change a version's classification or references (ledgered, justified)."""
    data = DatasetVersionMetadata(**json.model_dump(exclude={"justification"}, exclude_none=True))
    with unit_of_work() as session:
        version = service.update_version_metadata(
            session=session,
            version_id=version_id,
            data=data,
            actor=current_principal().username,
            justification=json.justification,
        )
        return jsonify(body(public(DatasetVersionPublic, version)))


@bp.post("/versions/<int:version_id>/erasure-requests")
@allow(*DATA_STEWARDS, scope="write")
@spec.validate(json=ErasureRequestCreate, resp=responses(created=ErasureRequestPublic), tags=[TAG])
def create_erasure_request(version_id: int, json: ErasureRequestCreate) -> Any:
    """Record a GDPR Art. 17 erasure request against a version."""
    with unit_of_work() as session:
        request = service.record_erasure_request(
            session=session,
            version_id=version_id,
            reference=json.reference,
            actor=current_principal().username,
        )
        return created(body(public(ErasureRequestPublic, request)))


@bp.post("/erasure-requests/<int:request_id>/resolution")
@allow(*DATA_STEWARDS, scope="write")
@spec.validate(json=ErasureResolution, resp=responses(ErasureRequestPublic), tags=[TAG])
def resolve_erasure_request(request_id: int, json: ErasureResolution) -> Any:
    """Close a GDPR Art. 17 erasure request with what was done (409 when already closed)."""
    with unit_of_work() as session:
        request = service.resolve_erasure_request(
            session=session,
            request_id=request_id,
            resolution=json.resolution,
            actor=current_principal().username,
        )
        return jsonify(body(public(ErasureRequestPublic, request)))
