"""Benchmark: ledger verification at 100,000 events against raw SHA-256 over the same bytes.

Seeds a fresh, migrated SQLite database (or ``--database-url``, e.g. PostgreSQL) with
100,000 correctly chained events by direct inserts, then prints:

- full verification (``verify_chain``: sequence, link, payload and own-hash checks) in
  events/s, and as a share of the raw SHA-256 rate over exactly the bytes it hashes
  (each event's canonical field bytes and payload), measured in the same run — goal ≥ 50%;
- full verification that also builds the Merkle tree and records the position
  (``verify_fully``, what the daily job and ``gatehouse ledger verify`` run);
- incremental verification (what a portal page or ``/api/v1/ledger/verify`` runs) after
  100 more events are appended through the ledger's own ``append_event``.

Run: ``.venv/bin/python bench/ledger.py [--events N] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.db import build_engine, session_scope
from app.ledger.chain import GENESIS_HASH, append_event, canonical_json, event_bytes, verify_chain
from app.ledger.progress import verify_fully, verify_incrementally
from app.ledger.rows import iter_verification_rows
from app.migrations import upgrade
from app.models.vocabulary import LedgerSubject

_INSERT = sa.text(
    "INSERT INTO ledger_event (seq, occurred_at, actor, action, subject_type, subject_id, "
    "payload, payload_sha256, prev_hash, hash) VALUES (:seq, :occurred_at, :actor, :action, "
    ":subject_type, :subject_id, :payload, :payload_sha256, :prev_hash, :hash)"
)


def seed(engine: sa.Engine, count: int) -> None:
    """``count`` chained events shaped like real ones, inserted directly (fast)."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    previous = GENESIS_HASH
    rows = []
    for seq in range(1, count + 1):
        payload = {"dataset_version_id": seq % 97, "state": "approved", "sha256": "ab" * 32}
        text = canonical_json(payload)
        when = start + dt.timedelta(microseconds=seq * 1237)
        subject = str(seq % 97)
        payload_sha256 = hashlib.sha256(text).hexdigest()
        own = hashlib.sha256(
            event_bytes(
                seq,
                when.isoformat(),
                "compliance.officer",
                "run.approved",
                "run",
                subject,
                payload_sha256,
                previous,
            )
        ).hexdigest()
        rows.append(
            {
                "seq": seq,
                "occurred_at": when,
                "actor": "compliance.officer",
                "action": "run.approved",
                "subject_type": "run",
                "subject_id": subject,
                "payload": text.decode(),
                "payload_sha256": payload_sha256,
                "prev_hash": previous,
                "hash": own,
            }
        )
        previous = own
    statement = _INSERT.bindparams(sa.bindparam("occurred_at", type_=sa.DateTime(timezone=True)))
    with engine.begin() as connection:
        connection.execute(statement, rows)


def main() -> None:
    """Seed, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        url = arguments.database_url or f"sqlite:///{work}/bench.db"
        upgrade(url)
        engine = build_engine(url)
        seed(engine, arguments.events)
        with session_scope(engine) as session:
            started = time.perf_counter()
            outcome = verify_chain(session=session)
            full = time.perf_counter() - started
            assert outcome.intact and outcome.events_checked == arguments.events
            hashed = [
                (row[1].encode(), row[2].encode())
                for row in iter_verification_rows(session=session)
            ]
        sha256 = hashlib.sha256
        started = time.perf_counter()
        for fields, payload in hashed:
            sha256(payload).hexdigest()
            sha256(fields).hexdigest()
        raw = time.perf_counter() - started
        with session_scope(engine) as session:
            started = time.perf_counter()
            verify_fully(session=session)
            with_tree = time.perf_counter() - started
        for index in range(100):
            with session_scope(engine) as session:
                append_event(
                    session=session,
                    actor="bench",
                    action="bench.event",
                    subject_type=LedgerSubject.FINETUNE_RUN,
                    subject_id=index,
                    payload={"n": index},
                )
        with session_scope(engine) as session:
            started = time.perf_counter()
            state, _head = verify_incrementally(session=session)
            incremental = time.perf_counter() - started
            assert state.intact and state.events_checked == 100
        engine.dispose()
    events = arguments.events
    print(f"backend: {sa.make_url(url).get_backend_name()}, {events:,} events")
    print(f"raw SHA-256 over the same bytes: {events / raw:,.0f} events/s ({raw:.3f} s)")
    print(f"full verification (verify_chain): {events / full:,.0f} events/s ({full:.3f} s)")
    print(f"  share of raw SHA-256 speed: {raw / full:.0%} (goal >= 50%)")
    print(f"full verification + Merkle tree + position (verify_fully): {with_tree:.3f} s")
    print(f"incremental verification of 100 new events: {incremental * 1000:.1f} ms")


if __name__ == "__main__":
    main()
