"""Attestations and separation of duties: the governed party cannot forge its evidence.

Each found reproduction of issue 11 is here: a developer's PATCH of the risk tier, a
developer attesting their own model, a validator who built the model, an approver who
edited the run, anyone editing or cancelling someone else's draft, an expired
attestation that still counted.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import select

from app.attestations.facts import FACTS
from app.auth.accounts import create_token, create_user
from app.cli import cli
from app.db import session_scope
from app.gates.input_builder import build_gate_input
from app.gates.service import evaluate_gate
from app.ledger import verify_chain
from app.models.base import utc_now
from app.models.governance import ApprovalRequest
from app.models.ledger import LedgerEvent
from app.policy.bundle import load_bundle
from tests.approvals.conftest import ENGINEER, FACT_RISK, Registry
from tests.approvals.conftest import attest_through_api as _attest
from tests.approvals.test_api_and_portal import _portal
from tests.conftest import Actor


def _promotion_decision(app: Any, engine: Any, registry: Registry) -> Any:
    with session_scope(engine) as session:
        decision = evaluate_gate(
            session=session,
            engine=app.extensions["gatehouse.policy_engine"],
            gate="production_promotion",
            subject_id=registry.deployment_id,
            actor="test",
        )
        return decision.allow, decision.result["required_approvals"], decision.violations


def test_the_developers_patch_of_the_risk_tier_is_refused_and_changes_nothing(
    app: Any, engine: Any, registry: Registry, people: dict[str, Any]
) -> None:
    """The found repro: PATCH {"risk_tier": "low"} dropped the model-risk approval."""
    _, before, _ = _promotion_decision(app, engine, registry)
    assert {"role": "model_risk", "count": 1} in before
    patched = people["engineer"].patch(
        f"/api/v1/models/{registry.model_id}", json={"risk_tier": "low"}
    )
    assert patched.status_code == 422
    assert patched.content_type == "application/problem+json"
    assert "governance fact" in patched.json["detail"] and "model_risk" in patched.json["detail"]
    _, after, _ = _promotion_decision(app, engine, registry)
    assert after == before


def test_the_developer_cannot_attest_and_is_told_why(
    registry: Registry, people: dict[str, Any], engine: Any
) -> None:
    refused = _attest(people["engineer"], "model_version", registry.model_id, "risk_tier", "low")
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json"
    assert "only the model_risk role records it" in refused.json["detail"]
    # A model_risk user who developed the model is refused too (independence).
    with session_scope(engine) as session:
        create_user(
            session=session,
            username="dev-risk",
            display_name="Developer in model risk",
            roles=["model_risk"],
            actor="test",
        )
    patched = people["engineer"].patch(
        f"/api/v1/models/{registry.model_id}", json={"developers": [ENGINEER, "dev-risk"]}
    )
    assert patched.status_code == 200, patched.json
    with session_scope(engine) as session:
        token = create_token(
            session=session, username="dev-risk", name="t", scopes=["read", "write"], actor="test"
        ).secret
    client = people["engineer"].client
    response = client.post(
        "/api/v1/attestations",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "subject_type": "model_version",
            "subject_id": registry.model_id,
            "fact": "validation",
            "value": "validated",
            "evidence_ref": "VAL-1",
            "justification": "my own model is fine",
        },
    )
    assert response.status_code == 403
    assert "developed the model" in response.json["detail"]
    assert "separation of duties" in response.json["detail"]


def test_model_risk_sets_the_tier_and_the_gate_follows(
    app: Any, engine: Any, registry: Registry, people: dict[str, Any]
) -> None:
    recorded = _attest(people["risk"], "model_version", registry.model_id, "risk_tier", "low")
    assert recorded.status_code == 201, recorded.json
    assert recorded.json["attested_by"] == "marcus" and recorded.json["role"] == "model_risk"
    _, required, _ = _promotion_decision(app, engine, registry)
    assert {"role": "model_risk", "count": 1} not in required
    listed = (
        people["engineer"]
        .get(
            "/api/v1/attestations",
            query_string={"subject_type": "model_version", "subject_id": registry.model_id},
        )
        .json
    )
    assert listed["current"]["risk_tier"] == "low"
    assert listed["items"][0]["fact"] == "risk_tier"
    with session_scope(engine) as session:
        events = session.exec(
            select(LedgerEvent).where(LedgerEvent.action == "attestation.recorded")
        ).all()
        assert any(e.payload["fact"] == "risk_tier" and e.actor == "marcus" for e in events)
        assert verify_chain(session=session).intact


def test_an_expired_attestation_counts_as_missing(
    app: Any, engine: Any, registry: Registry
) -> None:
    from app.attestations.service import attest

    with session_scope(engine) as session:
        attest(
            session=session,
            subject_type="model_version",
            subject_id=registry.model_id,
            fact="risk_tier",
            value="low",
            evidence_ref="MRM-1",
            justification="annual review",
            expires_at=utc_now() + timedelta(seconds=1),
            actor=FACT_RISK,
        )
    with session_scope(engine) as session:
        decision = evaluate_gate(
            session=session,
            engine=app.extensions["gatehouse.policy_engine"],
            gate="production_promotion",
            subject_id=registry.deployment_id,
            actor="test",
            now=utc_now() + timedelta(days=1),
        )
        required = decision.result["required_approvals"]
        document = build_gate_input(
            session=session,
            gate="production_promotion",
            subject_id=registry.deployment_id,
            now=utc_now() + timedelta(days=1),
        ).document()
    # The newer attestation expired: the tier is unknown (so counts as high), not back to
    # the older "high" and not the expired "low".
    assert document["model"]["risk_tier"] is None
    assert {"role": "model_risk", "count": 1} in required


def test_an_attestation_voids_the_pending_request_whose_evidence_it_changed(
    engine: Any, registry: Registry, people: dict[str, Any]
) -> None:
    opened = people["pipeline"].post(f"/api/v1/deployments/{registry.deployment_id}/promote")
    assert opened.status_code == 201, opened.json
    request_id = opened.json["approval_request"]["id"]
    recorded = _attest(people["risk"], "model_version", registry.model_id, "monitoring", False)
    assert recorded.status_code == 201, recorded.json
    assert recorded.json["voided_requests"] == [request_id]
    with session_scope(engine) as session:
        request = session.get(ApprovalRequest, request_id)
        assert request is not None and request.status == "void"
        assert "attestation" in (request.close_reason or "")


@pytest.mark.parametrize(
    ("fact", "value", "status", "detail"),
    [
        ("risk_tier", "extreme", 422, "invalid value for fact 'risk_tier'"),
        ("no_such_fact", True, 422, "unknown fact 'no_such_fact'"),
        ("hosting", "internal", 422, "about a finetune run, not a model version"),
    ],
)
def test_malformed_attestations_are_clear_client_errors(
    registry: Registry, people: dict[str, Any], fact: str, value: Any, status: int, detail: str
) -> None:
    response = _attest(people["risk"], "model_version", registry.model_id, fact, value)
    assert response.status_code == status
    assert detail in response.json["detail"]


def test_declared_hosting_does_not_reach_the_gate(
    app: Any, engine: Any, registry: Registry, people: dict[str, Any]
) -> None:
    """A requester declaring ``internal`` hosting no longer switches the BAA check off."""
    with session_scope(engine) as session:
        document = build_gate_input(
            session=session, gate="training_launch", subject_id=registry.run_id, now=utc_now()
        ).document()
    assert document["run"]["hosting"] is None
    recorded = _attest(people["officer"], "finetune_run", registry.run_id, "hosting", "internal")
    assert recorded.status_code == 201, recorded.json
    with session_scope(engine) as session:
        document = build_gate_input(
            session=session, gate="training_launch", subject_id=registry.run_id, now=utc_now()
        ).document()
    assert document["run"]["hosting"] == "internal"


def test_the_fact_owners_agree_with_the_policy_data() -> None:
    """The Rego messages name the same owning role as the attestation service enforces."""
    policies = Path(__file__).resolve().parents[2] / "policies"
    owners = load_bundle(policy_dir=policies).data["gatehouse"]["fact_owners"]
    assert owners == {name: spec.owner for name, spec in FACTS.items()}


def test_an_admin_who_edited_the_run_may_not_approve_it(
    engine: Any, registry: Registry, people: dict[str, Any], make_actor: Any
) -> None:
    with session_scope(engine) as session:
        create_user(
            session=session,
            username="ada",
            display_name="Ada",
            roles=["admin", "compliance_officer"],
            actor="test",
        )
        token = create_token(
            session=session,
            username="ada",
            name="t",
            scopes=["read", "write", "approve"],
            actor="test",
        ).secret
    admin = Actor(username="ada", role="admin", token=token, client=people["engineer"].client)
    edited = admin.patch(f"/api/v1/runs/{registry.run_id}", json={"gpu_count": 4})
    assert edited.status_code == 200, edited.json
    opened = people["engineer"].post(f"/api/v1/runs/{registry.run_id}/submit")
    assert opened.status_code == 201, opened.json
    request_id = opened.json["approval_request"]["id"]
    assert "ada" in opened.json["approval_request"]["excluded_approvers"]
    vote = admin.post(
        f"/api/v1/approvals/{request_id}/votes",
        json={"decision": "approve", "comment": "fine", "role": "compliance_officer"},
    )
    assert vote.status_code == 403
    assert "separation of duties" in vote.json["detail"]


def test_only_requester_authors_or_admin_change_a_draft(
    engine: Any, registry: Registry, people: dict[str, Any], make_actor: Any
) -> None:
    other = make_actor("ml_engineer", username="mallory")
    edit = other.patch(f"/api/v1/runs/{registry.run_id}", json={"gpu_count": 64})
    assert edit.status_code == 403
    assert "only its requester (eli), its authors or an admin" in edit.json["detail"]
    cancel = other.post(f"/api/v1/runs/{registry.run_id}/transitions", json={"to": "cancelled"})
    assert cancel.status_code == 403
    attach = other.post(f"/api/v1/runs/{registry.run_id}/datasets", json={"dataset_version_id": 1})
    assert attach.status_code == 403


def test_cancelling_a_run_closes_its_pending_request(
    engine: Any, registry: Registry, people: dict[str, Any]
) -> None:
    opened = people["engineer"].post(f"/api/v1/runs/{registry.run_id}/submit")
    assert opened.status_code == 201, opened.json
    request_id = opened.json["approval_request"]["id"]
    cancelled = people["engineer"].post(
        f"/api/v1/runs/{registry.run_id}/transitions", json={"to": "cancelled", "reason": "no"}
    )
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["state"] == "cancelled"
    with session_scope(engine) as session:
        request = session.get(ApprovalRequest, request_id)
        assert request is not None and request.status == "void"
        assert request.close_reason == f"the run was cancelled by {ENGINEER}"
        closing = session.exec(
            select(LedgerEvent).where(
                LedgerEvent.action == "approval.void", LedgerEvent.subject_id == str(request_id)
            )
        ).one()
        assert closing.actor == ENGINEER


def _attest_cli(live_url: str, actor: Any, *args: str) -> Any:
    """``gatehouse attest ...`` as ``actor``: an HTTP client with the person's own token."""
    return CliRunner().invoke(
        cli, ["attest", *args], env={"GATEHOUSE_URL": live_url, "GATEHOUSE_TOKEN": actor.token}
    )


