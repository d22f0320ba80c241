"""Register a demo file as a new dataset version, committed at once.

The demo reads its files back (audits, reports) in the session that registered them, and
a stored file reaches its content address only when its version commits: so each version
is committed as it comes.
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from app.config import Settings
from app.registry.dataset_ingest import ingest_dataset_file
from app.registry.schemas import DatasetVersionMetadata
from app.storage import stage_file

__all__ = ["ingest_and_commit"]


def ingest_and_commit(
    *,
    session: Session,
    settings: Settings,
    dataset_id: int,
    path: Path,
    declared: DatasetVersionMetadata,
    actor: str,
    format: str | None = None,
) -> int:
    """Stage ``path`` in the datasets store, register it as the next version of
    ``dataset_id`` and commit; the new version's id."""
    stored = stage_file(
        path, root=settings.storage_dir / "datasets", max_bytes=settings.max_upload_bytes
    )
    version, _ = ingest_dataset_file(
        session=session,
        dataset_id=dataset_id,
        stored=stored,
        declared=declared,
        actor=actor,
        format=format,
    )
    session.commit()
    return version.id or 0
