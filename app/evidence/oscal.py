"""Gate decisions as OSCAL assessment results (JSON), built with compliance-trestle.

Two documents are exported: one per ``production_promotion`` decision (what the gate
found about one deployment), and one per reporting period (the standing at the period's
end: the latest decision of each gate and subject made in the period). In both, an
OSCAL *finding* is one control of the catalogue (the ``control_id`` of the Rego
METADATA, also the ``target-id``), its state ``satisfied`` or ``not-satisfied`` is the
outcome the control itself reported to the gate (never judged here), and its props carry
the regulation, citation, severity and the NIST AI RMF / ISO 42001 crosswalk. Each
decision is an *observation* (method ``TEST``: an automated policy evaluation) with the
hashes that let it be recomputed: input, evidence and policy bundle.

OSCAL asks for an assessment plan (``import-ap``); Gatehouse has none apart from its
policy bundle, so ``import-ap`` names the bundle by hash. Documents declare OSCAL 1.1.3
(the version of the trestle models used) and are validated against the OSCAL 1.1.3
assessment-results JSON Schema (:mod:`app.evidence.oscal_schema`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select
from trestle.oscal import OSCAL_VERSION
from trestle.oscal import assessment_results as oscal_ar
from trestle.oscal import common as oscal

from app.evidence.errors import OscalExportError
from app.models.governance import PolicyDecision
from app.models.vocabulary import GateName
from app.policy.catalogue import Control
from app.reports.prepared import Period

__all__ = [
    "GATEHOUSE_NAMESPACE",
    "OSCAL_VERSION",
    "Assessor",
    "ControlFinding",
    "decisions_in",
    "latest_decisions_in",
    "period_results",
    "promotion_results",
]

#: The namespace of Gatehouse's own OSCAL props: a name, not a location (``.invalid`` is
#: reserved and never resolves; OSCAL's model wants a URL with a host here).
GATEHOUSE_NAMESPACE = "https://gatehouse.invalid/ns/oscal"
#: Seeds the name-based UUIDs, so one decision always exports under the same UUIDs.
_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, GATEHOUSE_NAMESPACE)
#: Control outcomes (as the controls report them) that satisfy the control.
_SATISFYING = {"pass"}
#: Outcomes that leave a control out of the findings (it did not apply).
_NOT_APPLICABLE = {"not_applicable"}


def _uuid(*parts: object) -> str:
    """A stable (version 5) UUID for the thing ``parts`` name."""
    return str(uuid.uuid5(_UUID_NAMESPACE, "/".join(str(part) for part in parts)))


def _utc(moment: dt.datetime) -> dt.datetime:
    """OSCAL date-times carry a time zone; stored times are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _prop(name: str, value: object) -> oscal.Property:
    return oscal.Property(name=name, value=str(value), ns=GATEHOUSE_NAMESPACE)


@dataclass(frozen=True)
class Assessor:
    """Who assesses, against which controls, and when: the same for every document of one
    export, so it travels as one value from the bundle down to each document."""

    catalogue: Mapping[str, Control]
    """The controls by id (a finding whose control is missing says so in its title)."""
    organisation: str
    """The party responsible for the assessment."""
    generated_at: dt.datetime
    """The documents' ``last-modified``."""


@dataclass(frozen=True)
class ControlFinding:
    """One control's outcomes across the decisions of a document."""

    control_id: str
    outcomes: tuple[tuple[PolicyDecision, str, tuple[str, ...]], ...]
    """(decision, reported status, messages) for each decision where the control applied."""

    @property
    def satisfied(self) -> bool:
        """Every applicable outcome passed (a failed or unreported control does not)."""
        return all(status in _SATISFYING for _, status, _ in self.outcomes)


