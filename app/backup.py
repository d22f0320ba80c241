"""Back up and restore an installation: its database, its stored files, a manifest.

A backup is a directory: ``database/<table>.jsonl`` (every row of every Gatehouse table,
read in one transaction, the same format for SQLite and PostgreSQL, so a backup of one
restores into the other), ``storage/`` (the stored datasets, reports and run logs), and
``manifest.json`` naming the schema revision and the SHA-256 and size of every file, and
``manifest.json.sig``, the manifest's detached signature by the installation's signing
identity (so no file can be changed and the manifest made to agree without its key).
The signing identity is only referenced (its path and the SHA-256 of the file): the key
stays where the organisation keeps its secrets.

A restore checks the manifest's signature and every file against the manifest before it
writes anything (a backup without a signature is restored, and said to be unvouched
for), refuses a
database that already holds rows, loads the rows at the backup's schema revision,
migrates to the current one, copies the files, and then verifies what an auditor would
rely on: the ledger's hash chain, every stored checkpoint (signature, chain and Merkle
root), and every stored report (its file's digest and signature).

Sound signatures only prove that a backup agrees with itself: whoever rewrites one can
re-chain the ledger and sign new checkpoints and reports with a certificate of their
own. So each signer must also be the installed signing identity (or chain to
``GATEHOUSE_SIGNING_TRUST_ROOTS``); with no identity installed the restore cannot tell,
and says so as a problem.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from asn1crypto.x509 import Certificate
from sqlmodel import Session, SQLModel, select

import app.models.tables  # noqa: F401  (registers every table on the metadata)
from app.config import Settings
from app.db import build_engine
from app.errors import BackupError, GatehouseError, RestoreTargetError
from app.ledger.checkpoints import CheckpointFile, verify_against_checkpoint
from app.ledger.progress import verify_fully
from app.ledger.signatures import sign_statement, verify_statement
from app.migrations import current_revision, upgrade
from app.models.base import utc_now
from app.models.evidence import Report
from app.models.ledger import LedgerCheckpoint
from app.reports.signing_setup import configured_trust_roots, signing_identity
from app.reports.verification import TrustStatus, verify_pdf
from app.storage import INCOMING_PREFIX, STAGED_PREFIX

__all__ = ["BACKUP_FORMAT", "RestoreReport", "create_backup", "restore_backup"]

BACKUP_FORMAT = "gatehouse-backup/1"
_MANIFEST = "manifest.json"
_MANIFEST_SIGNATURE = "manifest.json.sig"
_CHUNK = 1024 * 1024
_BATCH = 500


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _decoder(column: sa.Column[Any]) -> Any:
    kind = getattr(column.type, "impl", column.type)
    if isinstance(kind, sa.DateTime):
        return datetime.fromisoformat
    if isinstance(kind, sa.Date):
        return date.fromisoformat
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode
    return None


def _tables() -> list[sa.Table]:
    return list(SQLModel.metadata.sorted_tables)


def _storage_files(settings: Settings) -> list[Path]:
    root = settings.storage_dir
    if not root.is_dir():
        return []
    identity = settings.signing_identity_path.resolve()
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and not path.name.startswith((INCOMING_PREFIX, STAGED_PREFIX))
        and path.resolve() != identity
    )


def create_backup(*, settings: Settings, destination: Path) -> dict[str, Any]:
    """Write a backup of the installation into the new directory ``destination``."""
    if destination.exists() and any(destination.iterdir()):
        raise RestoreTargetError(f"{destination} is not empty; back up into a new directory")
    (destination / "database").mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.database_url)
    tables: dict[str, int] = {}
    try:
        revision = current_revision(engine)
        # One transaction for every table: the rows agree with each other.
        isolation = "REPEATABLE READ" if engine.dialect.name == "postgresql" else None
        with engine.connect() as connection:
            if isolation:
                connection = connection.execution_options(isolation_level=isolation)
            with connection.begin():
                for table in _tables():
                    count = 0
                    order = list(table.primary_key.columns)
                    rows = connection.execute(sa.select(table).order_by(*order))
                    with (destination / "database" / f"{table.name}.jsonl").open("w") as out:
                        for row in rows.mappings():
                            out.write(json.dumps({k: _encode(v) for k, v in row.items()}))
                            out.write("\n")
                            count += 1
                    tables[table.name] = count
    finally:
        engine.dispose()
    for path in _storage_files(settings):
        target = destination / "storage" / path.relative_to(settings.storage_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    # Loaded (or, for the embedded default, generated) first, so the manifest names it.
    signer = signing_identity(settings)
    identity = settings.signing_identity_path
    manifest = {
        "format": BACKUP_FORMAT,
        "created_at": utc_now().isoformat(),
        "database_backend": engine.dialect.name,
        "schema_revision": revision,
        # Dataset versions record absolute file URIs under this directory.
        "storage_dir": str(settings.storage_dir.resolve()),
        "tables": tables,
        "signing_identity": {
            "path": str(identity),
            "sha256": _sha256(identity) if identity.is_file() else None,
        },
        "files": [
            {
                "path": path.relative_to(destination).as_posix(),
                "sha256": _sha256(path),
                "bytes": path.stat().st_size,
            }
            for path in sorted(destination.rglob("*"))
            if path.is_file()
        ],
    }
    text = json.dumps(manifest, indent=2, sort_keys=True).encode()
    (destination / _MANIFEST).write_bytes(text)
    signature = sign_statement(text, identity=signer, tsa_url=settings.tsa_url)
    (destination / _MANIFEST_SIGNATURE).write_text(signature + "\n")
    return manifest


def _checked_manifest(source: Path) -> dict[str, Any]:
    """The manifest, after every file it names was found intact (and no file added)."""
    try:
        manifest: dict[str, Any] = json.loads((source / _MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{source / _MANIFEST} cannot be read: {error}") from None
    if manifest.get("format") != BACKUP_FORMAT:
        raise BackupError(f"{source} is not a {BACKUP_FORMAT} backup")
    listed = {item["path"]: item for item in manifest["files"]}
    files = {p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file()}
    present = files - {_MANIFEST, _MANIFEST_SIGNATURE}
    if present != set(listed):
        extra = sorted(present - set(listed))
        missing = sorted(set(listed) - present)
        raise BackupError(f"files missing from the backup: {missing}; not in its manifest: {extra}")
    for name, item in sorted(listed.items()):
        if _sha256(source / name) != item["sha256"]:
            raise BackupError(f"{name} differs from the SHA-256 in the manifest")
    return manifest


@dataclass
class RestoreReport:
    """What a restore loaded and what its verification found."""

    rows: int = 0
    files: int = 0
    ledger_events: int = 0
    checkpoints_held: int = 0
    reports_intact: int = 0
    signing_identity: str = ""
    #: Where the restored files are, against where the recorded dataset URIs point.
    storage: str = ""
    problems: list[str] = field(default_factory=list)


def _load_rows(engine: sa.Engine, source: Path) -> int:
    loaded = 0
    with engine.begin() as connection:
        for table in _tables():
            decoders = {c.name: d for c in table.columns if (d := _decoder(c)) is not None}
            batch: list[dict[str, Any]] = []
            path = source / "database" / f"{table.name}.jsonl"
            with path.open() as rows:
                for line in rows:
                    row = json.loads(line)
                    for name, decode in decoders.items():
                        if row.get(name) is not None:
                            row[name] = decode(row[name])
                    batch.append(row)
                    if len(batch) == _BATCH:
                        connection.execute(table.insert(), batch)
                        loaded, batch = loaded + len(batch), []
            if batch:
                connection.execute(table.insert(), batch)
                loaded += len(batch)
            if engine.dialect.name == "postgresql":
                _advance_sequences(connection, table)
    return loaded


def _advance_sequences(connection: sa.Connection, table: sa.Table) -> None:
    """Make PostgreSQL hand out ids after the restored ones."""
    for column in table.primary_key.columns:
        if not column.autoincrement or not isinstance(column.type, sa.Integer):
            continue
        sequence = connection.execute(
            sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column.name},
        ).scalar()
        if sequence:
            connection.execute(
                sa.text(
                    f'SELECT setval(:sequence, COALESCE((SELECT MAX("{column.name}") '
                    f'FROM "{table.name}"), 0) + 1, false)'
                ),
                {"sequence": sequence},
            )


def _signers_trusted(settings: Settings, report: RestoreReport) -> tuple[Certificate, ...]:
    """What every restored signature must chain to: the installed signing identity and the
    configured roots. None installed (or unreadable): nothing can be trusted, said once."""
    identity = settings.signing_identity_path
    if not identity.is_file():
        report.problems.append(
            f"signers not checked: no signing identity is installed at {identity}; install "
            "the backup's before restoring, so that a checkpoint or report signed by anyone "
            "else is found"
        )
        return ()
    try:
        return (signing_identity(settings).trust_anchor, *configured_trust_roots(settings))
    except GatehouseError as error:
        report.problems.append(f"signers not checked: {error}")
        return ()


def _check_manifest_signature(
    source: Path, roots: tuple[Certificate, ...], report: RestoreReport
) -> None:
    """Refuse a manifest whose signature does not hold or is someone else's; a backup
    without one is restored, and the report says nothing vouches for it."""
    path = source / _MANIFEST_SIGNATURE
    if not path.is_file():
        report.problems.append(
            f"the manifest is not signed ({_MANIFEST_SIGNATURE} is missing: a backup made "
            "before backups were signed, or one whose signature was removed), so nothing "
            "shows its rows and files were not changed offline"
        )
        return
    try:
        signature = verify_statement(
            (source / _MANIFEST).read_bytes(), path.read_text().strip(), trust_roots=roots
        )
    except GatehouseError as error:
        raise BackupError(f"{_MANIFEST_SIGNATURE} cannot be read: {error}") from None
    if not signature.sound:
        raise BackupError(
            f"the manifest's signature does not hold: {'; '.join(signature.problems)}"
        )
    signer = _signer_problem(signature.trust, signature.signer_fingerprint_sha256, roots)
    if signer:
        raise BackupError(f"the manifest is {signer}; nothing was restored")


def _signer_problem(
    trust: TrustStatus, fingerprint: str | None, roots: tuple[Certificate, ...]
) -> str:
    """Why a sound signature is still not this installation's, or '' when it is."""
    if trust is TrustStatus.TRUSTED or not roots:
        return ""
    return (
        f"signed by certificate {fingerprint or 'unknown'}, which is neither the installed "
        "signing identity nor under GATEHOUSE_SIGNING_TRUST_ROOTS"
    )


