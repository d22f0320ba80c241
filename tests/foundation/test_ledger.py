"""The hash chain: every change is ledgered, and any edit, deletion or reordering is found."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from app.cli import cli
from app.db import session_scope
from app.ledger import append_event, export_jsonl, verify_chain
from app.models.vocabulary import LedgerSubject


def _append_many(engine: sa.Engine, count: int, actor: str = "tester") -> None:
    for index in range(count):
        with session_scope(engine) as db:
            append_event(
                session=db,
                actor=actor,
                action="test.event",
                subject_type=LedgerSubject.DATASET,
                subject_id=index,
                payload={"n": index},
            )


def _verify(engine: sa.Engine) -> Any:
    with session_scope(engine) as db:
        return verify_chain(session=db)


def test_intact_chain_verifies(engine: sa.Engine) -> None:
    _append_many(engine, 5)
    outcome = _verify(engine)
    assert outcome.intact and outcome.events_checked == 5


@pytest.mark.parametrize(
    ("tamper", "broken_seq", "reason"),
    [
        ("UPDATE ledger_event SET actor = 'mallory' WHERE seq = 3", 3, "edited"),
        ("UPDATE ledger_event SET payload = '{\"n\": 99}' WHERE seq = 2", 2, "payload edited"),
        ("DELETE FROM ledger_event WHERE seq = 4", 5, "missing"),
        ("DELETE FROM ledger_event WHERE seq = 1", 2, "missing"),
    ],
)
def test_tampering_is_detected_and_named(
    engine: sa.Engine, tamper: str, broken_seq: int, reason: str
) -> None:
    _append_many(engine, 6)
    with engine.begin() as connection:
        connection.execute(sa.text(tamper))
    outcome = _verify(engine)
    assert not outcome.intact
    assert outcome.broken.seq == broken_seq
    assert reason in outcome.broken.reason


def test_reordering_is_detected(engine: sa.Engine) -> None:
    _append_many(engine, 5)
    with engine.begin() as connection:
        # Swap events 2 and 3 by renumbering them through a free number.
        connection.execute(sa.text("UPDATE ledger_event SET seq = 1000 WHERE seq = 2"))
        connection.execute(sa.text("UPDATE ledger_event SET seq = 2 WHERE seq = 3"))
        connection.execute(sa.text("UPDATE ledger_event SET seq = 3 WHERE seq = 1000"))
    outcome = _verify(engine)
    assert not outcome.intact and outcome.broken.seq == 2


def test_cli_verify_exit_codes(app: Any, engine: sa.Engine) -> None:
    _append_many(engine, 3)
    runner = app.test_cli_runner()
    ok = runner.invoke(cli, ["ledger", "verify"])
    assert ok.exit_code == 0 and "intact: 3 events" in ok.output
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE ledger_event SET action = 'forged' WHERE seq = 2"))
    broken = runner.invoke(cli, ["ledger", "verify"])
    assert broken.exit_code == 1
    assert "event 2" in broken.output


def test_export_is_json_lines_in_chain_order(engine: sa.Engine, tmp_path: Any) -> None:
    import json

    _append_many(engine, 4)
    out = tmp_path / "ledger.jsonl"
    with session_scope(engine) as db, out.open("w") as handle:
        assert export_jsonl(session=db, out=handle) == 4
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["seq"] for r in rows] == [1, 2, 3, 4]
    assert all(rows[i]["prev_hash"] == rows[i - 1]["hash"] for i in range(1, 4))


def test_concurrent_writers_make_one_unbroken_chain(backend: str, engine: sa.Engine) -> None:
    threads_count, per_thread = (8, 500) if backend == "postgresql" else (4, 100)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            _append_many(engine, per_thread, actor=f"worker-{worker}")
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    outcome = _verify(engine)
    assert outcome.intact
    assert outcome.events_checked == threads_count * per_thread
