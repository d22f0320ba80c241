"""``gatehouse ledger reconcile``: the rows the gates read against the events that recorded them.

Found by our security tester with write access to the demo's database: changing an
attestation's BAA vendor changed what the training gate decided, and changing a vote's
voter went unnoticed too, while ``gatehouse ledger verify`` still said "ledger intact"
(the chain was untouched; the tables beside it were not).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from app.cli import cli
from tests.approvals.conftest import Registry

CHANGES = {
    "attestation": "UPDATE attestation SET value = '\"tampered-tier\"' WHERE fact = 'risk_tier'",
    "approval_vote": "UPDATE approval_vote SET voter = 'mallory-forger'",
    "dataset_version": "UPDATE dataset_version SET contains_phi = true WHERE id = :version",
    "approval_request": "UPDATE approval_request SET status = 'approved'",
}
FORGED_ATTESTATION = """
INSERT INTO attestation (subject_type, subject_id, fact, value, evidence_ref, evidence_sha256,
                         attested_by, role, attested_at, justification, expires_at)
SELECT subject_type, subject_id, fact, value, evidence_ref, evidence_sha256,
       attested_by, role, attested_at, justification, expires_at
FROM attestation WHERE fact = 'validation'
"""


def test_rows_changed_behind_the_ledgers_back_are_named(
    app: Any, engine: sa.Engine, registry: Registry, people: dict[str, Any]
) -> None:
    opened = people["pipeline"].post(f"/api/v1/deployments/{registry.deployment_id}/promote")
    assert opened.status_code == 201, opened.json
    request_id = opened.json["approval_request"]["id"]
    voted = people["officer"].post(
        f"/api/v1/approvals/{request_id}/votes", json={"decision": "approve", "comment": "ok"}
    )
    assert voted.status_code == 200, voted.json
    runner = app.test_cli_runner()

    honest = runner.invoke(cli, ["ledger", "reconcile"])
    assert honest.exit_code == 0, honest.output
    assert honest.output.strip().endswith("rows are what the ledger recorded")

    with engine.begin() as connection:
        for statement in CHANGES.values():
            connection.execute(sa.text(statement), {"version": registry.dataset_version_id})
        connection.execute(sa.text(FORGED_ATTESTATION))
    assert runner.invoke(cli, ["ledger", "verify"]).exit_code == 0  # the chain is intact

    tampered = runner.invoke(cli, ["ledger", "reconcile"])
    assert tampered.exit_code == 1
    *found, summary = tampered.output.splitlines()
    assert summary.startswith("Error: ") and summary.endswith(
        "rows are not what the ledger recorded"
    )
    assert any(
        re.fullmatch(r"attestation \d+: value: not what the ledger recorded", line)
        for line in found
    )
    assert any(re.fullmatch(r"attestation \d+: no ledger event records it", line) for line in found)
    assert any(
        re.fullmatch(r"approval_vote \d+: voter: not what the ledger recorded", line)
        for line in found
    )
    assert (
        f"dataset_version {registry.dataset_version_id}: contains_phi: not what the ledger recorded"
        in found
    )
    assert f"approval_request {request_id}: status: not what the ledger recorded" in found
    # Values are never printed: what was written is not repeated to whoever reads the output.
    assert "tampered-tier" not in tampered.output and "mallory-forger" not in tampered.output


def test_a_request_changed_after_it_opened_is_named_field_by_field(
    app: Any, engine: sa.Engine, registry: Registry, people: dict[str, Any]
) -> None:
    """A request is frozen to the evidence, approvers and expiry it opened with: taking
    oneself off its excluded approvers, making its evidence digest match new evidence or
    pushing its expiry back is named, though its status still agrees with the ledger."""
    opened = people["pipeline"].post(f"/api/v1/deployments/{registry.deployment_id}/promote")
    assert opened.status_code == 201, opened.json
    request_id = opened.json["approval_request"]["id"]
    runner = app.test_cli_runner()
    assert runner.invoke(cli, ["ledger", "reconcile"]).exit_code == 0
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE approval_request SET excluded_approvers = '[]', input_sha256 = :digest,"
                " expires_at = '2099-01-01 00:00:00.000000' WHERE id = :id"
            ),
            {"digest": "0" * 64, "id": request_id},
        )
    tampered = runner.invoke(cli, ["ledger", "reconcile"])
    assert tampered.exit_code == 1, tampered.output
    assert (
        f"approval_request {request_id}: excluded_approvers, expires_at, input_sha256: "
        "not what the ledger recorded" in tampered.output.splitlines()
    )


def test_a_deleted_row_or_lineage_link_the_ledger_recorded_is_named(
    app: Any, engine: sa.Engine, registry: Registry, people: dict[str, Any]
) -> None:
    """Deleting the newest attestation of a fact brings its older value back: our tester
    deleted a compliance officer's "not encrypted" and the control passed again, while
    reconcile, which compared only the rows still there, found nothing. Deleting a run's
    dataset link took the dataset's HIPAA controls off the run."""
    runner = app.test_cli_runner()
    assert runner.invoke(cli, ["ledger", "reconcile"]).exit_code == 0
    with engine.begin() as connection:
        (attestation_id,) = connection.execute(
            sa.text("SELECT max(id) FROM attestation WHERE fact = 'risk_tier'")
        ).one()
        connection.execute(
            sa.text("DELETE FROM attestation WHERE id = :id"), {"id": attestation_id}
        )
        connection.execute(
            sa.text("DELETE FROM run_dataset WHERE run_id = :id"), {"id": registry.run_id}
        )
    tampered = runner.invoke(cli, ["ledger", "reconcile"])
    assert tampered.exit_code == 1, tampered.output
    found = tampered.output.splitlines()
    assert f"attestation {attestation_id}: ledgered, but its row is gone" in found
    assert (
        f"run_dataset {registry.run_id}: the run's datasets are not what the ledger recorded"
        in found
    )
