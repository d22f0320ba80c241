"""Erasure requests (GDPR Art. 17) can be closed through the API and the CLI, once."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from sqlmodel import select

from app.cli import cli
from app.models.ledger import LedgerEvent
from tests.foundation.helpers import make_lineage


def test_an_erasure_request_is_resolved_once_through_the_api_and_the_cli(
    live_url: str, make_actor: Any, session: Any
) -> None:
    engineer = make_actor("ml_engineer")
    officer = make_actor("compliance_officer")
    version_id = make_lineage(engineer)["version"]
    path = f"/api/v1/datasets/versions/{version_id}/erasure-requests"
    first = officer.post(path, json={"reference": "DSR-2026-31"}).get_json()
    second = officer.post(path, json={"reference": "DSR-2026-32"}).get_json()

    refused = engineer.post(
        f"/api/v1/datasets/erasure-requests/{first['id']}/resolution",
        json={"resolution": "rows removed"},
    )
    assert refused.status_code == 403
    resolved = officer.post(
        f"/api/v1/datasets/erasure-requests/{first['id']}/resolution",
        json={"resolution": "3 rows removed; run notes-sft retrained"},
    )
    assert resolved.status_code == 200, resolved.get_data(as_text=True)
    body = resolved.get_json()
    assert body["resolved_at"] and body["resolution"].startswith("3 rows removed")
    again = officer.post(
        f"/api/v1/datasets/erasure-requests/{first['id']}/resolution",
        json={"resolution": "again"},
    )
    assert again.status_code == 409
    assert again.headers["Content-Type"].startswith("application/problem+json")
    still_open = engineer.get(f"/api/v1/datasets/versions/{version_id}").get_json()
    assert [e["reference"] for e in still_open["open_erasure_requests"]] == ["DSR-2026-32"]

    steward = {"GATEHOUSE_URL": live_url, "GATEHOUSE_TOKEN": officer.token}
    arguments = ["dataset", "resolve-erasure", str(second["id"]), "--resolution"]
    runner = CliRunner()
    by_engineer = runner.invoke(
        cli, [*arguments, "rows removed"], env={**steward, "GATEHOUSE_TOKEN": engineer.token}
    )
    assert by_engineer.exit_code == 1 and "resolution refused" in by_engineer.output
    closed = runner.invoke(cli, [*arguments, "rows removed"], env=steward)
    assert closed.exit_code == 0, closed.output
    assert "resolved (ledgered with your name)" in closed.output
    repeated = runner.invoke(cli, [*arguments, "again"], env=steward)
    assert repeated.exit_code == 1 and "already resolved" in repeated.output
    assert "Traceback" not in repeated.output
    assert (
        engineer.get(f"/api/v1/datasets/versions/{version_id}").get_json()["open_erasure_requests"]
        == []
    )
    events = session.exec(
        select(LedgerEvent).where(LedgerEvent.action == "erasure_request.resolved")
    ).all()
    assert [event.actor for event in events] == [officer.username, officer.username]