def test_cli_attest_refusal_is_one_line(
    live_url: str, registry: Registry, people: dict[str, Any]
) -> None:
    """The attester is the token's owner: the developer cannot attest by typing another
    name (the command has no ``--actor`` any more)."""
    args = ["record", "model_version", str(registry.model_id), "risk_tier", "low"]
    args += ["--evidence", "x", "--justification", "y"]
    result = _attest_cli(live_url, people["engineer"], *args)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "only the model_risk role records it" in lines[0]
    impersonating = _attest_cli(live_url, people["engineer"], *args, "--actor", FACT_RISK)
    assert impersonating.exit_code == 2 and "No such option '--actor'" in impersonating.output
    listed = _attest_cli(
        live_url, people["engineer"], "list", "model_version", str(registry.model_id)
    )
    assert listed.exit_code == 0 and "risk_tier" in listed.output and FACT_RISK in listed.output


def test_every_door_marks_the_attestations_the_gates_no_longer_read(
    app: Any, engine: Any, live_url: str, registry: Registry, people: dict[str, Any]
) -> None:
    """A superseded attestation is history, not a fact in force: the API says which one the
    gates read, and the CLI and the portal mark the others (the portal used to mark only an
    expired one, the CLI worked expiry out for itself)."""
    from app.attestations.current import attestation_history

    subject = ("model_version", registry.model_id)
    assert _attest(people["risk"], *subject, "risk_tier", "medium").status_code == 201
    listed = people["officer"].get(
        "/api/v1/attestations",
        query_string={"subject_type": subject[0], "subject_id": subject[1]},
    )
    assert listed.status_code == 200, listed.json
    tiers = [item for item in listed.json["items"] if item["fact"] == "risk_tier"]
    assert [(item["value"], item["in_force"]) for item in tiers] == [
        ("medium", True),
        ("high", False),
    ]
    assert listed.json["current"]["risk_tier"] == "medium"
    assert all(item["in_force"] for item in listed.json["items"] if item["fact"] != "risk_tier")

    cli_lines = _attest_cli(live_url, people["officer"], "list", *map(str, subject)).output
    marked = [
        line
        for line in cli_lines.splitlines()
        if line.endswith("(not in force: expired or superseded)")
    ]
    assert len(marked) == 1 and '"high"' in marked[0]

    page = _portal(app, "olivia").get(f"/models/{registry.model_id}").text
    assert page.count("(expired or superseded)") == 1

    # A day later, an attestation that expired meanwhile is out of force too.
    expiring = _attest(
        people["risk"],
        *subject,
        "monitoring",
        True,
        expires_at=(utc_now() + timedelta(hours=1)).isoformat(),
    )
    assert expiring.status_code == 201, expiring.json
    with session_scope(engine) as session:
        later = attestation_history(
            session=session,
            subject_type=subject[0],
            subject_id=subject[1],
            now=utc_now() + timedelta(days=1),
        )
    standing = {item.id: in_force for item, in_force in later}
    assert standing[expiring.json["id"]] is False
    assert standing[tiers[0]["id"]] is True