def _outcomes_of(decision: PolicyDecision) -> dict[str, tuple[str, tuple[str, ...]]]:
    """control id -> (status, messages) as the gate stored them; unreported controls whose
    violations the gate raised count as ``missing`` (the gate's own integrity finding)."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for outcome in decision.result.get("controls", []):
        messages = tuple(v["message"] for v in outcome.get("violations", [])) or (
            (str(outcome["reason"]),) if outcome.get("reason") else ()
        )
        found[str(outcome["control_id"])] = (str(outcome["status"]), messages)
    for violation in decision.violations:
        control_id = str(violation["control"])
        if control_id not in found:
            found[control_id] = ("missing", (str(violation["message"]),))
    return found


def control_findings(decisions: Sequence[PolicyDecision]) -> list[ControlFinding]:
    """Per control (sorted by id), its applicable outcomes across ``decisions``."""
    collected: dict[str, list[tuple[PolicyDecision, str, tuple[str, ...]]]] = {}
    for decision in decisions:
        for control_id, (status, messages) in _outcomes_of(decision).items():
            if status not in _NOT_APPLICABLE:
                collected.setdefault(control_id, []).append((decision, status, messages))
    return [ControlFinding(key, tuple(value)) for key, value in sorted(collected.items())]


def _observation(decision: PolicyDecision) -> oscal.Observation:
    """The decision as evidence: what was evaluated, by which policy, with what outcome."""
    return oscal.Observation(
        uuid=_uuid("decision", decision.id),
        title=f"Gate decision {decision.id}",
        description=(
            f"The {decision.gate} gate evaluated {decision.subject_type} "
            f"{decision.subject_id} with the {decision.engine} policy engine: "
            f"{decision.outcome}."
        ),
        props=[
            _prop("gate", decision.gate),
            _prop("decision-id", decision.id),
            _prop("outcome", decision.outcome),
            _prop("input-sha256", decision.input_sha256),
            _prop("evidence-sha256", decision.evidence_sha256),
            _prop("policy-bundle-sha256", decision.bundle_sha256),
            _prop("engine", decision.engine),
        ],
        methods=[oscal.Methods.TEST],
        subjects=[
            oscal.SubjectReference(
                subject_uuid=_uuid(decision.subject_type, decision.subject_id),
                type="component",
                title=f"{decision.subject_type} {decision.subject_id}",
            )
        ],
        collected=_utc(decision.created_at),
    )


def _finding(finding: ControlFinding, control: Control | None, scope: str) -> oscal.Finding:
    """One control's finding: its reported outcome, citation and framework crosswalk."""
    props = [_prop("decisions", len(finding.outcomes))]
    if control is not None:
        props += [
            _prop("regulation", control.regulation),
            _prop("citation", control.citation),
            _prop("severity", control.severity),
        ]
        props += [
            _prop(framework, reference)
            for framework, references in sorted(control.frameworks.items())
            for reference in references
        ]
    failed = [
        f"decision {decision.id}: {status}" + (f" ({'; '.join(messages)})" if messages else "")
        for decision, status, messages in finding.outcomes
        if status not in _SATISFYING
    ]
    title = control.title if control is not None else f"{finding.control_id} (not in the catalogue)"
    return oscal.Finding(
        uuid=_uuid(scope, "finding", finding.control_id),
        title=title,
        description=(
            f"Reported pass in all {len(finding.outcomes)} applicable decision(s)."
            if finding.satisfied
            else "Not satisfied: " + "; ".join(failed) + "."
        ),
        props=props,
        target=oscal.FindingTarget(
            type=oscal.FindingTargetTypeValidValues.objective_id,
            target_id=finding.control_id,
            status=oscal.ObjectiveStatus(
                state=(
                    oscal.ObjectiveStatusStateValidValues.satisfied
                    if finding.satisfied
                    else oscal.ObjectiveStatusStateValidValues.not_satisfied
                ),
                reason=oscal.Reason.pass_ if finding.satisfied else oscal.Reason.fail,
            ),
        ),
        related_observations=[
            oscal.RelatedObservation(observation_uuid=_uuid("decision", decision_id))
            for decision_id in dict.fromkeys(decision.id for decision, _, _ in finding.outcomes)
        ],
    )