def _verify(
    session: Session, settings: Settings, report: RestoreReport, roots: tuple[Certificate, ...]
) -> None:
    _state, outcome = verify_fully(session=session)
    report.ledger_events = outcome.events_checked
    if outcome.broken is not None:
        report.problems.append(f"ledger: {outcome.broken}")
    for row in session.exec(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id)).all():  # type: ignore[arg-type]
        check = verify_against_checkpoint(
            session=session, checkpoint=CheckpointFile.from_row(row), trust_roots=roots
        )
        signer = _signer_problem(
            check.signature.trust, check.signature.signer_fingerprint_sha256, roots
        )
        if check.holds and not signer:
            report.checkpoints_held += 1
        else:
            report.problems += [f"checkpoint {row.id}: {p}" for p in (*check.problems, signer) if p]
    for stored in session.exec(select(Report).order_by(Report.id)).all():  # type: ignore[arg-type]
        path = settings.storage_dir / stored.storage_path
        if not path.is_file():
            report.problems.append(f"report {stored.id}: {stored.storage_path} is missing")
            continue
        result = verify_pdf(path.read_bytes(), expected_sha256=stored.pdf_sha256, trust_roots=roots)
        signers = {s.signer_fingerprint_sha256 for s in result.signatures}
        signer = _signer_problem(result.trust, ", ".join(sorted(map(str, signers))), roots)
        if result.intact and not signer:
            report.reports_intact += 1
        else:
            report.problems += [f"report {stored.id}: {p}" for p in (*result.problems, signer) if p]


