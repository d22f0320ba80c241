"""Evidence cited by several kinds: evaluations, audits, control outcomes and votes.

Figures are printed beside the bounds of the policy data (the numbers the Rego controls
apply); whether an audit passed is never judged here but read from the gate decision
(:mod:`app.reports.verdicts`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlmodel import col, select

from app.models.datasets import DatasetVersion
from app.models.evidence import AuditRun
from app.models.governance import ApprovalVote, PolicyDecision
from app.models.model_versions import Evaluation
from app.models.vocabulary import AuditKind, AuditState
from app.reports.contexts import (
    AuditSummary,
    ControlOutcome,
    EvaluationSummary,
    MetricResult,
)
from app.reports.reader import (
    Reader,
    dataset_label,
    number,
    severity,
)
from app.reports.verdicts import audit_verdict


def evaluation_summary(reader: Reader, evaluation: Evaluation) -> EvaluationSummary:
    """A benchmark against the metric bounds, or a red-team run against the pass rate."""
    if evaluation.kind == "red_team":
        tried = int(number(evaluation.metrics.get("prompts_tried")) or 0)
        failures = int(number(evaluation.metrics.get("failures")) or 0)
        minimum = reader.thresholds.get("red_team", {}).get("min_pass_rate")
        pass_rate = 1.0 - failures / tried if tried else math.nan
        return {
            "name": evaluation.name,
            "kind": "red_team",
            "dataset": evaluation.attack_category or "red-team prompt set",
            "run_at": evaluation.created_at,
            "metrics": [
                {
                    "name": "pass rate",
                    "value": pass_rate,
                    "threshold": minimum,
                    "comparison": ">=",
                    "passed": None if minimum is None else pass_rate >= minimum,
                }
            ],
            "red_team": [
                {
                    "category": evaluation.attack_category or evaluation.name,
                    "prompts_tried": tried,
                    "failures": failures,
                    "severity": severity(evaluation.severity),  # type: ignore[typeddict-item]
                    "open_findings": evaluation.open_findings,
                }
            ],
        }
    bounds = reader.thresholds.get("evaluations", {}).get("bounds", {})
    metrics: list[MetricResult] = []
    for name, raw in evaluation.metrics.items():
        value = number(raw)
        bound = bounds.get(name, {})
        if "min" in bound:
            metrics.append(
                {
                    "name": name,
                    "value": value,
                    "threshold": bound["min"],
                    "comparison": ">=",
                    "passed": value >= bound["min"],
                }
            )
        elif "max" in bound:
            metrics.append(
                {
                    "name": name,
                    "value": value,
                    "threshold": bound["max"],
                    "comparison": "<=",
                    "passed": value <= bound["max"],
                }
            )
        else:
            metrics.append({"name": name, "value": value, "threshold": None, "passed": None})
    return {
        "name": evaluation.name,
        "kind": "benchmark",
        "dataset": "held-out benchmark set",
        "run_at": evaluation.created_at,
        "metrics": metrics,
    }


def _fairness_headline(reader: Reader, results: Mapping[str, Any]) -> list[MetricResult]:
    """The worst adverse impact ratio and equalized odds difference against the policy bounds."""
    bounds = reader.thresholds.get("fairness", {})
    headline = results.get("headline", {})
    air = number(headline.get("adverse_impact_ratio", {}).get("value"))
    eod = number(headline.get("equalized_odds_difference", {}).get("value"))
    dpd = number(headline.get("demographic_parity_difference", {}).get("value"))
    minimum = bounds.get("min_adverse_impact_ratio")
    maximum = bounds.get("max_equalized_odds_difference")
    return [
        {
            "name": "adverse impact ratio (four-fifths rule)",
            "value": air,
            "threshold": minimum,
            "comparison": ">=",
            "passed": None if minimum is None else air >= minimum,
        },
        {
            "name": "equalized odds difference",
            "value": eod,
            "threshold": maximum,
            "comparison": "<=",
            "passed": None if maximum is None else eod <= maximum,
        },
        {"name": "demographic parity difference", "value": dpd, "threshold": None, "passed": None},
    ]


def reasons_available(audit: AuditRun) -> bool:
    """Whether an explainability audit gave principal reasons for its decisions."""
    stated = (audit.summary or {}).get("principal_reasons_available")
    if isinstance(stated, bool):
        return stated
    return bool((audit.results or {}).get("decisions"))


def _explainability_headline(audit: AuditRun) -> list[MetricResult]:
    """Decisions explained and, for a surrogate, its fidelity."""
    results = audit.results or {}
    metrics: list[MetricResult] = [
        {
            "name": "decisions explained",
            "value": number(results.get("rows")),
            "threshold": None,
            "passed": reasons_available(audit),
        }
    ]
    fidelity = results.get("fidelity")
    if fidelity:
        metrics.append(
            {
                "name": "surrogate fidelity (R²)",
                "value": number(fidelity.get("r2")),
                "threshold": None,
                "passed": None,
            }
        )
    return metrics


def audit_headline(reader: Reader, audit: AuditRun) -> list[MetricResult]:
    """The figures an audit is judged on."""
    if audit.kind == AuditKind.FAIRNESS:
        return _fairness_headline(reader, audit.results or {})
    return _explainability_headline(audit)


def audit_dataset_label(reader: Reader, audit: AuditRun) -> str:
    """The dataset version an audit ran on, or what its parameters say."""
    if audit.dataset_version_id is not None:
        version = reader.session.get(DatasetVersion, audit.dataset_version_id)
        if version is not None:
            return dataset_label(reader, version)
    return str((audit.parameters or {}).get("decisions", "decisions table (not registered)"))


def audit_summary(reader: Reader, audit: AuditRun) -> AuditSummary:
    """An audit run as cited from a model card or an evidence pack."""
    return {
        "audit_id": f"#{audit.id}",
        "kind": AuditKind(audit.kind).value,
        "dataset": audit_dataset_label(reader, audit),
        "run_at": audit.finished_at or audit.created_at,
        "verdict": audit_verdict(reader, audit).verdict,
        "headline": audit_headline(reader, audit),
    }


def succeeded_audits(reader: Reader, model_id: int) -> list[AuditRun]:
    """A model's finished audits, newest first."""
    return list(
        reader.session.exec(
            select(AuditRun)
            .where(AuditRun.model_version_id == model_id, AuditRun.status == AuditState.SUCCEEDED)
            .order_by(col(AuditRun.id).desc())
        ).all()
    )


