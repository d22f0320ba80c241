"""Register a dataset version from its file: validate, scan for identifiers, classify.

The scan can only raise the classification: a person may declare more (e.g. special
category data the scan cannot see), and lowering what the scan found goes through the
justified override in ``app.registry.datasets.update_version_metadata``.

The file arrives staged (``app.storage.stage_stream``) and reaches its content address
only when the transaction that registers its version commits; a refusal, a failed
validation or a rollback removes it, so no stored file is left without a record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlmodel import Session

from app.errors import ValidationError, first_problem
from app.formats.catalog import TEXT_FORMATS
from app.formats.pii import ScanReport, classify, scan_file
from app.formats.validate import ValidationReport, validate_file
from app.models.datasets import DatasetVersion
from app.models.vocabulary import ClassificationSource
from app.registry.datasets import register_version
from app.registry.schemas import DatasetVersionMetadata, DatasetVersionRegister
from app.storage import StagedFile
from app.storage_commit import promote_on_commit
from app.upload_limits import TabularLimits

log = logging.getLogger(__name__)

#: Formats whose records are free text the PII scan reads.
_SCANNED_FORMATS = frozenset(TEXT_FORMATS)


def parse_declared_metadata(text: str, *, source: str) -> DatasetVersionMetadata:
    """The declared classification and references in JSON ``text``; errors name the field."""
    try:
        return DatasetVersionMetadata.model_validate_json(text)
    except PydanticValidationError as error:
        where, problem = first_problem(error)
        raise ValidationError(f"{source}.{where}: {problem}") from None


def findings_summary(scan: ScanReport | None) -> dict[str, Any]:
    """What the registry keeps of a scan: counts, locations and masked samples only."""
    if scan is None:
        return {"scanned": False, "total": 0, "counts": {}}
    counts = {finding.category: finding.count for finding in scan.findings}
    return {
        "scanned": True,
        "total": sum(counts.values()),
        "counts": counts,
        "report": scan.to_dict(),
    }


def ingest_dataset_file(
    *,
    session: Session,
    dataset_id: int,
    stored: StagedFile,
    declared: DatasetVersionMetadata,
    actor: str,
    format: str | None = None,
    progress: Callable[[int], None] | None = None,
    tabular_limits: TabularLimits | None = None,
) -> tuple[DatasetVersion, ValidationReport]:
    """Validate and scan a staged file and register it as the dataset's next version; the
    file is promoted when the session commits and removed if anything fails first (a
    table beyond ``tabular_limits`` among them).

    ``progress`` receives bytes read, once for validation and once for the scan.
    """
    with stored:  # the staged file is discarded if anything below fails
        report = validate_file(
            stored.path, format=format, progress=progress, tabular_limits=tabular_limits
        )
        if report.format == "unknown":
            reason = str(report.errors[0]) if report.errors else "the format could not be detected"
            raise ValidationError(f"cannot register the file: {reason}")
        scan = (
            scan_file(stored.path, format=report.format)
            if report.format in _SCANNED_FORMATS
            else None
        )
        fields = declared.model_dump(exclude_none=True)
        source, justification = ClassificationSource.DECLARED, ""
        if scan is not None:
            found = classify(scan)
            fields["contains_pii"] = fields.get("contains_pii", False) or found.contains_pii
            fields["contains_phi"] = fields.get("contains_phi", False) or found.contains_phi
            source, justification = ClassificationSource.SCAN, found.reason
        registration = DatasetVersionRegister(
            **fields,
            format=report.format,  # type: ignore[arg-type]
            content_sha256=stored.sha256,
            storage_uri=stored.uri,
            size_bytes=stored.size_bytes,
            row_count=report.record_count,
        )
        version = register_version(
            session=session,
            dataset_id=dataset_id,
            data=registration,
            actor=actor,
            validation_report=report.to_dict(),
            pii_findings=findings_summary(scan),
            is_valid=report.valid,
            classification_source=source,
            classification_justification=justification,
        )
    promote_on_commit(session=session, staged=stored)
    return version, report
