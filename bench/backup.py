"""Benchmark: ``gatehouse backup`` and ``gatehouse restore`` against the database's own tools.

Seeds a fresh installation with a sizeable ledger (``bench/ledger.py``'s 100,000 chained
events by default) under the whole demo registry of ``bench/gate.py`` (as ``gatehouse
demo`` seeds it: people, validated datasets in storage, runs, models, deployments,
audits, evaluations, signed reports) and a signed checkpoint of the head
(which the restore verifies), then times, in the same run:

- ``create_backup`` (every table as JSON lines in one transaction, the stored files, the
  SHA-256 manifest) against the baseline: the database's own copy (SQLite's online
  backup API, or ``pg_dump --format=custom``) plus copying the storage directory;
- ``restore_backup`` into a new, empty database and storage directory (manifest check,
  migrations, load, then verification of the ledger, checkpoints and reports) against
  the baseline: putting the database copy back (a file copy, or ``pg_restore`` into a
  new database) plus copying the storage directory; and, within it, the ledger's full
  verification alone (``verify_fully`` on the restored database).

Prints sizes, seconds, events per second and each ratio to its baseline, with the load
average (a shared machine's load slows both sides).

Run: ``.venv/bin/python bench/backup.py [--events N] [--postgres-url URL]`` (the URL of
a PostgreSQL server where the bench may create and drop its two databases, e.g. the one
``scripts/start-postgres`` prints; without it, SQLite).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.backup import RestoreReport, create_backup, restore_backup  # noqa: E402
from app.config import settings_for_tests  # noqa: E402
from app.db import build_engine, session_scope  # noqa: E402
from app.ledger.checkpoints import create_checkpoint  # noqa: E402
from app.ledger.progress import verify_fully  # noqa: E402
from app.migrations import upgrade  # noqa: E402
from bench.gate import seed as seed_demo_registry  # noqa: E402
from bench.ledger import seed as seed_ledger  # noqa: E402


def baseline_names(url: str) -> tuple[str, str]:
    """What the baseline backs up and restores with, on this database."""
    if url.startswith("sqlite"):
        return "SQLite online backup API", "file copy"
    return "pg_dump --format=custom", "pg_restore"


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _postgres_tool(name: str) -> str:
    return str(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))[-1])


@contextmanager
def _databases(postgres_url: str | None, work: Path) -> Iterator[dict[str, str]]:
    """URLs of the source database and of two empty restore targets (Gatehouse's and the
    baseline's), dropped afterwards on PostgreSQL."""
    roles = ("source", "restored", "baseline")
    if postgres_url is None:
        yield {role: f"sqlite:///{work}/{role}.db" for role in roles}
        return
    admin = build_engine(postgres_url).execution_options(isolation_level="AUTOCOMMIT")
    names = {role: f"gh_bench_{role}_{uuid.uuid4().hex[:8]}" for role in roles}
    base = sa.make_url(postgres_url)
    try:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield {
            role: base.set(database=name).render_as_string(hide_password=False)
            for role, name in names.items()
        }
    finally:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as the PostgreSQL tools take it."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def baseline_backup(url: str, storage: Path, destination: Path) -> None:
    """The database's own copy of itself, and a copy of the storage directory."""
    destination.mkdir()
    if url.startswith("sqlite"):
        source = sqlite3.connect(sa.make_url(url).database or "")
        target = sqlite3.connect(destination / "database.db")
        with target:
            source.backup(target)
        source.close()
        target.close()
    else:
        dump = destination / "database.dump"
        subprocess.run(
            [_postgres_tool("pg_dump"), "--format=custom", f"--file={dump}", _libpq(url)],
            check=True,
        )
    shutil.copytree(storage, destination / "storage")


def baseline_restore(source: Path, url: str, storage: Path) -> None:
    """Put the database's own copy back into ``url`` and the storage directory in place."""
    if url.startswith("sqlite"):
        shutil.copyfile(source / "database.db", sa.make_url(url).database or "")
    else:
        dump = str(source / "database.dump")
        subprocess.run(
            [_postgres_tool("pg_restore"), "--no-owner", f"--dbname={_libpq(url)}", dump],
            check=True,
        )
    shutil.copytree(source / "storage", storage)


def main() -> None:
    """Seed, back up and restore both ways, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--postgres-url", default=None)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        with _databases(arguments.postgres_url, work) as urls:
            source = settings_for_tests(work / "source", urls["source"])
            started = time.perf_counter()
            upgrade(urls["source"])
            engine = build_engine(urls["source"])
            seed_ledger(engine, arguments.events)
            engine.dispose()
            (work / "seed").mkdir()
            seed_demo_registry(source, work / "seed")
            engine = build_engine(urls["source"])
            with session_scope(engine) as session:
                create_checkpoint(session=session, settings=source, actor="bench")
            engine.dispose()
            seeded_s = time.perf_counter() - started
            load_before = os.getloadavg()[0]

            copy_s = _timed(
                lambda: baseline_backup(urls["source"], source.storage_dir, work / "copy")
            )
            manifest: dict[str, Any] = {}
            backup_s = _timed(
                lambda: manifest.update(create_backup(settings=source, destination=work / "backup"))
            )
            put_back_s = _timed(
                lambda: baseline_restore(work / "copy", urls["baseline"], work / "copy-storage")
            )
            restored = settings_for_tests(work / "restored", urls["restored"])
            # As the restore docs ask: the signing identity is installed before a restore.
            shutil.copytree(work / "source" / "signing", work / "restored" / "signing")
            reports: list[RestoreReport] = []
            restore_s = _timed(
                lambda: reports.append(restore_backup(settings=restored, source=work / "backup"))
            )
            engine = build_engine(urls["restored"])
            with session_scope(engine) as session:
                verify_s = _timed(lambda: verify_fully(session=session))
            engine.dispose()
            load_after = os.getloadavg()[0]
            backup_mb, copy_mb = _size(work / "backup") / 1e6, _size(work / "copy") / 1e6
        report = reports[0]
    assert not report.problems, report.problems
    rows = sum(manifest["tables"].values())
    stored = [f for f in manifest["files"] if f["path"].startswith("storage/")]
    events = report.ledger_events
    copy_name, put_back_name = baseline_names(urls["source"])
    print(
        f"backend: {sa.make_url(urls['source']).get_backend_name()}; seeded in {seeded_s:.1f} s; "
        f"load average {load_before:.1f} before, {load_after:.1f} after"
    )
    print(
        f"installation: {rows:,} rows in {len(manifest['tables'])} tables ({events:,} ledger "
        f"events), {len(stored)} stored files ({sum(f['bytes'] for f in stored) / 1e6:.1f} MB)"
    )
    print(
        f"backup (gatehouse backup): {backup_s:.2f} s, {events / backup_s:,.0f} events/s, "
        f"{backup_mb:.1f} MB; baseline ({copy_name} + storage "
        f"copy): {copy_s:.2f} s, {copy_mb:.1f} MB; ratio {backup_s / copy_s:.1f}x"
    )
    print(
        f"restore (gatehouse restore, verification included): {restore_s:.2f} s, "
        f"{events / restore_s:,.0f} events/s; baseline ({put_back_name} "
        f"+ storage copy): {put_back_s:.2f} s; ratio {restore_s / put_back_s:.1f}x; of which the "
        f"ledger's full verification alone: {verify_s:.2f} s"
    )
    print(
        f"round trip: {backup_s + restore_s:.2f} s against {copy_s + put_back_s:.2f} s "
        f"({(backup_s + restore_s) / (copy_s + put_back_s):.1f}x); restored: {report.rows:,} rows, "
        f"{report.files} files, checkpoints holding {report.checkpoints_held}, reports intact "
        f"{report.reports_intact}, problems {len(report.problems)}"
    )


if __name__ == "__main__":
    main()
