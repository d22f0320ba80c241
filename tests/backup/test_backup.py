"""``gatehouse backup`` / ``gatehouse restore`` round trips on SQLite and PostgreSQL.

A real installation (registry, an uploaded dataset file, a signed checkpoint, a signed
report) is backed up with the CLI and restored into a new, unmigrated database and an
empty storage directory; the restored instance verifies its ledger, its checkpoint and
its report, and hands out new ids after the restored ones.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.cli import cli
from app.config import settings_for_tests
from app.db import session_scope
from app.ledger.signatures import sign_statement
from app.migrations import current_revision
from app.models.datasets import DatasetVersion
from app.registry.records import count_records
from app.reports.identity import ensure_self_signed_identity
from tests.approvals.conftest import build_registry
from tests.conftest import _admin_execute, _with_database, postgres_admin_url

VALID = b'{"input": "What is APR?", "output": "The yearly cost of credit."}\n'


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[Any]:
    """Factory: a new, never migrated database on the test's backend."""
    names: list[str] = []

    def build() -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:6]}.db'}"
        name = f"gh_restore_{uuid.uuid4().hex[:10]}"
        _admin_execute(f'CREATE DATABASE "{name}"')
        names.append(name)
        return _with_database(postgres_admin_url(), name)

    yield build
    for name in names:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _instance(tmp_path: Path, url: str, identity_from: Path | None = None) -> Flask:
    """An instance under ``tmp_path``; with ``identity_from``, that installation's signing
    identity (and its passphrase file) installed first, as the restore docs ask."""
    if identity_from is not None:
        shutil.copytree(identity_from / "signing", tmp_path / "signing")
    return create_app(settings_for_tests(tmp_path, url))


def _backed_up(app: Flask, engine: sa.Engine, make_actor: Any, tmp_path: Path) -> Path:
    _populate(app, engine, make_actor, tmp_path)
    destination = tmp_path / "backup"
    backed_up = app.test_cli_runner().invoke(cli, ["backup", str(destination)])
    assert backed_up.exit_code == 0, backed_up.output
    return destination


