"""The audit service on the demo registry: figures reach the promotion gate, the policy judges.

Every verdict asserted here is a control outcome of the real policy bundle (embedded
engine); the thresholds a test compares against are read from the policy data, never
written into the test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from app.audits.service import reasons_for, run_audit
from app.db import session_scope
from app.errors import NotFoundError
from app.gates.input_builder import build_gate_input
from app.gates.service import evaluate_gate
from app.models.base import utc_now
from app.models.deployments import Deployment
from app.models.evidence import AuditRun
from app.models.ledger import LedgerEvent
from app.models.model_versions import ModelVersion
from tests.audits_registry.conftest import decisions_table

AUDIT_CONTROLS = ("FIN-FAIR-LENDING", "FIN-REGB-1002.9", "GDPR-22")


def _fairness_limits(settings: Any) -> dict[str, float]:
    data = json.loads((settings.policy_dir / "data.json").read_text())
    limits: dict[str, float] = data["gatehouse"]["thresholds"]["fairness"]
    return limits


def _outcomes(decision: Any) -> dict[str, str]:
    return {c["control_id"]: c["status"] for c in decision.result["controls"]}


def _promote_decision(engine: Any, policy_engine: Any, deployment_id: int) -> Any:
    with session_scope(engine) as session:
        return evaluate_gate(
            session=session,
            engine=policy_engine,
            gate="production_promotion",
            subject_id=deployment_id,
            actor="test",
        )


def test_without_audits_the_audit_controls_fail(
    seeded: Any, engine: Any, policy_engine: Any
) -> None:
    decision = _promote_decision(engine, policy_engine, seeded.ids["credit_deployment"])
    outcomes = _outcomes(decision)
    assert not decision.allow
    assert all(outcomes[control] == "fail" for control in AUDIT_CONTROLS)


def test_demo_audits_reach_the_gate_and_the_policy_judges_them(
    audited: Any, engine: Any, settings: Any, policy_engine: Any
) -> None:
    with session_scope(engine) as session:
        audits = {
            a.kind: a
            for a in session.exec(
                select(AuditRun).where(AuditRun.model_version_id == audited.ids["credit_model"])
            ).all()
        }
        document = build_gate_input(
            session=session,
            gate="production_promotion",
            subject_id=audited.ids["credit_deployment"],
            now=utc_now(),
        ).document()
        model = session.get(ModelVersion, audited.ids["credit_model"])
        assert model is not None and model.artifact_uri
    assert {a.status for a in audits.values()} == {"succeeded"}
    fairness = audits["fairness"]
    # The gate input carries the audits' own figures.
    by_kind = {entry["kind"]: entry for entry in document["audits"]}
    assert by_kind["fairness"]["id"] == str(fairness.id)
    assert by_kind["fairness"]["adverse_impact_ratio"] == fairness.summary["adverse_impact_ratio"]
    assert (
        by_kind["fairness"]["equalized_odds_difference"]
        == fairness.summary["equalized_odds_difference"]
    )
    assert by_kind["explainability"]["principal_reasons_available"] is True
    # Figures follow from the stored per-group results (sex, age band, their intersection).
    assert [t["name"] for t in fairness.results["tables"]] == ["sex", "age_band", "sex & age_band"]
    assert fairness.summary["adverse_impact_ratio"] == min(
        t["adverse_impact_ratio"] for t in fairness.results["tables"]
    )
    assert len(fairness.results["charts"]) == 9
    assert all(c["svg"].lstrip().startswith("<svg") for c in fairness.results["charts"])

    decision = _promote_decision(engine, policy_engine, audited.ids["credit_deployment"])
    outcomes = _outcomes(decision)
    limits = _fairness_limits(settings)
    figures_pass = (
        fairness.summary["adverse_impact_ratio"] >= limits["min_adverse_impact_ratio"]
        and fairness.summary["equalized_odds_difference"] <= limits["max_equalized_odds_difference"]
    )
    assert outcomes["FIN-FAIR-LENDING"] == ("pass" if figures_pass else "fail")
    assert outcomes["FIN-REGB-1002.9"] == "pass"
    assert outcomes["GDPR-22"] == "pass"


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ({"group-a": 0.6, "group-b": 0.3}, "fail"),  # adverse impact ratio 0.5
        ({"group-a": 0.5, "group-b": 0.5}, "pass"),  # equal rates, no error-rate gap
    ],
)
def test_four_fifths_rule_decided_by_the_fair_lending_control(
    seeded: Any,
    engine: Any,
    policy_engine: Any,
    register_decisions: Any,
    selection: dict[str, float],
    expected: str,
) -> None:
    version_id = register_decisions(decisions_table(selection=selection))
    with session_scope(engine) as session:
        audit = run_audit(
            session=session,
            engine=policy_engine,
            model_version_id=seeded.ids["credit_model"],
            dataset_version_id=version_id,
            kind="fairness",
            parameters={
                "y_true": "y_true",
                "y_pred": "y_pred",
                "sensitive": ["applicant_group"],
                "bootstrap": 20,
            },
            actor="marcus",
        )
        assert audit.status == "succeeded", audit.error
        ratio = audit.summary["adverse_impact_ratio"]
    rates = sorted(selection.values())
    assert ratio == pytest.approx(rates[0] / rates[-1])
    decision = _promote_decision(engine, policy_engine, seeded.ids["credit_deployment"])
    assert _outcomes(decision)["FIN-FAIR-LENDING"] == "fail"
    fair_lending = [v for v in decision.violations if v["control"] == "FIN-FAIR-LENDING"]
    messages = [violation["message"] for violation in fair_lending]
    # Decisions supplied with the data are no evidence about the model whatever their
    # ratio (the artifact did not predict them); the ratio is still judged and said.
    assert not decision.allow
    assert any("the model artifact did not make" in message for message in messages)
    assert any("four-fifths" in message for message in messages) == (expected == "fail")


def _to_production(engine: Any, deployment_id: int) -> None:
    with session_scope(engine) as session:
        deployment = session.get(Deployment, deployment_id)
        assert deployment is not None
        deployment.state = "production"
        session.add(deployment)


def test_failing_audit_of_a_production_model_is_flagged_by_the_policy(
    seeded: Any, engine: Any, policy_engine: Any, register_decisions: Any
) -> None:
    deployment_id = seeded.ids["credit_deployment"]
    _to_production(engine, deployment_id)
    unfair = register_decisions(decisions_table(selection={"a": 0.6, "b": 0.2}))
    parameters = {"y_true": "y_true", "y_pred": "y_pred", "sensitive": ["applicant_group"]}
    with session_scope(engine) as session:
        assert session.get(Deployment, deployment_id).needs_review is False  # type: ignore[union-attr]
        failing = run_audit(
            session=session,
            engine=policy_engine,
            model_version_id=seeded.ids["credit_model"],
            dataset_version_id=unfair,
            kind="fairness",
            parameters=parameters,
            actor="scheduler",
        )
        review = failing.results["review"][0]
        assert review["failed_controls"] == ["FIN-FAIR-LENDING"]
        assert session.get(Deployment, deployment_id).needs_review is True  # type: ignore[union-attr]
        finding = session.exec(
            select(LedgerEvent).where(LedgerEvent.action == "audit.finding")
        ).one()
        assert finding.subject_id == str(deployment_id)
        assert finding.payload["audit_run_id"] == failing.id


def test_failed_audits_record_one_line_errors(
    seeded: Any, engine: Any, policy_engine: Any, register_decisions: Any, settings: Any
) -> None:
    version_id = register_decisions(decisions_table(selection={"a": 0.5, "b": 0.4}))
    with session_scope(engine) as session:
        missing = run_audit(
            session=session,
            engine=policy_engine,
            model_version_id=seeded.ids["credit_model"],
            dataset_version_id=version_id,
            kind="fairness",
            parameters={"y_true": "y_true", "y_pred": "y_pred", "sensitive": ["race"]},
            actor="eli",
        )
        no_artefact = run_audit(
            session=session,
            engine=policy_engine,
            model_version_id=seeded.ids["credit_model"],
            dataset_version_id=version_id,
            kind="explainability",
            parameters={},
            actor="eli",
        )
        statuses = [
            e.action
            for e in session.exec(
                select(LedgerEvent)
                .where(LedgerEvent.subject_id == str(missing.id))
                .where(LedgerEvent.subject_type == "audit_run")
            ).all()
        ]
    assert missing.status == "failed" and missing.summary == {} and missing.finished_at
    assert "sensitive column 'race' not found" in (missing.error or "")
    assert "\n" not in (missing.error or "") and "Traceback" not in (missing.error or "")
    assert no_artefact.status == "failed"
    assert "no registered artefact" in (no_artefact.error or "")
    assert statuses == ["audit_run.queued", "audit_run.running", "audit_run.failed"]


def test_a_tampered_artefact_is_refused_before_unpickling(
    audited: Any, engine: Any, policy_engine: Any
) -> None:
    with session_scope(engine) as session:
        model = session.get(ModelVersion, audited.ids["credit_model"])
        assert model is not None and model.artifact_uri
        path = model.artifact_uri.removeprefix("file://")
        with open(path, "ab") as artefact:
            artefact.write(b"\0")
        audit = run_audit(
            session=session,
            engine=policy_engine,
            model_version_id=audited.ids["credit_model"],
            dataset_version_id=audited.ids["german_credit_evaluation"],
            kind="explainability",
            parameters={"id_column": "application_id"},
            actor="eli",
        )
    assert audit.status == "failed"
    assert "sha256" in (audit.error or "")


def test_principal_reasons_by_decision_id_without_personal_values(
    audited: Any, engine: Any
) -> None:
    with session_scope(engine) as session:
        audit = session.get(AuditRun, audited.ids["explainability_audit"])
        assert audit is not None
        decision_id = next(iter(audit.results["decisions"]))
        found = reasons_for(session=session, audit_id=audit.id or 0, decision_id=decision_id)
        with pytest.raises(NotFoundError):
            reasons_for(session=session, audit_id=audit.id or 0, decision_id="APP-9999")
    assert decision_id.startswith("APP-")
    assert found["decision_id"] == decision_id
    assert 0 < len(found["reasons"]) <= 4 or found["reasons"] == []
    assert all(set(r) == {"feature", "contribution"} for r in found["reasons"])
    assert all(r["contribution"] < 0 for r in found["reasons"])
    assert audit.summary["explained_rows"] == 300


def test_an_artefact_without_a_ledgered_digest_is_never_unpickled(
    audited: Any, engine: Any, policy_engine: Any
) -> None:
    """A URI typed into a model version is not trusted, even a content-addressed file."""
    with session_scope(engine) as session:
        recorded = session.get(ModelVersion, audited.ids["credit_model"])
        assert recorded is not None
        other = ModelVersion(
            name="copycat",
            version="1",
            platform="meta",
            domain="credit",
            artifact_uri=recorded.artifact_uri,
            created_by="eli",
        )
        session.add(other)
        session.flush()
        audit = run_audit(
            session=session,
            engine=policy_engine,
            model_version_id=other.id or 0,
            dataset_version_id=audited.ids["german_credit_evaluation"],
            kind="explainability",
            parameters={"id_column": "application_id"},
            actor="eli",
        )
    assert audit.status == "failed"
    assert "no ledgered sha256" in (audit.error or "")
