"""Sweep the content-addressed storage of files no record points at.

Three areas under the storage directory hold content-addressed files, each named by a
record: ``datasets`` (a dataset version's ``content_sha256``), ``reports`` (a signed
report's ``pdf_sha256``) and ``models`` (a model version's ``artifact_uri``). Every file
is staged, and promoted as its record commits (``app.storage_commit``), so a leftover is
what a process left when it stopped mid-way (``kill -9`` before the commit, or a commit
the database refused), or what older releases stored before refusing an upload. A file is
left alone while younger than the grace period (an upload may still be validating it).
After that:

- a staged file whose digest a record names while its content address is empty (a
  record registered by the staged file's URI, or committed by an older release that
  promoted after the commit) is promoted: the record points at its content address;
- every other staged or incoming file, and every file at a content address that no
  record names, is removed.

Each sweep that changed something is ledgered as one ``storage.swept`` event (paths
relative to the storage directory, sizes).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from app.ledger import append_event
from app.models.base import utc_now
from app.models.datasets import DatasetVersion
from app.models.evidence import Report
from app.models.model_versions import ModelVersion
from app.models.vocabulary import LedgerSubject
from app.storage import content_address, staged_address

__all__ = ["DEFAULT_GRACE", "SWEPT_AREAS", "SweepReport", "sweep_storage"]

#: How old a file must be before the sweeper touches it.
DEFAULT_GRACE = timedelta(hours=6)


@dataclass
class SweepReport:
    """What one sweep did (paths relative to the storage directory)."""

    removed: list[dict[str, Any]] = field(default_factory=list)
    promoted: list[str] = field(default_factory=list)
    kept_young: int = 0

    @property
    def bytes_removed(self) -> int:
        """Bytes freed by the removals."""
        return sum(int(item["bytes"]) for item in self.removed)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the job run's details and the ledger payload)."""
        return {
            "removed": self.removed,
            "promoted": self.promoted,
            "bytes_removed": self.bytes_removed,
            "kept_young": self.kept_young,
        }


def _dataset_digests(session: Session) -> set[str]:
    """Digests of the dataset versions stored here. Compared by content address, not by
    the recorded URI, so a storage restored under another path is not taken for orphans."""
    rows = session.exec(
        select(DatasetVersion.content_sha256).where(
            col(DatasetVersion.storage_uri).startswith("file://")
        )
    ).all()
    return {str(digest) for digest in rows}


def _report_digests(session: Session) -> set[str]:
    """Digests of the signed reports recorded (all stored here)."""
    return {str(digest) for digest in session.exec(select(Report.pdf_sha256)).all()}


def _model_digests(session: Session) -> set[str]:
    """Digests named by the model artefacts stored here (the file name of their URI)."""
    uris = session.exec(
        select(ModelVersion.artifact_uri).where(
            col(ModelVersion.artifact_uri).startswith("file://")
        )
    ).all()
    return {str(uri).rsplit("/", 1)[-1].split(".", 1)[0] for uri in uris if uri}


#: Each swept folder under the storage directory, with the digests its records name.
SWEPT_AREAS: dict[str, Callable[[Session], set[str]]] = {
    "datasets": _dataset_digests,
    "reports": _report_digests,
    "models": _model_digests,
}


def _stored_digest(root: Path, path: Path) -> str | None:
    """The digest a file at a content address holds by its name (None elsewhere)."""
    digest = path.name.split(".", 1)[0]
    if path.parent.parent != root or path.parent.name != digest[:2] or len(digest) != 64:
        return None
    return digest


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _sweep_area(
    *, root: Path, storage_dir: Path, referenced: set[str], cutoff: datetime, report: SweepReport
) -> None:
    """Promote or remove the orphaned files under one area's ``root`` older than ``cutoff``."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if _modified(path) > cutoff:
            report.kept_young += 1
            continue
        staged = staged_address(path)
        if staged is not None:
            target = content_address(root, *staged)
            if staged[0] in referenced and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                report.promoted.append(target.relative_to(storage_dir).as_posix())
                continue
        elif _stored_digest(root, path) in referenced:
            continue
        # Checked again just before removing: a promotion in between gives a fresh time.
        if _modified(path) > cutoff:
            report.kept_young += 1
            continue
        size = path.stat().st_size
        path.unlink(missing_ok=True)
        report.removed.append({"path": path.relative_to(storage_dir).as_posix(), "bytes": size})


def sweep_storage(
    *,
    session: Session,
    storage_dir: Path,
    actor: str,
    grace: timedelta = DEFAULT_GRACE,
    now: datetime | None = None,
) -> SweepReport:
    """Promote or remove the orphaned files of every :data:`SWEPT_AREAS` folder older than
    ``grace``; paths in the report are relative to ``storage_dir``."""
    report = SweepReport()
    cutoff = (now or utc_now()) - grace
    for folder, referenced_by in SWEPT_AREAS.items():
        root = storage_dir / folder
        if root.is_dir():
            _sweep_area(
                root=root,
                storage_dir=storage_dir,
                referenced=referenced_by(session),
                cutoff=cutoff,
                report=report,
            )
    if report.removed or report.promoted:
        append_event(
            session=session,
            actor=actor,
            action="storage.swept",
            subject_type=LedgerSubject.STORAGE,
            subject_id="storage",
            payload={**report.to_dict(), "grace_seconds": int(grace.total_seconds())},
        )
    return report
