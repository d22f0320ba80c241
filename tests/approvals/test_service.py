"""The approval services on a real database and the real embedded policy engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.approvals import queries, service
from app.approvals.errors import (
    AlreadyVotedError,
    RequestClosedError,
    RoleNotHeldError,
    SeparationOfDutiesError,
    VoteValidationError,
)
from app.approvals.flows import PROMOTION_FLOW, RUN_FLOW
from app.db import session_scope
from app.models.datasets import DatasetFormat
from app.models.deployments import Deployment
from app.models.governance import ApprovalRequest, PolicyDecision
from app.models.ledger import LedgerEvent
from app.models.runs import FineTuneRun
from app.models.vocabulary import DeidentificationMethod
from app.policy.engine import PolicyEngine
from app.registry import datasets, model_versions, runs
from app.registry.errors import InvalidTransitionError
from app.registry.records import get_record
from app.registry.schemas import (
    DatasetCreate,
    DatasetVersionRegister,
    EvaluationCreate,
    ModelCardUpdate,
    RunCreate,
)
from app.registry.state_machines import RUN_MACHINE
from tests.approvals.conftest import ENGINEER, Registry


def _submit(session: Session, policy: PolicyEngine, run_id: int) -> service.GateRequestOutcome:
    """The engineer submits the run (the training_launch flow)."""
    return service.request_approval(
        session=session, engine=policy, flow=RUN_FLOW, subject_id=run_id, actor=ENGINEER
    )


def _ask_promotion(
    session: Session, policy: PolicyEngine, deployment_id: int
) -> service.GateRequestOutcome:
    """The release pipeline asks to promote the deployment (the production_promotion flow)."""
    return service.request_approval(
        session=session,
        engine=policy,
        flow=PROMOTION_FLOW,
        subject_id=deployment_id,
        actor="release-bot",
    )


def _promote(engine: sa.Engine, policy: PolicyEngine, registry: Registry) -> int:
    with session_scope(engine) as session:
        outcome = _ask_promotion(session, policy, registry.deployment_id)
        assert outcome.request is not None, outcome.decision.violations
        return outcome.request.id or 0


def _vote(engine: sa.Engine, policy: PolicyEngine, request_id: int, **kwargs: Any) -> Any:
    with session_scope(engine) as session:
        return service.vote(session=session, engine=policy, request_id=request_id, **kwargs)


def _state(engine: sa.Engine, model: Any, record_id: int) -> str:
    with session_scope(engine) as session:
        return str(get_record(session=session, model=model, record_id=record_id).state)


def _request(engine: sa.Engine, request_id: int) -> ApprovalRequest:
    with session_scope(engine) as session:
        request = session.get(ApprovalRequest, request_id)
        assert request is not None
        return request


def test_promotion_opens_on_approvals_only_deny_and_needs_both_roles(
    engine: sa.Engine, policy_engine: PolicyEngine, registry: Registry, people: dict[str, Any]
) -> None:
    with session_scope(engine) as session:
        outcome = _ask_promotion(session, policy_engine, registry.deployment_id)
        opening = outcome.decision
        # The policy itself says the only thing missing is the approvals.
        assert not opening.allow
        assert {v["control"] for v in opening.violations} == {service.APPROVALS_CONTROL}
        assert service.blocked_only_by_approvals(opening)
        request = outcome.request
        assert request is not None
        assert request.required_approvals == [
            {"role": "compliance_officer", "count": 1},
            {"role": "model_risk", "count": 1},
        ]
        assert request.input_sha256 == opening.evidence_sha256
        assert request.excluded_approvers == sorted({"release-bot", ENGINEER})
        assert request.expires_at - request.created_at == timedelta(days=14)
        request_id = request.id or 0
    assert _state(engine, Deployment, registry.deployment_id) == "promotion_requested"

    first = _vote(
        engine,
        policy_engine,
        request_id,
        voter="olivia",
        role="compliance_officer",
        decision="approve",
        comment="card reviewed",
    )
    assert first.final_decision is None and first.request.status == "pending"
    assert _state(engine, Deployment, registry.deployment_id) == "promotion_requested"

    second = _vote(
        engine, policy_engine, request_id, voter="marcus", role="model_risk", decision="approve"
    )
    assert second.final_decision is not None and second.final_decision.allow
    assert second.request.status == "approved"
    assert _state(engine, Deployment, registry.deployment_id) == "production"
    with session_scope(engine) as session:
        actions = [
            e.action
            for e in session.exec(
                select(LedgerEvent).where(LedgerEvent.subject_type == "approval_request")
            ).all()
        ]
    assert actions == [
        "approval.requested",
        "approval.vote_approve",
        "approval.vote_approve",
        "approval.approved",
    ]


def test_run_submission_and_approval(
    engine: sa.Engine, policy_engine: PolicyEngine, registry: Registry, people: dict[str, Any]
) -> None:
    with session_scope(engine) as session:
        outcome = _submit(session, policy_engine, registry.run_id)
        # The gate denies only for the approvals it requires: that opens the request.
        assert not outcome.decision.allow and outcome.request is not None
        assert {v["control"] for v in outcome.decision.violations} == {"COMMON-APPROVALS"}
        assert outcome.request.required_approvals == [{"role": "compliance_officer", "count": 1}]
        request_id = outcome.request.id or 0
    assert _state(engine, FineTuneRun, registry.run_id) == "submitted"
    done = _vote(
        engine,
        policy_engine,
        request_id,
        voter="olivia",
        role="compliance_officer",
        decision="approve",
    )
    assert done.request.status == "approved"
    assert _state(engine, FineTuneRun, registry.run_id) == "approved"
    with session_scope(engine) as session, pytest.raises(InvalidTransitionError):
        _submit(session, policy_engine, registry.run_id)


def test_denied_submission_keeps_the_run_draft_with_violations(
    engine: sa.Engine, policy_engine: PolicyEngine, people: dict[str, Any]
) -> None:
    with session_scope(engine) as session:
        dataset = datasets.create_dataset(
            session=session, data=DatasetCreate(name="raw-notes", owner=ENGINEER), actor=ENGINEER
        )
        version = datasets.register_version(
            session=session,
            dataset_id=dataset.id or 0,
            data=DatasetVersionRegister(
                format=DatasetFormat.OPENAI_CHAT,
                content_sha256="b" * 64,
                storage_uri="s3://datasets/raw-notes.jsonl",
                contains_phi=True,
                contains_pii=True,
                deidentification_method=DeidentificationMethod.NONE,
                data_subject_regions=["US"],
            ),
            actor=ENGINEER,
        )
        run = runs.create_run(
            session=session,
            data=RunCreate(
                name="raw-notes-sft",
                base_model="gpt-4o-mini",
                platform="openai",
                hosting="external",
                method="sft",
                dataset_version_ids=[version.id or 0],
            ),
            actor=ENGINEER,
        )
        run_id = run.id or 0
    with session_scope(engine) as session:
        outcome = _submit(session, policy_engine, run_id)
        assert outcome.request is None
        assert not outcome.decision.allow
        assert not service.blocked_only_by_approvals(outcome.decision)
        assert any(v["regulation"] == "HIPAA" for v in outcome.decision.violations)
    assert _state(engine, FineTuneRun, run_id) == "draft"
    with session_scope(engine) as session:
        stored = session.exec(
            select(PolicyDecision).where(PolicyDecision.subject_id == run_id)
        ).all()
        assert [d.allow for d in stored] == [False]
        assert session.exec(select(ApprovalRequest)).all() == []


def test_promotion_denied_by_another_control_opens_nothing(
    engine: sa.Engine, policy_engine: PolicyEngine, registry: Registry
) -> None:
    with session_scope(engine) as session:
        model_versions.add_evaluation(
            session=session,
            model_id=registry.model_id,
            data=EvaluationCreate(
                kind="red_team",
                name="jailbreaks",
                metrics={"prompts_tried": 100, "failures": 30},
                attack_category="jailbreak",
                severity="critical",
                open_findings=1,
            ),
            actor=ENGINEER,
        )
    with session_scope(engine) as session:
        outcome = _ask_promotion(session, policy_engine, registry.deployment_id)
        assert outcome.request is None
        assert "COMMON-RED-TEAM" in {v["control"] for v in outcome.decision.violations}
    assert _state(engine, Deployment, registry.deployment_id) == "staging"


@pytest.mark.parametrize(
    ("voter", "role", "reason"),
    [
        ("eli", "model_risk", "authored the run or developed the model"),
        ("release-bot", "compliance_officer", "requested it"),
    ],
)
def test_separation_of_duties(
    engine: sa.Engine,
    policy_engine: PolicyEngine,
    registry: Registry,
    make_actor: Any,
    voter: str,
    role: str,
    reason: str,
) -> None:
    # Give the excluded people the approver role, so only separation of duties stops them.
    make_actor(role, username=voter)
    request_id = _promote(engine, policy_engine, registry)
    with pytest.raises(SeparationOfDutiesError) as refused:
        _vote(engine, policy_engine, request_id, voter=voter, role=role, decision="approve")
    assert refused.value.status == 403
    assert reason in str(refused.value) and "separation of duties" in str(refused.value)


def test_vote_rules(
    engine: sa.Engine, policy_engine: PolicyEngine, registry: Registry, people: dict[str, Any]
) -> None:
    request_id = _promote(engine, policy_engine, registry)
    with pytest.raises(RoleNotHeldError):
        _vote(
            engine, policy_engine, request_id, voter="olivia", role="model_risk", decision="approve"
        )
    with pytest.raises(VoteValidationError, match="comment"):
        _vote(
            engine,
            policy_engine,
            request_id,
            voter="olivia",
            role="compliance_officer",
            decision="reject",
            comment="  ",
        )
    _vote(
        engine,
        policy_engine,
        request_id,
        voter="olivia",
        role="compliance_officer",
        decision="approve",
    )
    with pytest.raises(AlreadyVotedError):
        _vote(
            engine,
            policy_engine,
            request_id,
            voter="olivia",
            role="compliance_officer",
            decision="approve",
        )
    with session_scope(engine) as session:
        assert [r.id for r in queries.pending_for(session=session, username="marcus")] == [
            request_id
        ]
        assert queries.pending_for(session=session, username="olivia") == []
        assert queries.pending_for(session=session, username=ENGINEER) == []


def test_reject_closes_and_returns_the_deployment(
    engine: sa.Engine, policy_engine: PolicyEngine, registry: Registry, people: dict[str, Any]
) -> None:
    request_id = _promote(engine, policy_engine, registry)
    outcome = _vote(
        engine,
        policy_engine,
        request_id,
        voter="marcus",
        role="model_risk",
        decision="reject",
        comment="monitoring plan missing",
    )
    assert outcome.request.status == "rejected"
    assert "monitoring plan missing" in (outcome.request.close_reason or "")
    assert _state(engine, Deployment, registry.deployment_id) == "staging"
    with pytest.raises(RequestClosedError) as closed:
        _vote(
            engine,
            policy_engine,
            request_id,
            voter="olivia",
            role="compliance_officer",
            decision="approve",
        )
    assert closed.value.status == 409


def test_card_change_voids_the_approval(
    engine: sa.Engine, policy_engine: PolicyEngine, registry: Registry, people: dict[str, Any]
) -> None:
    request_id = _promote(engine, policy_engine, registry)
    _vote(
        engine,
        policy_engine,
        request_id,
        voter="olivia",
        role="compliance_officer",
        decision="approve",
    )
    with session_scope(engine) as session:
        card = model_versions.card_of(session=session, model_id=registry.model_id)
        assert card is not None
        sections = {**card.sections, "caveats": "Also weak on non-English questions."}
        model_versions.set_model_card(
            session=session,
            model_id=registry.model_id,
            data=ModelCardUpdate(sections=sections),
            actor=ENGINEER,
        )
    outcome = _vote(
        engine, policy_engine, request_id, voter="marcus", role="model_risk", decision="approve"
    )
    assert outcome.vote is None
    assert outcome.refusal is not None and "evidence changed" in outcome.refusal
    assert _request(engine, request_id).status == "void"
    assert _state(engine, Deployment, registry.deployment_id) == "staging"
    # Asking again opens a fresh request frozen to the new evidence.
    assert _promote(engine, policy_engine, registry) != request_id


def test_expiry_by_vote_and_by_the_scheduler(
    engine: sa.Engine, policy_engine: PolicyEngine, registry: Registry, people: dict[str, Any]
) -> None:
    request_id = _promote(engine, policy_engine, registry)
    later = _request(engine, request_id).expires_at + timedelta(seconds=1)
    outcome = _vote(
        engine,
        policy_engine,
        request_id,
        voter="olivia",
        role="compliance_officer",
        decision="approve",
        now=later,
    )
    assert outcome.refusal is not None and "expired" in outcome.refusal
    assert _request(engine, request_id).status == "expired"
    assert _state(engine, Deployment, registry.deployment_id) == "staging"

    with session_scope(engine) as session:
        run_request = _submit(session, policy_engine, registry.run_id).request
        assert run_request is not None
        run_request_id = run_request.id or 0
    with session_scope(engine) as session:
        assert service.expire_requests(session=session) == []
    with session_scope(engine) as session:
        expired = service.expire_requests(session=session, now=later + timedelta(days=15))
        assert [r.id for r in expired] == [run_request_id]
    assert _request(engine, run_request_id).status == "expired"
    # The run returns to rejected; its author may move it back to draft and resubmit.
    assert _state(engine, FineTuneRun, registry.run_id) == "rejected"
    assert "draft" in RUN_MACHINE.allowed_from("rejected")
