"""Pages resume verification from the last verified event instead of re-walking the chain."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.ledger.tampering import append_many, execute


def test_api_verifies_only_new_events_and_remembers_the_position(
    app: Any, engine: sa.Engine, make_actor: Any, login: Any
) -> None:
    auditor = make_actor("auditor")  # creating it ledgers events too
    append_many(engine, 5)
    first = auditor.get("/api/v1/ledger/verify").get_json()
    assert first["intact"] is True and first["mode"] == "incremental"
    total = first["verified_seq"]
    assert first["events_checked"] == total >= 5

    append_many(engine, 2)
    second = auditor.get("/api/v1/ledger/verify").get_json()
    assert second["intact"] is True
    assert (second["events_checked"], second["verified_seq"]) == (2, total + 2)

    execute(engine, f"DELETE FROM ledger_event WHERE seq > {total}")
    broken = auditor.get("/api/v1/ledger/verify").get_json()
    assert broken["intact"] is False and broken["broken_kind"] == "truncated"
    assert f"event {total + 2}, verified before as" in broken["reason"]

    portal, _user = login("auditor")
    page = portal.get("/ledger").get_data(as_text=True)
    assert "Ledger broken at event" in page and "Last verification:" in page


def test_full_verification_job_records_when_it_ran(
    app: Any, engine: sa.Engine, settings: Any, make_actor: Any
) -> None:
    from app.db import session_scope
    from app.jobs.definitions import JOBS, JobContext

    append_many(engine, 3)
    context = JobContext(
        engine=engine, settings=settings, policy_engine=app.extensions["gatehouse.policy_engine"]
    )
    with session_scope(engine) as db:
        JOBS["ledger-verify"].run(context, db)
    body = make_actor("auditor").get("/api/v1/ledger/verify").get_json()
    assert body["last_full_at"] is not None and body["intact"] is True
