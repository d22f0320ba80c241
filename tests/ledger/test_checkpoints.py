"""Signed checkpoints: what an outside party keeps, and what it catches afterwards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from app.cli import cli
from app.db import session_scope
from app.jobs.definitions import JOBS, JobContext
from app.ledger.checkpoints import CheckpointFile
from app.models.ledger import LedgerCheckpoint, LedgerEvent
from tests.ledger.tampering import append_many, execute, head, rewrite_from


def _invoke(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(cli, ["ledger", *args])


def _checkpoint(app: Any, path: Path) -> CheckpointFile:
    result = _invoke(app, "checkpoint", "--out", str(path))
    assert result.exit_code == 0, result.output
    return CheckpointFile.from_json(path.read_text())


def test_checkpoint_is_signed_stored_ledgered_and_verifies(
    app: Any, engine: sa.Engine, tmp_path: Path
) -> None:
    append_many(engine, 5)
    seq, head_hash = head(engine)
    checkpoint = _checkpoint(app, tmp_path / "cp.json")
    statement = checkpoint.statement
    assert (statement["seq"], statement["head_hash"]) == (seq, head_hash)
    assert len(statement["merkle_root"]) == 64 and statement["organisation"]
    with session_scope(engine) as db:
        stored = db.exec(select(LedgerCheckpoint)).one()
        signed_event = db.exec(select(LedgerEvent).order_by(col(LedgerEvent.seq).desc())).first()
    assert stored.seq == seq and stored.statement.encode() == checkpoint.statement_bytes
    assert signed_event is not None and signed_event.action == "ledger.checkpoint_signed"
    assert signed_event.payload["merkle_root"] == statement["merkle_root"]

    append_many(engine, 2)
    verified = _invoke(app, "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert verified.exit_code == 0, verified.output
    assert f"ledger extends checkpoint event {seq}" in verified.output
    assert "self-signed" in verified.output

    exported = tmp_path / "again.json"
    assert _invoke(app, "export-checkpoint", "--out", str(exported)).exit_code == 0
    assert CheckpointFile.from_json(exported.read_text()) == checkpoint


def test_truncation_before_the_checkpoint_is_caught_and_named(
    app: Any, engine: sa.Engine, tmp_path: Path
) -> None:
    append_many(engine, 6)
    _checkpoint(app, tmp_path / "cp.json")
    execute(engine, "DELETE FROM ledger_event WHERE seq > 4")
    assert _invoke(app, "verify").exit_code == 0  # the chain alone cannot tell
    result = _invoke(app, "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert result.exit_code == 1
    assert "the ledger no longer extends checkpoint event 6" in result.output
    assert "the ledger ends at event 4" in result.output and "truncated" in result.output
    assert "events 1..6 are no longer all there" in result.output


def test_consistent_rewrite_before_the_checkpoint_is_caught_and_located(
    app: Any, engine: sa.Engine, tmp_path: Path
) -> None:
    append_many(engine, 6)
    _checkpoint(app, tmp_path / "cp.json")
    rewrite_from(engine, 6)
    assert _invoke(app, "verify").exit_code == 0  # re-hashed and re-linked
    result = _invoke(app, "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert result.exit_code == 1
    assert "rewritten at or before event 6" in result.output
    # 6 events = subtrees of events 1–4 and 5–6; only the second differs.
    assert "events 5–6 are the first range that differs" in result.output


def test_an_altered_checkpoint_file_fails_its_signature(
    app: Any, engine: sa.Engine, tmp_path: Path
) -> None:
    append_many(engine, 3)
    path = tmp_path / "cp.json"
    _checkpoint(app, path)
    document = json.loads(path.read_text())
    document["statement"]["created_at"] = "2020-01-01T00:00:00+00:00"
    path.write_text(json.dumps(document))
    result = _invoke(app, "verify", "--checkpoint", str(path))
    assert result.exit_code == 1
    assert "checkpoint signature: the statement was altered after signing" in result.output


def test_a_checkpoint_file_that_is_not_one_is_refused_in_one_line(
    app: Any, engine: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "cp.json"
    path.write_text('{"format": "something else"}')
    result = _invoke(app, "verify", "--checkpoint", str(path))
    assert result.exit_code == 1
    assert "not a checkpoint file" in result.output and "Traceback" not in result.output


def test_known_head_option(app: Any, engine: sa.Engine) -> None:
    append_many(engine, 5)
    seq, head_hash = head(engine)
    assert _invoke(app, "verify", "--head", f"{seq}:{head_hash}").exit_code == 0
    execute(engine, "DELETE FROM ledger_event WHERE seq = 5")
    result = _invoke(app, "verify", "--head", f"{seq}:{head_hash}")
    assert result.exit_code == 1
    assert "known to have reached event 5: truncated (1 event(s) missing)" in result.output
    assert _invoke(app, "verify", "--head", "five").exit_code == 2


def test_checkpoint_refuses_a_broken_ledger(app: Any, engine: sa.Engine) -> None:
    append_many(engine, 3)
    execute(engine, "UPDATE ledger_event SET action = 'forged' WHERE seq = 2")
    result = _invoke(app, "checkpoint")
    assert result.exit_code == 1
    assert "the ledger does not verify (edited at event 2" in result.output
    assert "no checkpoint was signed" in result.output


def test_timestamped_checkpoint(
    app: Any, engine: sa.Engine, tmp_path: Path, timestamp_authority: Any
) -> None:
    app.config["GATEHOUSE"] = app.config["GATEHOUSE"].with_overrides(
        tsa_url=timestamp_authority.url
    )
    append_many(engine, 2)
    _checkpoint(app, tmp_path / "cp.json")
    assert timestamp_authority.requests
    result = _invoke(app, "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert result.exit_code == 0 and "timestamped 20" in result.output


def test_scheduler_job_makes_a_checkpoint_once_per_new_head(
    app: Any, engine: sa.Engine, settings: Any
) -> None:
    context = JobContext(
        engine=engine, settings=settings, policy_engine=app.extensions["gatehouse.policy_engine"]
    )
    append_many(engine, 3)
    job = JOBS["ledger-checkpoint"]
    with session_scope(engine) as db:
        made = job.run(context, db)
    assert made["seq"] == 3
    with session_scope(engine) as db:
        again = job.run(context, db)
    assert "skipped" in again


def test_inclusion_and_consistency_proofs_check_offline(
    app: Any, engine: sa.Engine, tmp_path: Path
) -> None:
    append_many(engine, 5)
    old = tmp_path / "old.json"
    _checkpoint(app, old)
    append_many(engine, 6)
    new = tmp_path / "new.json"
    _checkpoint(app, new)

    inclusion = tmp_path / "inclusion.json"
    assert (
        _invoke(
            app, "prove-inclusion", "3", "--checkpoint", str(new), "--out", str(inclusion)
        ).exit_code
        == 0
    )
    checked = _invoke(app, "check-inclusion", str(inclusion), "--checkpoint", str(new))
    assert checked.exit_code == 0, checked.output
    assert "inclusion proven" in checked.output
    forged = json.loads(inclusion.read_text())
    forged["event"]["actor"] = "mallory"
    inclusion.write_text(json.dumps(forged))
    refused = _invoke(app, "check-inclusion", str(inclusion), "--checkpoint", str(new))
    assert refused.exit_code == 1 and "the event's fields do not hash to its hash" in refused.output

    consistency = tmp_path / "consistency.json"
    made = _invoke(app, "prove-consistency", str(old), str(new), "--out", str(consistency))
    assert made.exit_code == 0, made.output
    checked = _invoke(app, "check-consistency", str(old), str(new), str(consistency))
    assert checked.exit_code == 0 and "consistency proven" in checked.output
    swapped = _invoke(app, "check-consistency", str(new), str(new), str(consistency))
    assert swapped.exit_code == 1 and "other tree sizes" in swapped.output

    rewrite_from(engine, 2)
    refused = _invoke(
        app, "prove-inclusion", "3", "--checkpoint", str(new), "--out", str(inclusion)
    )
    assert refused.exit_code == 1
    assert "the ledger no longer matches the checkpoint of event" in refused.output