def test_cli_and_portal_read_a_typed_value_alike(
    live_url: str, registry: Registry, people: dict[str, Any]
) -> None:
    """Blanks around a typed value are dropped at either door (the portal always did)."""
    args = ["record", "model_version", str(registry.model_id), "risk_tier", " medium "]
    result = _attest_cli(
        live_url, people["risk"], *args, "--evidence", "MRM-9", "--justification", "tiering"
    )
    assert result.exit_code == 0, result.output
    assert f'= "medium" by {people["risk"].username} (model_risk)' in result.output
    listed = _attest_cli(live_url, people["risk"], "list", "model_version", str(registry.model_id))
    assert '"medium"' in listed.output and '" medium "' not in listed.output


def test_portal_attestation_form_flashes_the_reason(
    app: Any, registry: Registry, people: dict[str, Any]
) -> None:
    portal = _portal(app, ENGINEER)
    page = portal.get(f"/models/{registry.model_id}")
    assert page.status_code == 200 and "Attested facts" in page.text
    back = f"/models/{registry.model_id}"
    refused = portal.post(
        "/attestations",
        data={
            "subject_type": "model_version",
            "subject_id": str(registry.model_id),
            "back": back,
            "fact": "risk_tier",
            "value": "low",
            "evidence_ref": "self",
            "justification": "trust me",
        },
        follow_redirects=True,
    )
    assert "attestation refused" in refused.text and "only the model_risk role" in refused.text
    risk = _portal(app, "marcus")
    done = risk.post(
        "/attestations",
        data={
            "subject_type": "model_version",
            "subject_id": str(registry.model_id),
            "back": back,
            "fact": "risk_tier",
            "value": "medium",
            "evidence_ref": "MRM-9",
            "justification": "tiering review",
        },
        follow_redirects=True,
    )
    assert "risk_tier attested and recorded in the ledger" in done.text
    assert "&#34;medium&#34;" in done.text or '"medium"' in done.text
