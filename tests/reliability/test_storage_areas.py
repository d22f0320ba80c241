"""Signed reports and model artefacts are staged, promoted as their row commits, and swept.

The file reaches its content address before the database commits the row that names
it, so no ``kill -9`` can leave a committed row without its file (a CI run on
PostgreSQL once landed a kill between a commit and a move made after it). What a kill
can leave is a staged file nobody recorded, or a moved file whose row never committed
(both removed); a row naming a staged file (registered by its URI, or committed by an
older release) has its file promoted. Real files, a real report rendered and signed, a
real database.
"""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.audits.service import record_model_artifact
from app.db import session_scope
from app.models.evidence import Report
from app.models.model_versions import ModelVersion
from app.registry.storage_sweep import sweep_storage
from app.storage import StagedFile, stage_stream
from app.storage_commit import promote_on_commit
from tests.approvals.conftest import Registry


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _age(*paths: Path) -> None:
    stamp = time.time() - 7 * 3600
    for path in paths:
        os.utime(path, (stamp, stamp))


def _record_artefact(session: Any, registry: Registry, artefact: StagedFile) -> None:
    """Point the registry's model version at a staged artefact, as the audit service does."""
    record_model_artifact(
        session=session,
        model_version_id=registry.model_id,
        artifact_uri=artefact.uri,
        sha256=artefact.sha256,
        actor="test",
    )


@pytest.mark.parametrize("backend", ["sqlite"])
def test_reports_and_artefacts_are_promoted_or_removed_by_the_sweep(
    make_actor: Any, registry: Registry, engine: sa.Engine, settings: Any
) -> None:
    officer = make_actor("compliance_officer")
    generated = officer.post(
        "/api/v1/reports", json={"kind": "dataset_sheet", "subject_id": registry.dataset_version_id}
    )
    assert generated.status_code == 201, generated.get_json()
    reports, models = settings.storage_dir / "reports", settings.storage_dir / "models"
    with session_scope(engine) as session:
        report = session.exec(select(Report)).one()
    stored = settings.storage_dir / report.storage_path
    # Promoted when the row committed: the only file, at its content address.
    assert _files(reports) == [stored]

    # A row naming a file still staged (as an older release left it when killed between
    # its commit and its move).
    unmoved = reports / f".staged-{report.pdf_sha256}-killed.pdf"
    os.replace(stored, unmoved)
    # Killed before the commit: a staged PDF and a staged artefact no row names.
    never_recorded = stage_stream(io.BytesIO(b"%PDF-1.7 half"), root=reports, max_bytes=10**6)
    orphan_model = stage_stream(io.BytesIO(b"weights"), root=models, max_bytes=10**6)
    # A model artefact whose row committed before the process stopped.
    artefact = stage_stream(io.BytesIO(b"joblib"), root=models, max_bytes=10**6, suffix=".joblib")
    with session_scope(engine) as session:
        _record_artefact(session, registry, artefact)
    _age(unmoved, never_recorded.path, orphan_model.path, artefact.path)

    with session_scope(engine) as session:
        swept = sweep_storage(
            session=session,
            storage_dir=settings.storage_dir,
            actor="test",
            grace=timedelta(hours=6),
        )
    assert sorted(swept.promoted) == sorted(
        p.relative_to(settings.storage_dir).as_posix() for p in (stored, artefact.target)
    )
    assert sorted(item["path"] for item in swept.removed) == sorted(
        p.relative_to(settings.storage_dir).as_posix()
        for p in (never_recorded.path, orphan_model.path)
    )
    assert _files(reports) == [stored] and _files(models) == [artefact.target]
    download = officer.get(f"/api/v1/reports/{report.id}/download")
    assert download.status_code == 200 and download.data == stored.read_bytes()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_report_is_at_its_address_before_its_row_commits(
    make_actor: Any, registry: Registry, engine: sa.Engine, settings: Any
) -> None:
    reports = settings.storage_dir / "reports"
    at_commit: list[list[Path]] = []

    def look(_connection: sa.Connection) -> None:
        at_commit.append(_files(reports))

    sa.event.listen(engine, "commit", look)
    try:
        generated = make_actor("compliance_officer").post(
            "/api/v1/reports",
            json={"kind": "dataset_sheet", "subject_id": registry.dataset_version_id},
        )
    finally:
        sa.event.remove(engine, "commit", look)
    assert generated.status_code == 201, generated.get_json()
    with session_scope(engine) as session:
        report = session.exec(select(Report)).one()
    stored = settings.storage_dir / report.storage_path
    # The database commit that made the row visible already found the file in place.
    assert [stored] in at_commit, at_commit
    assert _files(reports) == [stored]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_move_that_fails_fails_the_commit(
    registry: Registry, engine: sa.Engine, settings: Any
) -> None:
    models = settings.storage_dir / "models"
    artefact = stage_stream(io.BytesIO(b"weights"), root=models, max_bytes=10**6, suffix=".joblib")
    # A plain file where the content address's folder goes: the move cannot happen.
    artefact.target.parent.write_bytes(b"in the way")
    with pytest.raises(OSError), session_scope(engine) as session:
        promote_on_commit(session=session, staged=artefact)
        _record_artefact(session, registry, artefact)
    with session_scope(engine) as session:
        model = session.get(ModelVersion, registry.model_id)
        assert model is not None and model.artifact_uri is None
    # Rolled back: the staged file is removed too, nothing names it.
    assert _files(models) == [artefact.target.parent]
