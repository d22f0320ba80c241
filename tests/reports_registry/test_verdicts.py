"""A report's verdict on an audit is the gate's: the control outcomes stored with the decision.

The fixture's German Credit model (domain credit) is judged by the fair-lending control at
the production-promotion gate. An audit whose adverse impact ratio clears the four-fifths
minimum but which is older than the policy's freshness limit passes the ratio and fails
the gate; the report must say what the gate said.
"""

from __future__ import annotations

from datetime import timedelta

from app.db import session_scope
from app.gates.service import evaluate_gate
from app.models.evidence import AuditRun
from app.models.governance import PolicyDecision
from app.policy.bundle import load_bundle
from app.reports.prepared import ReportRequest
from app.reports.service import build_context
from app.reports.verdicts import judged_audit_ids
from tests.reports.conftest import pdf_text
from tests.reports_registry.conftest import World, generate_in_session

FAIR_LENDING = "FIN-FAIR-LENDING"


def _thresholds(world: World) -> dict:
    bundle = load_bundle(
        policy_dir=world.settings.policy_dir, extra_data_path=world.settings.policy_data_override
    )
    return bundle.data["gatehouse"]["thresholds"]["fairness"]


def _ask_promotion_gate(world: World) -> PolicyDecision:
    with session_scope(world.engine) as session:
        return evaluate_gate(
            session=session,
            engine=world.app.extensions["gatehouse.policy_engine"],
            gate="production_promotion",
            subject_id=world.ids["credit_deployment"],
            actor="test",
        )


def _audit_verdict(world: World, audit_id: int) -> tuple[str, list[dict]]:
    with session_scope(world.engine) as session:
        prepared = build_context(
            session=session,
            settings=world.settings,
            request=ReportRequest("audit_report", subject_id=audit_id),
            actor="marcus",
        )
    return prepared.context["audit"]["verdict"], prepared.context["findings"]


def _gate_status(decision: PolicyDecision, control_id: str) -> str:
    return next(
        outcome["status"]
        for outcome in decision.result["controls"]
        if outcome["control_id"] == control_id
    )


def test_an_audit_no_gate_has_seen_is_not_judged_never_passed(world: World) -> None:
    limits = _thresholds(world)
    with session_scope(world.engine) as session:
        unseen = AuditRun(
            model_version_id=world.ids["ready_model"],
            kind="fairness",
            status="succeeded",
            parameters={},
            summary={"adverse_impact_ratio": 0.99, "equalized_odds_difference": 0.0},
            results={"headline": {"adverse_impact_ratio": {"value": 0.99}}},
            requested_by="marcus",
        )
        session.add(unseen)
        session.flush()
        unseen_id = unseen.id or 0
    assert limits["min_adverse_impact_ratio"] <= 0.99
    verdict, _ = _audit_verdict(world, unseen_id)
    assert verdict == "not_judged"


def test_a_reports_verdict_and_the_gates_decision_can_no_longer_disagree(world: World) -> None:
    limits = _thresholds(world)
    fresh = _ask_promotion_gate(world)
    assert str(world.ids["audit"]) in judged_audit_ids(fresh)
    verdict, _ = _audit_verdict(world, world.ids["audit"])
    assert verdict == _gate_status(fresh, FAIR_LENDING)

    # Passes the ratio and the odds bound, but finished long before the freshness limit.
    finished = fresh.created_at - timedelta(days=limits["max_audit_age_days"] + 30)
    with session_scope(world.engine) as session:
        stale = AuditRun(
            model_version_id=world.ids["credit_model"],
            kind="fairness",
            status="succeeded",
            parameters={},
            summary={
                "adverse_impact_ratio": limits["min_adverse_impact_ratio"] + 0.1,
                "equalized_odds_difference": 0.0,
            },
            results=session.get(AuditRun, world.ids["audit"]).results,
            requested_by="marcus",
            started_at=finished,
            finished_at=finished,
        )
        session.add(stale)
        session.flush()
        stale_id = stale.id or 0

    decision = _ask_promotion_gate(world)
    assert not decision.allow
    assert str(stale_id) in judged_audit_ids(decision)
    assert _gate_status(decision, FAIR_LENDING) == "fail"
    age_violations = [
        violation["message"]
        for violation in decision.violations
        if violation["control"] == FAIR_LENDING and "days old" in violation["message"]
    ]
    assert age_violations, decision.violations

    verdict, findings = _audit_verdict(world, stale_id)
    assert verdict == "fail"
    assert {finding["message"] for finding in findings} >= set(age_violations)

    with session_scope(world.engine) as session:
        report = generate_in_session(
            session=session,
            settings=world.settings,
            kind="audit_report",
            actor="marcus",
            subject_id=stale_id,
        )
    text = pdf_text((world.settings.storage_dir / report.storage_path).read_bytes())
    assert "Verdict of the gate: FAIL" in " ".join(text.split())
    assert "days old" in text
