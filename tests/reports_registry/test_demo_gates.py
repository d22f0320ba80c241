"""The demo's models at the production-promotion gate, with the evidence the demo attests.

The credit model (EU applicants, credit scoring) is judged by the EU AI Act pack and the
current model-risk controls on attested evidence; the notes model (trained on clinical
notes, personal data) needs memorisation-test evidence.
"""

from __future__ import annotations

from app.db import session_scope
from app.gates.service import evaluate_gate
from app.models.governance import PolicyDecision
from tests.reports_registry.conftest import World


def _promotion(world: World, deployment: str) -> PolicyDecision:
    with session_scope(world.engine) as session:
        return evaluate_gate(
            session=session,
            engine=world.app.extensions["gatehouse.policy_engine"],
            gate="production_promotion",
            subject_id=world.ids[deployment],
            actor="test",
        )


def _outcomes(decision: PolicyDecision) -> dict[str, dict]:
    return {outcome["control_id"]: outcome for outcome in decision.result["controls"]}


def test_credit_model_is_gated_by_the_eu_ai_act_and_current_model_risk_guidance(
    world: World,
) -> None:
    outcomes = _outcomes(_promotion(world, "credit_deployment"))
    # The LoRA fine-tune's attested compute (2.4e19 FLOP) is within a third of the GPAI
    # presumption threshold, so no new provider obligations; the Annex III evidence is
    # attested by the compliance officer.
    assert outcomes["EUAIA-53"]["status"] == "pass"
    assert "at most a third" in outcomes["EUAIA-53"]["reason"]
    assert outcomes["EUAIA-HIGH-RISK"]["status"] == "pass"
    assert outcomes["EUAIA-HIGH-RISK"]["reason"].endswith("Annex III use credit_scoring")
    assert outcomes["FIN-SR11-7-VALIDATION"]["status"] == "pass"
    assert outcomes["FIN-SR11-7-MONITORING"]["status"] == "pass"
    # The demo's promotion still lacks the model-risk approval: the finding cites the
    # current guidance, not SR 11-7.
    (tier,) = outcomes["FIN-SR11-7-TIER"]["violations"]
    assert tier["citation"].startswith("Federal Reserve SR 26-2 / OCC Bulletin 2026-13")


def test_notes_model_needs_memorisation_test_evidence(world: World) -> None:
    outcomes = _outcomes(_promotion(world, "notes_deployment"))
    assert "EUAIA-53" not in outcomes  # attested as off the EU market
    messages = [violation["message"] for violation in outcomes["COMMON-RED-TEAM"]["violations"]]
    assert (
        "the training data holds personal data and the model has no memorisation "
        "(canary or extraction) test"
    ) in messages


def test_every_row_the_gates_read_is_what_the_ledger_recorded(world: World) -> None:
    """Every write path of the demo's story (seeding, attestations, classifications, votes,
    launches, promotions, reports) ledgers what it writes: reconciling finds nothing."""
    from app.ledger.reconcile import reconcile_rows

    with session_scope(world.engine) as session:
        checked, found = reconcile_rows(session=session)
    assert checked > 50 and [str(row) for row in found] == []
