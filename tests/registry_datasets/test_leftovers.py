"""Uploads leave no file without a record; the sweeper removes what a stopped process left.

Reproduces issue 14: refused or failed uploads left their stored files (65 MB from 7
tries) with no record pointing at them. Files are real, on disk under the test's
storage directory; the database is real.
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

from app.cli import cli
from app.db import session_scope
from app.demo import files
from app.jobs.definitions import JobContext
from app.jobs.runner import execute_job
from app.models.ledger import LedgerEvent
from app.registry.storage_sweep import sweep_storage
from app.storage import stage_stream

VALID = b'{"input": "What is APR?", "output": "The yearly cost of credit."}\n'


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _upload(actor: Any, dataset_id: int, content: bytes, filename: str, **fields: str) -> Any:
    return actor.post(
        f"/api/v1/datasets/{dataset_id}/versions/upload",
        data={"file": (io.BytesIO(content), filename), **fields},
        content_type="multipart/form-data",
    )


def _age(path: Path, hours: float) -> None:
    stamp = time.time() - hours * 3600
    os.utime(path, (stamp, stamp))


def test_refused_and_failed_uploads_leave_no_file(make_actor: Any, settings: Any) -> None:
    engineer = make_actor("ml_engineer")
    dataset_id = engineer.post(
        "/api/v1/datasets", json={"name": "faq", "owner": engineer.username}
    ).get_json()["id"]
    root = settings.storage_dir / "datasets"
    junk = _upload(engineer, dataset_id, b"\x00\x01 binary junk" * 1000, "junk.bin")
    assert junk.status_code == 422 and "cannot register" in junk.get_json()["detail"]
    nowhere = _upload(engineer, 999, VALID, "a.jsonl")
    assert nowhere.status_code == 404
    assert _files(root) == []
    accepted = _upload(engineer, dataset_id, VALID, "faq.jsonl")
    assert accepted.status_code == 201, accepted.get_json()
    stored = Path(accepted.get_json()["storage_uri"].removeprefix("file://"))
    assert stored.read_bytes() == VALID
    assert [root / name for name in _files(root)] == [stored]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_cli_refusal_leaves_no_file(app: Any, settings: Any, tmp_path: Path) -> None:
    good = files.credit_explanations(tmp_path / "credit.jsonl", records=5)
    result = app.test_cli_runner().invoke(
        cli, ["dataset", "register", str(good), "--dataset", "nope"]
    )
    assert result.exit_code == 2 and "--create" in result.output
    assert _files(settings.storage_dir / "datasets") == []


def test_sweeper_removes_orphans_promotes_committed_and_ledgers(
    app: Any, engine: sa.Engine, settings: Any, make_actor: Any
) -> None:
    engineer = make_actor("ml_engineer")
    dataset_id = engineer.post(
        "/api/v1/datasets", json={"name": "faq", "owner": engineer.username}
    ).get_json()["id"]
    root = settings.storage_dir / "datasets"
    kept = Path(_upload(engineer, dataset_id, VALID, "faq.jsonl").get_json()["storage_uri"][7:])
    # Left by older releases or a process that stopped: a file at a content address no
    # version names, a staged file never registered, a half-written incoming file.
    orphan = root / "ab" / ("ab" + "0" * 62 + ".jsonl")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"x" * 4096)
    unregistered = stage_stream(io.BytesIO(b"never registered\n"), root=root, max_bytes=10**6)
    incoming = root / ".incoming-deadbeef"
    incoming.write_bytes(b"half")
    # A version that committed while its process stopped before the promotion.
    second = b'{"input": "Fee?", "output": "None."}\n'
    committed = stage_stream(io.BytesIO(second), root=root, max_bytes=10**6, suffix=".jsonl")
    registered = engineer.post(
        f"/api/v1/datasets/{dataset_id}/versions",
        json={
            "format": "llama_io",
            "content_sha256": committed.sha256,
            "storage_uri": committed.uri,
            "size_bytes": committed.size_bytes,
        },
    )
    assert registered.status_code == 201, registered.get_json()
    young = stage_stream(io.BytesIO(b"being validated\n"), root=root, max_bytes=10**6)
    for path in (kept, orphan, unregistered.path, incoming, committed.path):
        _age(path, hours=7)

    context = JobContext(
        engine=engine, settings=settings, policy_engine=app.extensions["gatehouse.policy_engine"]
    )
    run = execute_job(context, "storage-sweep")
    assert run is not None and run.outcome == "succeeded", run
    assert sorted(item["path"] for item in run.details["removed"]) == sorted(
        p.relative_to(settings.storage_dir).as_posix()
        for p in (orphan, unregistered.path, incoming)
    )
    assert run.details["bytes_removed"] == 4096 + len(b"never registered\n") + 4
    assert run.details["promoted"] == [
        committed.target.relative_to(settings.storage_dir).as_posix()
    ]
    assert committed.target.read_bytes() == second
    assert kept.exists() and young.path.exists() and run.details["kept_young"] == 1
    with session_scope(engine) as session:
        swept = session.exec(select(LedgerEvent).where(LedgerEvent.action == "storage.swept")).all()
        assert [(e.actor, e.subject_type) for e in swept] == [("scheduler", "storage")]
        # Nothing left to do: a second sweep changes nothing and ledgers nothing.
        again = sweep_storage(
            session=session,
            storage_dir=settings.storage_dir,
            actor="test",
            grace=timedelta(hours=6),
        )
        assert again.removed == [] and again.promoted == []
    with session_scope(engine) as session:
        assert (
            len(
                session.exec(select(LedgerEvent).where(LedgerEvent.action == "storage.swept")).all()
            )
            == 1
        )


@pytest.mark.parametrize("backend", ["sqlite"])
def test_cli_sweep_with_a_grace_period(app: Any, settings: Any) -> None:
    root = settings.storage_dir / "datasets"
    leftover = stage_stream(io.BytesIO(b"left behind\n"), root=root, max_bytes=10**6)
    _age(leftover.path, hours=2)
    runner = app.test_cli_runner()
    kept = runner.invoke(cli, ["storage", "sweep"])
    assert kept.exit_code == 0, kept.output
    assert kept.output.startswith("removed 0 orphaned file(s)") and leftover.path.exists()
    swept = runner.invoke(cli, ["storage", "sweep", "--grace", "1h"])
    assert swept.exit_code == 0, swept.output
    assert "removed 1 orphaned file(s) (12 bytes)" in swept.output
    assert not leftover.path.exists()
