"""An audit's verdict in a report is the gate's verdict: the stored control outcomes.

Reports never judge an audit themselves. A gate decision stores which audits it saw
(``result["evidence"]["audit_ids"]``, written by :mod:`app.gates.service`) and what every
control reported; the controls that judge an audit say so in their ``# METADATA``
(``custom.judges: [fairness_audit]``), so this module only reads: the newest decision
that saw the audit, and the outcomes of the controls that judge its kind. An audit no
gate has judged yet says so (``not_judged``), never ``pass``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlmodel import col, select

from app.models.deployments import Deployment
from app.models.evidence import AuditRun
from app.models.governance import PolicyDecision
from app.policy.catalogue import judging_controls
from app.reports.reader import Reader

__all__ = ["AuditVerdict", "GateVerdict", "audit_verdict", "judged_audit_ids", "judged_by"]

AuditVerdict = Literal["pass", "fail", "not_judged"]


@dataclass(frozen=True)
class GateVerdict:
    """What the newest gate decision that saw an audit concluded about it."""

    verdict: AuditVerdict
    decision: PolicyDecision | None
    """The decision the verdict is read from (``None``: no gate has seen the audit)."""
    controls: Sequence[dict]
    """The outcomes (as stored) of the controls that judge the audit's kind."""

    @property
    def messages(self) -> list[str]:
        """The violations the judging controls reported."""
        return [
            violation["message"]
            for outcome in self.controls
            for violation in outcome.get("violations", [])
        ]


def judged_audit_ids(decision: PolicyDecision) -> set[str]:
    """Ids of the audits a stored decision's input held."""
    evidence = decision.result.get("evidence") or {}
    return {str(audit_id) for audit_id in evidence.get("audit_ids", [])}


def _decision_seeing(reader: Reader, audit: AuditRun) -> PolicyDecision | None:
    """The newest decision about a deployment of the audit's model whose input held it."""
    deployments = select(Deployment.id).where(Deployment.model_version_id == audit.model_version_id)
    decisions = reader.session.exec(
        select(PolicyDecision)
        .where(
            PolicyDecision.subject_type == "deployment",
            col(PolicyDecision.subject_id).in_(deployments),
        )
        .order_by(col(PolicyDecision.id).desc())
    ).all()
    return next((d for d in decisions if str(audit.id) in judged_audit_ids(d)), None)


def audit_verdict(reader: Reader, audit: AuditRun) -> GateVerdict:
    """The verdict the gate reached on ``audit``.

    ``fail`` when a judging control failed or the gate named it in a violation (it
    reported nothing or a malformed outcome: the gate failed closed), ``pass`` when one
    passed and none failed, ``not_judged`` when no decision saw the audit or no judging
    control applied to the model (its pack was out of scope).
    """
    return judged_by(reader, audit_kind=audit.kind, decision=_decision_seeing(reader, audit))


def judged_by(reader: Reader, *, audit_kind: str, decision: PolicyDecision | None) -> GateVerdict:
    """The verdict ``decision`` (the newest that saw an audit of ``audit_kind``) holds.

    Split from :func:`audit_verdict` so a report about many audits can find their
    decisions in one query and still judge each the one way.
    """
    if decision is None:
        return GateVerdict("not_judged", None, ())
    judging = judging_controls(reader.catalogue.values(), f"{audit_kind}_audit")
    outcomes = [
        outcome
        for outcome in decision.result.get("controls", [])
        if outcome.get("control_id") in judging
    ]
    statuses = {outcome.get("status") for outcome in outcomes}
    named = {violation.get("control") for violation in decision.violations}
    if "fail" in statuses or named & judging:
        verdict: AuditVerdict = "fail"
    elif "pass" in statuses:
        verdict = "pass"
    else:
        verdict = "not_judged"
    return GateVerdict(verdict, decision, outcomes)
