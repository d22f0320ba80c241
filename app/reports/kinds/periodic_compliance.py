"""Kind ``periodic_compliance``: the registry's standing at the end of a period.

The printed report summarises: decisions by gate and by month with their outcomes
(allowed, denied, indeterminate), the controls failed most, open findings by severity
and the most severe of them, the models and datasets that need someone, and the
approvals about to lapse. Every table is capped (``SHOWN`` rows) and says how many rows
it left out; the full listings are embedded in the PDF as JSON files
(:data:`~app.reports.periodic_contexts.Listing`). The registry is read through
:mod:`app.reports.periodic_queries`, a fixed number of statements whatever its size.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.attestations.current import current_attestations_of_many
from app.charts import bar_chart_svg, stacked_bar_chart_svg
from app.models.governance import PolicyDecision
from app.models.model_versions import ModelVersion
from app.models.vocabulary import AttestedSubject, DecisionOutcome
from app.reports import periodic_queries as queries
from app.reports.attachments import EvidenceFile, json_evidence, policy_bundle_evidence
from app.reports.contexts import Finding
from app.reports.kind import PERIOD_SUBJECT, ReportKind, register_kind, svg
from app.reports.periodic_contexts import (
    SHOWN,
    ControlTally,
    DatasetRow,
    ExpiringApproval,
    Listing,
    ModelRow,
    OutcomeTally,
    PeriodicComplianceContext,
    StateTally,
)
from app.reports.prepared import Period
from app.reports.reader import (
    SEVERITIES,
    Reader,
    classification,
    lawful_basis,
    meta,
    most_significant_state,
    severity,
)
from app.reports.verdicts import judged_audit_ids, judged_by

#: How far after a period's end an open approval request counts as expiring soon.
EXPIRY_HORIZON = dt.timedelta(days=30)
#: Outcomes in the order every table and chart prints them.
OUTCOMES = tuple(outcome.value for outcome in DecisionOutcome)
_RISK_TIERS = ("high", "medium", "low", "unassigned")


@dataclass(frozen=True)
class _OpenFinding:
    """A finding with the model versions and dataset versions it counts against."""

    finding: Finding
    models: frozenset[int] = frozenset()
    datasets: frozenset[int] = frozenset()


def _policy_findings(
    denials: Iterable[Any], models_of_run: Mapping[int, set[int]]
) -> list[_OpenFinding]:
    """A finding per violation of each subject's newest denying decision, and one for a
    newest decision the engine could not make (indeterminate: the subject stays blocked)."""
    found = []
    for row in denials:
        label = queries.subject_label(row)
        if row.deployed_model_id is not None:
            models = frozenset({row.deployed_model_id})
        else:
            models = frozenset(models_of_run.get(row.subject_id, set()) if row.run_name else ())
        datasets = frozenset({row.subject_id} if row.dataset_name is not None else ())
        if row.outcome == DecisionOutcome.INDETERMINATE:
            undecided: Finding = {
                "source": "policy",
                "subject": label,
                "reference": f"{row.gate} (indeterminate)",
                "severity": "high",
                "opened_at": row.created_at,
                "message": f"the policy engine gave no answer: {row.error or 'no reason recorded'}",
            }
            found.append(_OpenFinding(undecided, models, datasets))
        for violation in row.violations:
            finding: Finding = {
                "source": "policy",
                "subject": label,
                "reference": f"{violation['control']} ({row.gate})",
                "severity": severity(violation.get("severity")),  # type: ignore[typeddict-item]
                "opened_at": row.created_at,
                "message": violation["message"],
            }
            found.append(_OpenFinding(finding, models, datasets))
    return found


def _red_team_findings(rows: Iterable[Any]) -> list[_OpenFinding]:
    """Standing red-team evaluations with open findings."""
    found = []
    for evaluation, name, version in rows:
        finding: Finding = {
            "source": "red_team",
            "subject": f"{name} {version}",
            "reference": evaluation.attack_category or evaluation.name,
            "severity": severity(evaluation.severity),  # type: ignore[typeddict-item]
            "opened_at": evaluation.created_at,
            "message": f"{evaluation.open_findings} open finding(s) from {evaluation.name}",
        }
        found.append(_OpenFinding(finding, frozenset({evaluation.model_version_id})))
    return found


def _audit_findings(
    reader: Reader,
    audits: Sequence[Any],
    models: Mapping[int, ModelVersion],
    before: dt.datetime,
) -> list[_OpenFinding]:
    """Each model's newest audit of each kind that the gate judged failing.

    The decisions about the audited models' deployments are read once, newest first; an
    audit's verdict is the newest of them whose input held it (as in the audit report).
    """
    decisions: dict[int, list[PolicyDecision]] = defaultdict(list)
    audited = {audit.model_version_id for audit in audits}
    for decision, model_id in queries.audit_decisions(
        session=reader.session, model_ids=audited, before=before
    ):
        decisions[model_id].append(decision)
    found = []
    for audit in audits:
        seeing = next(
            (
                decision
                for decision in decisions[audit.model_version_id]
                if str(audit.id) in judged_audit_ids(decision)
            ),
            None,
        )
        verdict = judged_by(reader, audit_kind=audit.kind, decision=seeing)
        model = models.get(audit.model_version_id)
        if verdict.verdict != "fail" or model is None:
            continue
        breach: Finding = {
            "source": "audit",
            "subject": f"{model.name} {model.version}",
            "reference": f"{audit.kind} audit #{audit.id}",
            "severity": "high",
            "opened_at": audit.finished,
            "message": "; ".join(verdict.messages) or "the gate failed the latest audit",
        }
        found.append(_OpenFinding(breach, frozenset({audit.model_version_id})))
    return found


def _erasure_findings(rows: Iterable[Any]) -> list[_OpenFinding]:
    """Erasure requests (GDPR Art. 17) not resolved yet."""
    found = []
    for erasure, name, version in rows:
        finding: Finding = {
            "source": "erasure",
            "subject": f"dataset {name} v{version}",
            "reference": erasure.reference,
            "severity": "medium",
            "opened_at": erasure.requested_at,
            "message": "erasure request (GDPR Art. 17) not resolved",
        }
        found.append(_OpenFinding(finding, datasets=frozenset({erasure.dataset_version_id})))
    return found


def _attested_value(attested: Mapping[int, Mapping[str, Any]], version: Any, fact: str) -> Any:
    """The value of ``fact`` attested about a dataset version, or None."""
    attestation = attested.get(version.id or 0, {}).get(fact)
    return None if attestation is None else attestation.value


def _attested_date(
    attested: Mapping[int, Mapping[str, Any]], version: Any, fact: str
) -> dt.date | None:
    """A date fact (stored as ISO text) attested about a dataset version, or None."""
    value = _attested_value(attested, version, fact)
    return None if value is None else dt.date.fromisoformat(value)


def _tallies(
    counts: Iterable[tuple[Any, str, int]], labels: Sequence[str] = ()
) -> list[OutcomeTally]:
    """One row per key with its count of each outcome, zeros included.

    With ``labels`` the keys are their indices (months) and every label gets a row;
    without, the keys are the labels (gates), sorted.
    """
    by_key: dict[Any, Counter[str]] = defaultdict(Counter)
    for key, outcome, count in counts:
        by_key[key][outcome] += count
    rows = list(enumerate(labels)) if labels else [(key, key) for key in sorted(by_key)]
    return [
        {
            "label": str(label),
            "allowed": by_key[key]["allowed"],
            "denied": by_key[key]["denied"],
            "indeterminate": by_key[key]["indeterminate"],
        }
        for key, label in rows
    ]


def _model_rows(
    reader: Reader,
    models: Sequence[ModelVersion],
    findings: Sequence[_OpenFinding],
    audits: Sequence[Any],
    before: dt.datetime,
) -> list[ModelRow]:
    """Every model version's standing, from three aggregate reads."""
    states = queries.deployment_states(session=reader.session, before=before)
    promotions = queries.last_promotions(session=reader.session, before=before)
    last_audit: dict[int, dt.datetime] = {}
    for audit in audits:
        if (
            audit.model_version_id not in last_audit
            or audit.finished > last_audit[audit.model_version_id]
        ):
            last_audit[audit.model_version_id] = audit.finished
    open_by_model = Counter(model for item in findings for model in item.models)
    rows: list[ModelRow] = []
    for model in models:
        model_id = model.id or 0
        environments = states.get(model_id, [])
        rows.append(
            {
                "name": model.name,
                "version": model.version,
                "risk_tier": model.risk_tier  # type: ignore[typeddict-item]
                if model.risk_tier in _RISK_TIERS
                else "unassigned",
                "domain": model.domain or "not recorded",
                "state": most_significant_state(environments),
                "environments": sorted(set(environments)),
                "last_decision": promotions.get(model_id),  # type: ignore[typeddict-item]
                "last_audit_at": last_audit.get(model_id),
                "open_findings": open_by_model[model_id],
            }
        )
    return rows


