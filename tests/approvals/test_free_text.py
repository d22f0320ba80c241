"""Free text the ledger keeps (vote comments, transition, cancellation and supersession
reasons, answers to denials) holding a direct identifier is refused before anything is
stored, through the API, the portal and the CLI alike: a 422 naming the field and the
kind of identifier, never the value. Person names pass: reviewers name colleagues."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import func, select

from app.cli import cli
from app.db import session_scope
from app.models.governance import ApprovalVote
from app.models.ledger import LedgerEvent
from app.models.model_versions import Evaluation
from tests.approvals.conftest import Registry
from tests.conftest import TEST_PASSWORD

#: A valid-looking synthetic SSN (presidio-style validity: no 000, 666 or 9xx area).
SSN = "219-09-9999"


def _events(engine: sa.Engine) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(LedgerEvent)).one())


def _refused(response: Any, field: str, kind: str, value: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["title"] == "Direct identifier in free text"
    assert problem["errors"][0]["loc"] == [field]
    assert problem["detail"].startswith(f"{field}: ") and kind in problem["detail"]
    assert value not in response.get_data(as_text=True)


def _promotion_request(people: dict[str, Any], registry: Registry) -> int:
    response = people["pipeline"].post(f"/api/v1/deployments/{registry.deployment_id}/promote")
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["approval_request"]["id"])


def test_a_vote_comment_with_an_identifier_is_refused_in_the_api_and_the_portal(
    app: Any, engine: sa.Engine, registry: Registry, people: dict[str, Any]
) -> None:
    request_id = _promotion_request(people, registry)
    portal = app.test_client()
    login = {"username": people["risk"].username, "password": TEST_PASSWORD}
    assert portal.post("/login", data=login).status_code == 302
    before = _events(engine)
    votes = f"/api/v1/approvals/{request_id}/votes"
    for comment, kind, value in (
        (f"sample 4 leaks the patient's SSN {SSN}", "social security number", SSN),
        ("see row 3, MRN 40718825", "medical record number", "40718825"),
        ("card 4111 1111 1111 1111 in the prompt", "payment card number", "4111"),
    ):
        answer = people["officer"].post(votes, json={"decision": "reject", "comment": comment})
        _refused(answer, "comment", kind, value)
    page = portal.post(
        f"/approvals/{request_id}/vote",
        data={"decision": "reject", "role": "model_risk", "comment": "ask jo@clinic.example"},
    )
    assert page.status_code == 422 and "e-mail address" in page.text
    assert "jo@clinic.example" not in page.text.split("<textarea")[0]
    with session_scope(engine) as session:
        assert session.exec(select(ApprovalVote)).all() == []
    assert _events(engine) == before
    # A colleague's name is not a direct identifier.
    named = people["officer"].post(
        votes, json={"decision": "approve", "comment": "checked with Olivia Park and Dr Lee"}
    )
    assert named.status_code == 200, named.get_json()


def test_transition_and_cancellation_reasons_with_an_identifier_are_refused(
    engine: sa.Engine, registry: Registry, people: dict[str, Any]
) -> None:
    engineer = people["engineer"]
    before = _events(engine)
    run = f"/api/v1/runs/{registry.run_id}"
    moved = engineer.post(
        f"{run}/transitions", json={"to": "cancelled", "reason": "per jo@clinic.example"}
    )
    _refused(moved, "reason", "e-mail address", "jo@clinic.example")
    cancelled = engineer.post(f"{run}/cancel", json={"reason": "patient called (555) 201-7788"})
    _refused(cancelled, "reason", "phone number", "201-7788")
    retired = engineer.post(
        f"/api/v1/deployments/{registry.deployment_id}/transitions",
        json={"to": "retired", "reason": "account #: 99887766 closed"},
    )
    _refused(retired, "reason", "account number", "99887766")
    assert engineer.get(run).get_json()["state"] == "draft"
    deployment = engineer.get(f"/api/v1/deployments/{registry.deployment_id}").get_json()
    assert deployment["state"] == "staging"
    assert _events(engine) == before


def test_the_cli_refuses_with_one_line_and_nothing_stored(
    live_url: str, engine: sa.Engine, registry: Registry, people: dict[str, Any], make_actor: Any
) -> None:
    with session_scope(engine) as session:
        evaluation = session.exec(select(Evaluation)).first()
        assert evaluation is not None and evaluation.id is not None
    reviewer = make_actor("model_risk")
    before = _events(engine)
    env = {"GATEHOUSE_URL": live_url, "GATEHOUSE_TOKEN": reviewer.token}
    reason = f"withdrawn: the report quotes SSN {SSN}"
    result = CliRunner().invoke(
        cli, ["evaluation", "supersede", str(evaluation.id), "--reason", reason], env=env
    )
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "social security number" in lines[0] and SSN not in lines[0]
    cancel = CliRunner().invoke(
        cli,
        ["run", "cancel", str(registry.run_id), "--reason", "IBAN GB82 WEST 1234 5698 7654 32"],
        env={**env, "GATEHOUSE_TOKEN": people["engineer"].token},
    )
    assert cancel.exit_code == 1 and "account number" in cancel.output
    assert _events(engine) == before


def test_an_attestations_evidence_reference_with_an_identifier_is_refused(
    engine: sa.Engine, registry: Registry, people: dict[str, Any]
) -> None:
    """The reference is ledgered with the attestation, like its justification."""
    before = _events(engine)
    response = people["risk"].post(
        "/api/v1/attestations",
        json={
            "subject_type": "model_version",
            "subject_id": registry.model_id,
            "fact": "risk_tier",
            "value": "high",
            "evidence_ref": f"validation memo for patient SSN {SSN}",
            "justification": "reviewed the validation report",
        },
    )
    _refused(response, "evidence_ref", "social security number", SSN)
    assert _events(engine) == before


def test_a_deactivation_reason_with_an_identifier_is_refused(app: Any, engine: sa.Engine) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(
        cli, ["user", "create", "vic", "--role", "auditor", "--password-stdin"],
        input="a long enough password\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    before = _events(engine)
    refused = runner.invoke(
        cli, ["user", "deactivate", "vic", "--reason", f"left; SSN on file {SSN}"]
    )
    assert refused.exit_code == 1 and refused.output.count("\n") == 1
    assert "social security number" in refused.output and SSN not in refused.output
    assert _events(engine) == before


def test_an_answer_to_a_denial_with_an_identifier_is_refused_in_the_portal(
    app: Any, engine: sa.Engine, registry: Registry, people: dict[str, Any]
) -> None:
    asked = people["pipeline"].post(
        "/api/v1/gates/training_launch", json={"subject_id": registry.run_id}
    )
    decision = asked.get_json()
    assert asked.status_code == 200 and decision["allow"] is False, decision
    portal = app.test_client()
    login = {"username": people["engineer"].username, "password": TEST_PASSWORD}
    assert portal.post("/login", data=login).status_code == 302
    before = _events(engine)
    page = portal.post(
        f"/decisions/{decision['id']}/answers",
        data={"text": f"the approver has the SSN {SSN} on file"},
        follow_redirects=True,
    )
    assert "answer not recorded" in page.text and "social security number" in page.text
    assert SSN not in page.text
    assert _events(engine) == before
    accepted = portal.post(
        f"/decisions/{decision['id']}/answers",
        data={"text": "the data owner, Maria Silva, confirmed the licence"},
        follow_redirects=True,
    )
    assert "answer recorded in the ledger" in accepted.text
