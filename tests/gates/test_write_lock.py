"""Asking a gate holds no write lock while the engine decides, so an engine that hangs
(here an OPA server that accepts and never answers) blocks no other writer: not on
SQLite (the database's write lock) nor on PostgreSQL (the ledger's lock)."""

from __future__ import annotations

import threading
from typing import Any

from app import create_app
from app.db import session_scope
from app.ledger import append_event, recent_events
from app.models.vocabulary import LedgerSubject
from tests.conftest import SilentServer


def test_a_hung_engine_blocks_no_other_write(
    settings: Any, seeded: Any, make_actor: Any, engine: Any, silent_server: SilentServer
) -> None:
    hung = create_app(
        settings.with_overrides(policy_engine="opa", opa_url=silent_server.url, policy_timeout_s=60)
    )
    bot = make_actor("pipeline")
    answers: list[Any] = []

    def ask() -> None:
        answers.append(
            hung.test_client().post(
                "/api/v1/gates/production_promotion",
                json={"subject_id": seeded.ids["credit_deployment"]},
                headers=bot.headers(),
            )
        )

    asking = threading.Thread(target=ask)
    asking.start()
    try:
        assert silent_server.called.wait(60), "the gate never reached the engine"
        with session_scope(engine) as db:
            unrelated = append_event(
                session=db,
                actor="registrar",
                action="deployment.updated",
                subject_type=LedgerSubject.DEPLOYMENT,
                subject_id=seeded.ids["credit_deployment"],
            )
        # Written and committed while the gate still waits for its engine.
        still_deciding = asking.is_alive()
    finally:
        silent_server.close()
        asking.join()
        hung.extensions["gatehouse.policy_engine"].close()
        hung.extensions["gatehouse.engine"].dispose()
    assert still_deciding
    decision = answers[0].get_json()
    assert answers[0].status_code == 200, decision
    # The engine gave no answer, so the gate allowed nothing; its event follows the other.
    assert decision["outcome"] == "indeterminate" and decision["allow"] is False
    with session_scope(engine) as db:
        newest = recent_events(session=db, limit=1)[0]
    assert newest.action == "gate.indeterminate" and newest.seq > unrelated.seq
