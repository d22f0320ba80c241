"""An indeterminate decision (the engine gave no answer) is its own outcome in reports,
never printed as a plain deny."""

from __future__ import annotations

from app.reports import SigningIdentity, generate_report
from tests.reports.conftest import pdf_text
from tests.reports.contexts import periodic_context, promotion_evidence_context


def test_the_promotion_pack_names_an_indeterminate_decision(identity: SigningIdentity) -> None:
    context = promotion_evidence_context()
    decision = {
        **context["decision"],
        "allow": False,
        "outcome": "indeterminate",
        "error": "policy evaluation exceeded its 2 s deadline",
    }
    report = generate_report(
        kind="promotion_evidence", context={**context, "decision": decision}, identity=identity
    )
    text = pdf_text(report.pdf)
    assert "production_promotion: INDETERMINATE" in text
    assert "policy evaluation exceeded its 2 s deadline" in text
    assert "production_promotion: DENY" not in text


def test_the_periodic_report_counts_indeterminate_apart(identity: SigningIdentity) -> None:
    report = generate_report(
        kind="periodic_compliance", context=periodic_context(), identity=identity
    )
    text = pdf_text(report.pdf)
    assert "212: 160 allowed, 48 denied, 4 indeterminate" in text
    # The gate and month tables have an indeterminate column with its counts.
    assert "Gate Allowed Denied Indeterminate Total" in text
    assert "training_launch 129 36 3 168" in text
    assert "2026-11 63 18 4 85" in text
    # A model whose last promotion the engine could not decide says so.
    assert "credit-limit-advisor v3.2 high credit staging indeterminate" in text