def _states_by_tier(rows: Sequence[ModelRow]) -> list[StateTally]:
    """Model versions by state (most in use first) and risk tier."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        counts[row["state"]][row["risk_tier"]] += 1
    return [
        {
            "state": state,
            "high": tiers["high"],
            "medium": tiers["medium"],
            "low": tiers["low"],
            "unassigned": tiers["unassigned"],
            "total": sum(tiers.values()),
        }
        for state, tiers in sorted(counts.items(), key=lambda item: -sum(item[1].values()))
    ]


def _expiring(reader: Reader, period: Period) -> list[ExpiringApproval]:
    """Pending approvals lapsing in the period or within the horizon, soonest first."""
    votes = queries.votes_cast(session=reader.session, period=period, horizon=EXPIRY_HORIZON)
    return [
        {
            "request_id": row.id,
            "subject": f"{row.gate}: {queries.subject_label(row)}",
            "required": ", ".join(
                f"{item['count']} × {item['role']}" for item in row.required_approvals
            ),
            "votes": votes.get(row.id, 0),
            "expires_at": row.expires_at,
        }
        for row in queries.expiring_requests(
            session=reader.session, period=period, horizon=EXPIRY_HORIZON
        )
    ]


def _control_tallies(reader: Reader, period: Period) -> list[ControlTally]:
    """Controls named in the period's violations, most decisions first."""
    tallies: list[ControlTally] = []
    for control_id, decisions in queries.failing_controls(session=reader.session, period=period):
        control = reader.catalogue.get(control_id)
        tallies.append(
            {
                "control_id": control_id,
                "title": control.title if control else "not in the current catalogue",
                "regulation": control.regulation if control else "—",
                "severity": severity(control.severity if control else None),
                "decisions": decisions,
            }
        )
    return tallies