def _populate(app: Flask, engine: sa.Engine, make_actor: Any, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        build_registry(session)
    engineer = make_actor("ml_engineer")
    dataset_id = engineer.post(
        "/api/v1/datasets", json={"name": "faq-upload", "owner": engineer.username}
    ).get_json()["id"]
    uploaded = engineer.post(
        f"/api/v1/datasets/{dataset_id}/versions/upload",
        data={"file": (io.BytesIO(VALID), "faq.jsonl")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    runner = app.test_cli_runner()
    assert runner.invoke(cli, ["ledger", "checkpoint"]).exit_code == 0
    generated = runner.invoke(
        cli,
        ["report", "generate", "periodic_compliance", "--period-start", "2026-01-01",
         "--period-end", "2026-12-31", "-o", str(tmp_path / "periodic.pdf")],
    )  # fmt: skip
    assert generated.exit_code == 0, generated.output


def test_backup_restores_and_verifies(
    app: Flask, engine: sa.Engine, make_actor: Any, tmp_path: Path, empty_database: Any
) -> None:
    destination = _backed_up(app, engine, make_actor, tmp_path)
    manifest = json.loads((destination / "manifest.json").read_text())
    assert manifest["signing_identity"]["sha256"] is not None
    assert not any("identity.p12" in item["path"] for item in manifest["files"])
    assert any(item["path"].startswith("storage/reports/") for item in manifest["files"])

    restored_app = _instance(tmp_path / "restored", empty_database(), identity_from=tmp_path)
    restored = restored_app.test_cli_runner().invoke(cli, ["restore", str(destination)])
    assert restored.exit_code == 0, restored.output
    assert "checkpoints holding: 1; reports intact: 1" in restored.output
    assert "the same signing identity file as the backup's" in restored.output
    assert "problem" not in restored.output
    restored_engine = restored_app.extensions["gatehouse.engine"]
    assert current_revision(restored_engine) == current_revision(engine)
    with session_scope(engine) as before, session_scope(restored_engine) as after:
        assert count_records(session=after, model=DatasetVersion) == count_records(
            session=before, model=DatasetVersion
        )
        upload = after.exec(sa.select(DatasetVersion).order_by(DatasetVersion.id.desc())).first()  # type: ignore[union-attr]
    stored = Path(upload[0].storage_uri.removeprefix("file://"))  # type: ignore[index]
    # The uri names the original storage; the restored copy has the same relative path.
    assert (
        tmp_path / "restored" / "storage" / stored.relative_to(tmp_path / "storage")
    ).read_bytes() == VALID
    verified = restored_app.test_cli_runner().invoke(cli, ["ledger", "verify"])
    assert verified.exit_code == 0, verified.output
    # New records get ids after the restored ones (PostgreSQL sequences advanced).
    with session_scope(restored_engine) as session:
        build_registry(session, name="after-restore")
    restored_app.extensions["gatehouse.engine"].dispose()


def _sign_manifest(destination: Path, identity: Any) -> None:
    """Sign the backup's manifest again, with ``identity``, as a forger with that key would."""
    text = (destination / "manifest.json").read_bytes()
    (destination / "manifest.json.sig").write_text(sign_statement(text, identity=identity) + "\n")


def _change_a_row(destination: Path) -> None:
    """Change a dataset's owner in the backup and make the manifest agree, as someone
    without the signing key can."""
    table = destination / "database" / "dataset.jsonl"
    table.write_text(table.read_text().replace('"owner": "', '"owner": "mallory-', 1))
    manifest = json.loads((destination / "manifest.json").read_text())
    for item in manifest["files"]:
        if item["path"] == "database/dataset.jsonl":
            item["sha256"] = hashlib.sha256(table.read_bytes()).hexdigest()
            item["bytes"] = table.stat().st_size
    (destination / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))


def test_restore_refuses_a_manifest_that_is_not_the_installations(
    app: Flask, engine: sa.Engine, make_actor: Any, tmp_path: Path, empty_database: Any
) -> None:
    """A row changed offline with the manifest made to agree: the signature no longer holds.
    Signed again by a stranger's key: the signer is not the installed identity. Either way
    nothing is written. With the signature removed, the backup is restored and flagged."""
    destination = _backed_up(app, engine, make_actor, tmp_path)
    assert (destination / "manifest.json.sig").is_file()
    _change_a_row(destination)
    stranger = ensure_self_signed_identity(tmp_path / "x" / "identity.p12", organisation="X")
    target = _instance(tmp_path / "target", empty_database(), identity_from=tmp_path)
    runner = target.test_cli_runner()
    for forged, refusal in [
        (lambda: None, "the manifest's signature does not hold: the statement was altered"),
        (
            lambda: _sign_manifest(destination, stranger),
            f"the manifest is signed by certificate {stranger.fingerprint_sha256}",
        ),
    ]:
        forged()
        refused = runner.invoke(cli, ["restore", str(destination)])
        assert refused.exit_code == 1 and refusal in refused.output, refused.output
        assert refused.output.count("\n") == 1
        assert current_revision(target.extensions["gatehouse.engine"]) is None
        assert not (tmp_path / "target" / "storage").exists()
    (destination / "manifest.json.sig").unlink()
    unsigned = runner.invoke(cli, ["restore", str(destination)])
    assert unsigned.exit_code == 1
    assert "problem: the manifest is not signed (manifest.json.sig is missing" in unsigned.output
    assert "checkpoints holding: 1; reports intact: 1" in unsigned.output
    target.extensions["gatehouse.engine"].dispose()


def test_restore_finds_signatures_that_are_not_the_installations(
    app: Flask, engine: sa.Engine, make_actor: Any, tmp_path: Path, empty_database: Any
) -> None:
    """Past the manifest, each checkpoint and report is checked for its own signer: here
    the manifest is signed by the installed identity and everything else by the backup's
    (another) one, which stands for checkpoints and reports a forger signed. Every one is
    named and the restore fails; with no identity installed it says it could not check."""
    destination = _backed_up(app, engine, make_actor, tmp_path)
    installed = tmp_path / "installed"
    stranger = ensure_self_signed_identity(installed / "signing" / "identity.p12", organisation="X")
    ours = ensure_self_signed_identity(tmp_path / "signing" / "identity.p12", organisation="X")
    _sign_manifest(destination, stranger)
    forged = _instance(tmp_path / "forged", empty_database(), identity_from=installed)
    restored = forged.test_cli_runner().invoke(cli, ["restore", str(destination)])
    assert restored.exit_code == 1, restored.output
    problems = [line for line in restored.output.splitlines() if "problem:" in line]
    assert len(problems) == 2, restored.output
    assert problems[0].startswith("  problem: checkpoint 1: signed by certificate ")
    assert problems[1].startswith("  problem: report 1: signed by certificate ")
    assert all("neither the installed signing identity" in line for line in problems)
    assert all(ours.fingerprint_sha256 in line for line in problems)
    assert "checkpoints holding: 0; reports intact: 0" in restored.output
    forged.extensions["gatehouse.engine"].dispose()

    bare = _instance(tmp_path / "bare", empty_database())
    unchecked = bare.test_cli_runner().invoke(cli, ["restore", str(destination)])
    assert unchecked.exit_code == 1
    assert "signers not checked: no signing identity is installed" in unchecked.output
    bare.extensions["gatehouse.engine"].dispose()


def test_restore_refuses_an_altered_backup_or_a_used_database(
    app: Flask, engine: sa.Engine, make_actor: Any, tmp_path: Path, empty_database: Any
) -> None:
    _populate(app, engine, make_actor, tmp_path)
    destination = tmp_path / "backup"
    assert app.test_cli_runner().invoke(cli, ["backup", str(destination)]).exit_code == 0
    used = app.test_cli_runner().invoke(cli, ["restore", str(destination)])
    assert used.exit_code == 1 and "already migrated" in used.output

    report = next((destination / "storage" / "reports").rglob("*.pdf"))
    data = bytearray(report.read_bytes())
    data[len(data) // 2] ^= 0x01
    report.write_bytes(bytes(data))
    url = empty_database()
    target = _instance(tmp_path / "target", url)
    altered = target.test_cli_runner().invoke(cli, ["restore", str(destination)])
    assert altered.exit_code == 1
    assert "differs from the SHA-256 in the manifest" in altered.output
    assert altered.output.count("\n") == 1
    assert current_revision(target.extensions["gatehouse.engine"]) is None
    assert not (tmp_path / "target" / "storage").exists()
    target.extensions["gatehouse.engine"].dispose()