def restore_backup(*, settings: Settings, source: Path) -> RestoreReport:
    """Restore the backup in ``source`` into the (empty) configured database and storage."""
    manifest = _checked_manifest(source)
    report = RestoreReport()
    roots = _signers_trusted(settings, report)
    _check_manifest_signature(source, roots, report)
    storage = [item["path"] for item in manifest["files"] if item["path"].startswith("storage/")]
    for name in storage:
        target = settings.storage_dir / name.removeprefix("storage/")
        if target.exists() and _sha256(target) != _sha256(source / name):
            raise RestoreTargetError(f"{target} exists with other content; restore elsewhere")
    engine = build_engine(settings.database_url)
    try:
        found = current_revision(engine)
        if found is not None:
            raise RestoreTargetError(
                f"the target database is already migrated (schema revision {found}); restore "
                "into a new database nobody migrated: gatehouse restore migrates it itself"
            )
        upgrade(settings.database_url, manifest["schema_revision"] or "head")
        # What the migrations seeded (the role names, the ledger's verification state) is
        # replaced by the backup's rows.
        with engine.begin() as connection:
            for table in reversed(_tables()):
                connection.execute(table.delete())
        report.rows = _load_rows(engine, source)
        upgrade(settings.database_url, "head")
        for name in storage:
            target = settings.storage_dir / name.removeprefix("storage/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target)
            report.files += 1
        here = str(settings.storage_dir.resolve())
        report.storage = (
            f"at {here}, where the dataset URIs point"
            if here == manifest["storage_dir"]
            else f"at {here}; dataset URIs still name {manifest['storage_dir']}: serve the "
            "storage at that path (GATEHOUSE_STORAGE_DIR) so audits find the files"
        )
        reference = manifest["signing_identity"]
        identity = settings.signing_identity_path
        now = _sha256(identity) if identity.is_file() else None
        report.signing_identity = (
            "the same signing identity file as the backup's"
            if now is not None and now == reference["sha256"]
            else f"not the backup's ({reference['path']}): install it to sign as before"
        )
        with Session(engine) as session:
            _verify(session, settings, report, roots)
            session.commit()  # the ledger verification is recorded like any other
    finally:
        engine.dispose()
    return report