def _decision_listing(period: Period, reader: Reader) -> list[dict[str, Any]]:
    """Every decision of the period as the embedded listing holds it."""
    return [
        {
            "decision_id": row.id,
            "decided_at": row.created_at,
            "gate": str(row.gate),
            "subject_type": str(row.subject_type),
            "subject_id": row.subject_id,
            "subject": queries.subject_label(row),
            "outcome": str(row.outcome),
            "violated_controls": sorted({violation["control"] for violation in row.violations}),
            "input_sha256": row.input_sha256,
            "bundle_sha256": row.bundle_sha256,
        }
        for row in queries.decisions_in_period(session=reader.session, period=period)
    ]


def _listing(name: str, description: str, rows: Sequence[Mapping[str, Any]]) -> Listing:
    return {
        "name": f"gatehouse-periodic-{name}.json",
        "description": description,
        "rows": [dict(row) for row in rows],
    }


def _periodic(
    reader: Reader, *, period: Period, actor: str, generated_at: dt.datetime
) -> PeriodicComplianceContext:
    """Kind ``periodic_compliance``: the registry's standing at the end of ``period``."""
    session = reader.session
    end = period.ends_before
    models = queries.model_versions(session=session, before=end)
    models_of_run: dict[int, set[int]] = defaultdict(set)
    for model in models:
        if model.run_id is not None:
            models_of_run[model.run_id].add(model.id or 0)
    audits = queries.latest_audits(session=session, before=end)
    versions = queries.dataset_versions(session=session, before=end)
    found = (
        _policy_findings(queries.latest_denials(session=session, before=end), models_of_run)
        + _red_team_findings(queries.open_red_team_findings(session=session, before=end))
        + _audit_findings(reader, audits, {model.id or 0: model for model in models}, end)
        + _erasure_findings(queries.open_erasures(session=session, before=end))
    )
    found.sort(
        key=lambda item: (SEVERITIES.index(item.finding["severity"]), item.finding["opened_at"])
    )
    findings = [item.finding for item in found]
    model_rows = _model_rows(reader, models, found, audits, end)
    open_by_dataset = Counter(version for item in found for version in item.datasets)
    # The lawful basis and retention the gates read: attested (docs/attestations.md).
    attested = current_attestations_of_many(
        session=session,
        subject_type=AttestedSubject.DATASET_VERSION,
        subject_ids=[version.id or 0 for version, _name in versions],
        now=end,
    )
    dataset_rows: list[DatasetRow] = [
        {
            "name": name,
            "version": f"v{version.version}",
            "classification": classification(version),
            "lawful_basis": lawful_basis(_attested_value(attested, version, "lawful_basis")),
            "retention_until": _attested_date(attested, version, "retention_until"),
            "open_findings": open_by_dataset[version.id or 0],
        }
        for version, name in versions
    ]
    by_gate = _tallies(queries.outcomes_by_gate(session=session, period=period))
    months = [month.strftime("%Y-%m") for month in queries.month_starts(period)]
    by_month = _tallies(queries.outcomes_by_month(session=session, period=period), months)
    controls = _control_tallies(reader, period)
    expiring = _expiring(reader, period)
    model_exceptions = sorted(
        (
            row
            for row in model_rows
            if row["open_findings"] or row["last_decision"] in ("denied", "indeterminate")
        ),
        key=lambda row: (-row["open_findings"], row["name"], row["version"]),
    )
    dataset_exceptions = sorted(
        (row for row in dataset_rows if row["open_findings"]),
        key=lambda row: (-row["open_findings"], row["name"], row["version"]),
    )
    severities: Counter[str] = Counter(finding["severity"] for finding in findings)
    allowed, denied, indeterminate = (
        sum(row[outcome] for row in by_gate)  # type: ignore[literal-required]
        for outcome in OUTCOMES
    )
    return {
        "meta": meta(
            reader,
            subject=f"all models and datasets, {period.label}",
            actor=actor,
            generated_at=generated_at,
        ),
        "period": {"start": period.start, "end": period.end, "label": period.label},
        "totals": {
            "model_versions": len(model_rows),
            "dataset_versions": len(dataset_rows),
            "decisions": allowed + denied + indeterminate,
            "allowed": allowed,
            "denied": denied,
            "indeterminate": indeterminate,
            "open_findings": len(findings),
            "expiring_approvals": len(expiring),
        },
        "decisions_by_gate": by_gate,
        "decisions_by_month": by_month,
        "failing_controls": controls[:SHOWN],
        "findings_by_severity": [
            {"severity": level, "count": severities[level]}
            for level in SEVERITIES
            if severities[level]
        ],
        "top_findings": findings[:SHOWN],
        "models_by_state": _states_by_tier(model_rows),
        "model_exceptions": model_exceptions[:SHOWN],
        "model_exception_count": len(model_exceptions),
        "dataset_exceptions": dataset_exceptions[:SHOWN],
        "dataset_exception_count": len(dataset_exceptions),
        "expiring_approvals": expiring[:SHOWN],
        "listings": {
            "decisions": _listing(
                "decisions",
                "Every gate decision made in the period",
                _decision_listing(period, reader),
            ),
            "findings": _listing(
                "findings", "Every finding open at the end of the period", findings
            ),
            "controls": _listing(
                "controls", "Controls failed in the period, with how many decisions", controls
            ),
            "models": _listing(
                "models", "Every model version's standing at the end of the period", model_rows
            ),
            "datasets": _listing(
                "datasets",
                "Every dataset version's standing at the end of the period",
                dataset_rows,
            ),
            "approvals": _listing(
                "approvals",
                "Pending approvals lapsing in the period or the 30 days after",
                expiring,
            ),
        },
    }