def control_outcomes(reader: Reader, decision: PolicyDecision) -> list[ControlOutcome]:
    """Every control the gate applied, with its citation; unreported controls as ``missing``."""
    outcomes: list[ControlOutcome] = []
    reported = set()
    for outcome in decision.result.get("controls", []):
        control_id = outcome["control_id"]
        reported.add(control_id)
        control = reader.catalogue.get(control_id)
        violations = outcome.get("violations", [])
        messages = [violation["message"] for violation in violations] or (
            [outcome["reason"]] if outcome.get("reason") else []
        )
        outcomes.append(
            {
                "control_id": control_id,
                "regulation": control.regulation if control else "",
                "citation": control.citation if control else "",
                "title": control.title if control else control_id,
                "outcome": outcome["status"],
                "severity": severity(
                    violations[0]["severity"]
                    if violations
                    else (control.severity if control else None)
                ),  # type: ignore[typeddict-item]
                "messages": messages,
            }
        )
    unreported: dict[str, list[dict[str, Any]]] = {}
    for violation in decision.violations:
        if violation["control"] not in reported:
            unreported.setdefault(violation["control"], []).append(violation)
    for control_id, violations in unreported.items():
        control = reader.catalogue.get(control_id)
        outcomes.append(
            {
                "control_id": control_id,
                "regulation": control.regulation if control else violations[0]["regulation"],
                "citation": control.citation if control else violations[0]["citation"],
                "title": control.title if control else "Gate integrity",
                "outcome": "missing" if control else "fail",
                "severity": severity(violations[0]["severity"]),  # type: ignore[typeddict-item]
                "messages": [violation["message"] for violation in violations],
            }
        )
    return outcomes


def votes_on(reader: Reader, request_id: int) -> list[ApprovalVote]:
    """Votes on a request in the order they were cast."""
    return list(
        reader.session.exec(
            select(ApprovalVote)
            .where(ApprovalVote.request_id == request_id)
            .order_by(col(ApprovalVote.created_at), col(ApprovalVote.id))
        ).all()
    )
