"""Findings move open -> mitigated | accepted -> closed, decided independently, ledgered;
the demo's notes model is denied by its garak leakage finding until it is mitigated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from app.approvals import service as approvals
from app.approvals.flows import PROMOTION_FLOW
from app.db import session_scope
from app.demo.evidence import import_notes_evidence
from app.demo.seed import DemoSeed
from app.evaluations import findings
from app.evaluations.errors import FindingTransitionError, IndependenceError
from app.gates.service import evaluate_gate
from app.models.ledger import LedgerEvent
from app.policy.engine import PolicyEngine
from app.reports.generation import report_html
from app.reports.identity import ensure_self_signed_identity
from app.reports.prepared import ReportRequest
from app.reports.service import build_context
from tests.gates import conftest as gates_fixtures

seeded = gates_fixtures.seeded


def _red_team(decision: Any) -> dict[str, Any]:
    return next(o for o in decision.result["controls"] if o["control_id"] == "COMMON-RED-TEAM")


@pytest.fixture
def notes(seeded: DemoSeed, engine: sa.Engine) -> DemoSeed:
    """The demo registry with the notes model's evidence imported."""
    with session_scope(engine) as session:
        import_notes_evidence(session=session, seed=seeded)
    return seeded


def test_demo_notes_model_is_denied_by_the_garak_leak_until_mitigated_independently(
    notes: DemoSeed, engine: sa.Engine, app: Any, tmp_path: Path
) -> None:
    policy_engine: PolicyEngine = app.extensions["gatehouse.policy_engine"]
    with session_scope(engine) as session:
        outcome = approvals.request_approval(
            session=session,
            engine=policy_engine,
            flow=PROMOTION_FLOW,
            subject_id=notes.ids["notes_deployment"],
            actor="release-bot",
        )
    assert outcome.request is None
    leak_id = notes.ids["notes_leak_finding"]
    red_team = _red_team(outcome.decision)
    assert red_team["status"] == "fail"
    assert [v["message"] for v in red_team["violations"]] == [
        f"open critical red-team finding finding-{leak_id} (data_leakage) in run campaign-1:data_leakage"
    ]
    evaluations = next(
        o for o in outcome.decision.result["controls"] if o["control_id"] == "COMMON-EVALUATIONS"
    )
    assert evaluations["status"] == "pass", evaluations

    # eli developed the model: he may not decide on its findings.
    with pytest.raises(IndependenceError), session_scope(engine) as session:
        findings.decide_finding(
            session=session, finding_id=leak_id, action="mitigate", text="filtered", actor="eli"
        )
    with session_scope(engine) as session:
        findings.decide_finding(
            session=session,
            finding_id=leak_id,
            action="mitigate",
            text="Output PHI filter deployed (change 412); leakreplay re-run: 0 of 200 replayed",
            actor="marcus",
        )
    with session_scope(engine) as session:
        decision = evaluate_gate(
            session=session,
            engine=policy_engine,
            gate="production_promotion",
            subject_id=notes.ids["notes_deployment"],
            actor="release-bot",
        )
        assert _red_team(decision)["status"] == "pass"
        events = session.exec(
            select(LedgerEvent)
            .where(LedgerEvent.subject_type == "red_team_finding")
            .order_by(col(LedgerEvent.seq))
        ).all()
    mine = [e for e in events if e.subject_id == str(leak_id)]
    assert [(e.action, e.actor) for e in mine] == [
        ("red_team_finding.opened", "release-bot"),
        ("red_team_finding.mitigated", "marcus"),
    ]

    # The promotion evidence pack carries the imported evidence and the decision.
    with session_scope(engine) as session:
        prepared = build_context(
            session=session,
            settings=app.config["GATEHOUSE"],
            request=ReportRequest("promotion_evidence", notes.ids["notes_deployment"]),
            actor="olivia",
        )
    evidence = prepared.context["imported_evidence"]
    assert {row["metric"]: row["baseline"] for row in evidence["metrics"]}["accuracy"] == 0.861
    leak_row = next(row for row in evidence["findings"] if row["id"] == leak_id)
    assert (leak_row["status"], leak_row["decided_by"]) == ("mitigated", "marcus")
    identity = ensure_self_signed_identity(tmp_path / "signer.p12", organisation="Gatehouse tests")
    html = report_html(kind="promotion_evidence", context=prepared.context, identity=identity)
    assert "Imported evidence, findings and monitoring" in html and html.count("<svg") >= 2
    assert "maria.garcia" not in html


def test_lifecycle_needs_evidence_or_justification_and_ends_closed(
    notes: DemoSeed, engine: sa.Engine
) -> None:
    with session_scope(engine) as session:
        ids = [
            f.id or 0
            for f in findings.findings_of(session=session, model_id=notes.ids["notes_model"])
        ]
    first, second = ids[0], ids[1]
    with (
        pytest.raises(Exception, match="a justification is required"),
        session_scope(engine) as session,
    ):
        findings.decide_finding(
            session=session, finding_id=first, action="accept", text="  ", actor="marcus"
        )
    with session_scope(engine) as session:
        accepted = findings.decide_finding(
            session=session,
            finding_id=first,
            action="accept",
            text="Counterfactual prompts outside intended use",
            actor="marcus",
        )
        assert (accepted.status, accepted.decided_by) == ("accepted", "marcus")
    with pytest.raises(FindingTransitionError), session_scope(engine) as session:
        findings.decide_finding(
            session=session, finding_id=first, action="mitigate", text="late", actor="marcus"
        )
    with pytest.raises(FindingTransitionError), session_scope(engine) as session:
        findings.decide_finding(session=session, finding_id=second, action="close", actor="olivia")
    with session_scope(engine) as session:
        closed = findings.decide_finding(
            session=session, finding_id=first, action="close", actor="olivia"
        )
        assert closed.status == "closed"
        assert [
            f.id
            for f in findings.findings_of(
                session=session, model_id=notes.ids["notes_model"], status="closed"
            )
        ] == [first]
