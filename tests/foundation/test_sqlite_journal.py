"""A fresh SQLite file switches to WAL even while another connection writes to it."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import sqlalchemy as sa

from app.db import build_engine


def test_a_connection_opened_during_another_write_waits_and_switches_to_wal(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fresh.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE note (text TEXT)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO note VALUES ('held')")
    released = threading.Timer(0.5, lambda: writer.execute("COMMIT"))
    released.start()
    try:
        engine = build_engine(f"sqlite:///{path}")
        with engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
            notes = connection.execute(sa.text("SELECT text FROM note")).scalars().all()
    finally:
        released.join()
        writer.close()
    assert mode == "wal"
    assert notes == ["held"]