def _document(
    *,
    scope: str,
    title: str,
    description: str,
    start: dt.datetime,
    end: dt.datetime,
    decisions: Sequence[PolicyDecision],
    assessor: Assessor,
    policy_bundle_sha256: str,
) -> dict[str, Any]:
    """An assessment-results document over ``decisions`` (JSON-ready, wrapped)."""
    findings = control_findings(decisions)
    if not findings:
        raise OscalExportError(f"{title}: no control reported an outcome, nothing to assess")
    party = _uuid("organisation", assessor.organisation)
    result = oscal_ar.Result(
        uuid=_uuid(scope, "result"),
        title=title,
        description=description,
        start=_utc(start),
        end=_utc(end),
        reviewed_controls=oscal.ReviewedControls(
            control_selections=[
                oscal.ControlSelection(
                    description="Every catalogue control that applied to the decisions.",
                    include_controls=[
                        oscal.SelectControlById(control_id=finding.control_id)
                        for finding in findings
                    ],
                )
            ]
        ),
        observations=[_observation(decision) for decision in decisions],
        findings=[
            _finding(item, assessor.catalogue.get(item.control_id), scope) for item in findings
        ],
    )
    document = oscal_ar.AssessmentResults(
        uuid=_uuid(scope),
        metadata=oscal.Metadata(
            title=title,
            last_modified=_utc(assessor.generated_at),
            version=scope,
            oscal_version=OSCAL_VERSION,
            parties=[oscal.Party(uuid=party, type="organization", name=assessor.organisation)],
            props=[_prop("policy-bundle-sha256", policy_bundle_sha256)],
        ),
        import_ap=oscal_ar.ImportAp(
            href=f"urn:gatehouse:policy-bundle:sha256:{policy_bundle_sha256}",
            remarks="Gatehouse assesses with its policy bundle; there is no other plan.",
        ),
        results=[result],
    )
    return json.loads(document.oscal_serialize_json())


def promotion_results(*, decision: PolicyDecision, assessor: Assessor) -> dict[str, Any]:
    """One production-promotion decision as OSCAL assessment results."""
    if decision.gate != GateName.PRODUCTION_PROMOTION:
        raise OscalExportError(f"decision {decision.id} is not a production promotion decision")
    return _document(
        scope=f"promotion-decision-{decision.id}",
        title=(
            f"Production promotion of deployment {decision.subject_id}: "
            f"decision {decision.id} ({decision.outcome})"
        ),
        description=(
            f"The controls the production_promotion gate applied to deployment "
            f"{decision.subject_id}, as each reported its outcome."
        ),
        start=decision.created_at,
        end=decision.created_at,
        decisions=[decision],
        assessor=assessor,
        policy_bundle_sha256=decision.bundle_sha256,
    )


def decisions_in(
    *, session: Session, period: Period, gate: GateName | None = None
) -> list[PolicyDecision]:
    """Decisions made within ``period`` (of ``gate``, if given), oldest first."""
    query = select(PolicyDecision).where(period.covers(col(PolicyDecision.created_at)))
    if gate is not None:
        query = query.where(PolicyDecision.gate == gate)
    return list(
        session.exec(query.order_by(col(PolicyDecision.created_at), col(PolicyDecision.id)))
    )


def latest_decisions_in(*, session: Session, period: Period) -> list[PolicyDecision]:
    """The newest decision of each gate and subject made within ``period``, oldest first."""
    newest: dict[tuple[str, str, int], PolicyDecision] = {}
    for decision in decisions_in(session=session, period=period):
        newest[(decision.gate, decision.subject_type, decision.subject_id)] = decision
    return sorted(newest.values(), key=lambda decision: (decision.created_at, decision.id or 0))


def period_results(
    *,
    decisions: Iterable[PolicyDecision],
    period: Period,
    assessor: Assessor,
    policy_bundle_sha256: str,
) -> dict[str, Any]:
    """The standing at the end of ``period`` (see :func:`latest_decisions_in`) as OSCAL."""
    chosen = list(decisions)
    return _document(
        scope=f"period-{period.start.isoformat()}-{period.end.isoformat()}",
        title=f"Periodic compliance {period.start.isoformat()} to {period.end.isoformat()}",
        description=(
            f"The latest decision of each gate and subject made in the period "
            f"({len(chosen)} decisions), with every control that applied to them."
        ),
        start=period.starts_at,
        end=period.ends_before,
        decisions=chosen,
        assessor=assessor,
        policy_bundle_sha256=policy_bundle_sha256,
    )
