"""Sweep the dataset storage of files no record points at.

Uploads are staged and promoted only when their version commits
(``app.registry.dataset_ingest``), so a leftover is what a process left when it stopped
mid-way, or what older releases stored before refusing an upload. A file is left
alone while younger than the grace period (an upload may still be validating it).
After that:

- a staged file whose version committed but whose promotion never happened (the process
  stopped between the commit and the rename) is promoted: the record points at its
  content address;
- every other staged or incoming file, and every file at a content address that no
  stored dataset version's ``content_sha256`` names, is removed.

Each sweep that changed something is ledgered as one ``storage.swept`` event (paths
relative to the storage root, sizes, digests).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from app.ledger import append_event
from app.models.base import utc_now
from app.models.datasets import DatasetVersion
from app.models.vocabulary import LedgerSubject
from app.storage import content_address, staged_address

__all__ = ["DEFAULT_GRACE", "SweepReport", "sweep_dataset_storage"]

#: How old a file must be before the sweeper touches it.
DEFAULT_GRACE = timedelta(hours=6)


@dataclass
class SweepReport:
    """What one sweep did (paths relative to the swept root)."""

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


def _referenced_digests(session: Session) -> set[str]:
    """Digests of the versions stored here. Compared by content address, not by the
    recorded URI, so a storage restored under another path is not taken for orphans."""
    rows = session.exec(
        select(DatasetVersion.content_sha256).where(
            col(DatasetVersion.storage_uri).startswith("file://")
        )
    ).all()
    return {str(digest) for digest in rows}


def _stored_digest(root: Path, path: Path) -> str | None:
    """The digest a file at a content address holds by its name (None elsewhere)."""
    digest = path.name.split(".", 1)[0]
    if path.parent.parent != root or path.parent.name != digest[:2] or len(digest) != 64:
        return None
    return digest


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def sweep_dataset_storage(
    *,
    session: Session,
    root: Path,
    actor: str,
    grace: timedelta = DEFAULT_GRACE,
    now: datetime | None = None,
) -> SweepReport:
    """Promote or remove the orphaned files under ``root`` older than ``grace``."""
    report = SweepReport()
    if not root.is_dir():
        return report
    cutoff = (now or utc_now()) - grace
    referenced = _referenced_digests(session)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if _modified(path) > cutoff:
            report.kept_young += 1
            continue
        relative = path.relative_to(root).as_posix()
        staged = staged_address(path)
        if staged is not None:
            target = content_address(root, *staged)
            if staged[0] in referenced and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                report.promoted.append(target.relative_to(root).as_posix())
                continue
        elif _stored_digest(root, path) in referenced:
            continue
        # Checked again just before removing: a promotion in between gives a fresh time.
        if _modified(path) > cutoff:
            report.kept_young += 1
            continue
        size = path.stat().st_size
        path.unlink(missing_ok=True)
        report.removed.append({"path": relative, "bytes": size})
    if report.removed or report.promoted:
        append_event(
            session=session,
            actor=actor,
            action="storage.swept",
            subject_type=LedgerSubject.STORAGE,
            subject_id="datasets",
            payload={**report.to_dict(), "grace_seconds": int(grace.total_seconds())},
        )
    return report