def _periodic_figures(context: Mapping[str, Any]) -> dict[str, Any]:
    """Decisions per gate and per month by outcome, and open findings per severity."""

    def outcomes_chart(tallies: Sequence[Mapping[str, Any]], title: str, horizontal: bool) -> Any:
        if not any(row[outcome] for row in tallies for outcome in OUTCOMES):
            return None
        return svg(
            stacked_bar_chart_svg(
                [row["label"] for row in tallies],
                {outcome: [row[outcome] for row in tallies] for outcome in OUTCOMES},
                title=title,
                horizontal=horizontal,
            )
        )

    by_severity = context["findings_by_severity"]
    return {
        "decisions_chart": outcomes_chart(context["decisions_by_gate"], "Gate decisions", True),
        "trend_chart": outcomes_chart(
            context["decisions_by_month"], "Gate decisions by month", False
        ),
        "findings_chart": svg(
            bar_chart_svg(
                [row["severity"] for row in by_severity],
                [row["count"] for row in by_severity],
                title="Open findings by severity",
                value_format="{:.0f}",
            )
        )
        if by_severity
        else None,
    }


def _periodic_files(reader: Reader, context: Mapping[str, Any]) -> list[EvidenceFile]:
    """The full listings the page summarises, and the policy bundle in force.

    Not the decisions' input documents: a busy year holds tens of thousands, and each
    decision's own evidence (its promotion pack, ``gatehouse evidence export``) carries
    them for replay; the decision listing names each one's input and bundle digests.
    """
    period = context["period"]
    return [
        *(
            json_evidence(
                listing["name"],
                listing["description"],
                {
                    "report_kind": "periodic_compliance",
                    "period": {"start": period["start"], "end": period["end"]},
                    "rows": listing["rows"],
                },
            )
            for listing in context["listings"].values()
        ),
        policy_bundle_evidence(reader.bundle),
    ]


register_kind(
    ReportKind(
        name="periodic_compliance",
        label="Periodic compliance report",
        subject_type=PERIOD_SUBJECT,
        build=_periodic,
        figures=_periodic_figures,
        evidence=_periodic_files,
    )
)
