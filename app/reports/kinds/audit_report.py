"""Kind ``audit_report``: one finished fairness or explainability audit, with the gate's verdict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from app.audits.charts import group_importance_figures
from app.charts import bar_chart_svg, grouped_bar_chart_svg
from app.models.datasets import DatasetVersion
from app.models.evidence import AuditRun
from app.models.governance import PolicyDecision
from app.models.model_versions import ModelVersion
from app.models.vocabulary import AuditKind, AuditState, LedgerSubject
from app.registry.records import get_record
from app.reports.attachments import FIGURES_NAME, EvidenceFile, gate_evidence, json_evidence
from app.reports.contexts import (
    AuditReportContext,
    DatasetRef,
    DecisionReasons,
    ExplainabilityResults,
    FairnessGroup,
    FairnessTable,
    Figure,
    Finding,
)
from app.reports.errors import ReportSubjectNotReadyError
from app.reports.evidence import (
    audit_dataset_label,
    reasons_available,
)
from app.reports.kind import ReportKind, register_kind, svg
from app.reports.reader import (
    Reader,
    dataset_ref,
    meta,
    model_label,
    number,
    severity,
)
from app.reports.verdicts import GateVerdict, audit_verdict

_FLAG_SEVERITY = {
    "missing_sensitive_values": "medium",
    "small_group": "low",
    "empty_group": "info",
    "undefined_rate": "info",
}
_MAX_SAMPLE_DECISIONS = 10
_MAX_IMPORTANCE_BARS = 15


def _fairness_tables(reader: Reader, results: Mapping[str, Any]) -> list[FairnessTable]:
    """Each sensitive feature's (and the intersection's) non-empty groups.

    Each table's figures are set beside the policy bounds (``passed`` says whether they
    are within them, ``None`` when the policy data sets no bound); the audit's verdict is
    the gate's, not this comparison.
    """
    bounds = reader.thresholds.get("fairness", {})
    minimum = bounds.get("min_adverse_impact_ratio")
    maximum = bounds.get("max_equalized_odds_difference")
    tables: list[FairnessTable] = []
    for table in results.get("tables", []):
        groups: list[FairnessGroup] = []
        for row in table["groups"]:
            if row.get("empty"):
                continue
            metrics = row["metrics"]
            interval = row.get("intervals", {}).get("selection_rate")
            groups.append(
                {
                    "group": row["group"],
                    "count": int(row["count"]),
                    "selection_rate": number(metrics.get("selection_rate")),
                    "selection_rate_ci": (
                        (float(interval[0]), float(interval[1]))
                        if interval and None not in interval
                        else None
                    ),
                    "true_positive_rate": number(metrics.get("true_positive_rate")),
                    "false_positive_rate": number(metrics.get("false_positive_rate")),
                    "false_negative_rate": number(metrics.get("false_negative_rate")),
                    "accuracy": number(metrics.get("accuracy")),
                }
            )
        ratio = number(table.get("adverse_impact_ratio"))
        odds = number(table.get("equalized_odds_difference"))
        tables.append(
            {
                "sensitive_feature": table["name"],
                "groups": groups,
                "demographic_parity_difference": number(table.get("demographic_parity_difference")),
                "demographic_parity_ratio": number(table.get("demographic_parity_ratio")),
                "equalized_odds_difference": odds,
                "four_fifths_threshold": minimum,
                "passed": (
                    None
                    if minimum is None or maximum is None
                    else ratio >= minimum and odds <= maximum
                ),
            }
        )
    return tables


def _stored_decisions(results: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Explained decisions with their ids, in stored order.

    The audit library's ``to_dict`` lists them (each with its ``decision_id``); the audit
    service stores them keyed by decision id, without the applicant's feature values.
    """
    stored = results.get("decisions") or []
    if isinstance(stored, Mapping):
        return [(str(decision_id), decision) for decision_id, decision in stored.items()]
    return [(str(decision["decision_id"]), decision) for decision in stored]


def _reason(reason: Mapping[str, Any]) -> str:
    """``feature = value (-0.123)``, or ``feature (-0.123)`` when the value was not kept."""
    contribution = f"({number(reason.get('contribution')):+.3f})"
    if "value" in reason:
        return f"{reason['feature']} = {reason['value']} {contribution}"
    return f"{reason['feature']} {contribution}"


def _explainability(results: Mapping[str, Any]) -> ExplainabilityResults:
    """SHAP method, global importance and the first decisions' principal reasons."""
    model_type = results.get("model_type", "model")
    fidelity = results.get("fidelity")
    method = (
        f"SHAP TreeExplainer on a gradient-boosting surrogate of the {model_type}"
        if results.get("method") == "surrogate"
        else f"SHAP TreeExplainer on the {model_type} itself"
    )
    output = str(results.get("output", "output")).replace("_", " ")
    decisions: list[DecisionReasons] = [
        {
            "decision_id": decision_id,
            "outcome": f"{number(decision.get('output')):.3f} ({output})",
            "reasons": [_reason(reason) for reason in decision.get("reasons", [])]
            or ["no feature lowered the favourable outcome"],
        }
        for decision_id, decision in _stored_decisions(results)[:_MAX_SAMPLE_DECISIONS]
    ]
    return {
        "method": method,
        "surrogate_fidelity": number(fidelity.get("r2")) if fidelity else None,
        "global_importance": [
            {"feature": str(name), "importance": number(value)}
            for name, value in results.get("global_importance", {}).items()
        ],
        "sample_decisions": decisions,
    }


def _explainability_figures(results: Mapping[str, Any]) -> list[Figure]:
    """Importance of the top features per group of each sensitive column."""
    drawn = group_importance_figures(
        results.get("global_importance", {}), results.get("group_importance", {})
    )
    return [
        {"title": figure["title"], "svg": figure["svg"], "caption": figure["caption"]}
        for figure in drawn
    ]


def _audit_findings(audit: AuditRun, model: ModelVersion, verdict: GateVerdict) -> list[Finding]:
    """What the gate found wrong with the audit first, then the audit library's flags."""
    opened = audit.finished_at or audit.created_at
    subject = model_label(model)
    findings: list[Finding] = [
        {
            "source": "policy",
            "subject": subject,
            "reference": f"{violation['control']} ({verdict.decision.gate})",
            "severity": severity(violation.get("severity")),  # type: ignore[typeddict-item]
            "opened_at": verdict.decision.created_at,
            "message": violation["message"],
        }
        for outcome in verdict.controls
        for violation in outcome.get("violations", [])
        if verdict.decision is not None
    ]
    if audit.kind == AuditKind.EXPLAINABILITY and not reasons_available(audit):
        findings.append(
            {
                "source": "audit",
                "subject": subject,
                "reference": "principal reasons",
                "severity": "high",
                "opened_at": opened,
                "message": "the audit gave no principal reasons for its decisions",
            }
        )
    for flag in (audit.results or {}).get("flags", []):
        findings.append(
            {
                "source": "audit",
                "subject": subject,
                "reference": f"{flag['code'].replace('_', ' ')} ({flag['table']})",
                "severity": _FLAG_SEVERITY.get(flag["code"], "info"),  # type: ignore[typeddict-item]
                "opened_at": opened,
                "message": flag["message"],
            }
        )
    return findings


def _audit_narrative(reader: Reader, audit: AuditRun, model: ModelVersion) -> str:
    """What was audited, how, and against which bounds, in two short paragraphs."""
    results = audit.results or {}
    if audit.kind == AuditKind.FAIRNESS:
        settings = results.get("settings", {})
        headline = results.get("headline", {})
        bounds = reader.thresholds.get("fairness", {})
        features = ", ".join(settings.get("sensitive", [])) or "the sensitive features"
        air = headline.get("adverse_impact_ratio", {})
        eod = headline.get("equalized_odds_difference", {})
        return (
            f"Fairness audit of {int(results.get('rows', 0)):,} decisions of "
            f"{model_label(model)} by {features}"
            f"{' and their intersection' if settings.get('intersections') else ''}. "
            f"Lowest adverse impact ratio {number(air.get('value')):.4f} ({air.get('table')}), "
            f"policy minimum {bounds.get('min_adverse_impact_ratio')}; largest equalized odds "
            f"difference {number(eod.get('value')):.4f} ({eod.get('table')}), policy maximum "
            f"{bounds.get('max_equalized_odds_difference')}. Confidence intervals from "
            f"{settings.get('bootstrap', 0)} bootstrap resamples.\n\n"
            "The bounds are the organisation's policy data, the same the fair-lending control "
            "applies at the promotion gate; groups without any decision are left out of the tables."
        )
    return (
        f"SHAP explanation of {int(results.get('rows', 0)):,} decisions of {model_label(model)} "
        f"({results.get('model_type', 'model')}, {results.get('method', 'tree')} method; "
        f"output explained: {str(results.get('output', '')).replace('_', ' ')}). Up to "
        f"{results.get('top_k', 0)} principal reasons are given per decision, most important "
        "first; only features that lowered the favourable outcome are given as reasons."
    )


def _audit_report(
    reader: Reader, *, subject_id: int, actor: str, generated_at: dt.datetime
) -> AuditReportContext:
    """Kind ``audit_report`` for a finished audit run."""
    audit_id = subject_id
    audit = get_record(session=reader.session, model=AuditRun, record_id=audit_id)
    if audit.status != AuditState.SUCCEEDED:
        raise ReportSubjectNotReadyError(
            f"audit run {audit_id} is {audit.status}; only a succeeded audit has figures to report"
        )
    model = get_record(session=reader.session, model=ModelVersion, record_id=audit.model_version_id)
    results = audit.results or {}
    version = (
        reader.session.get(DatasetVersion, audit.dataset_version_id)
        if audit.dataset_version_id is not None
        else None
    )
    dataset: DatasetRef = (
        dataset_ref(reader, version)
        if version is not None
        else {
            "name": audit_dataset_label(reader, audit),
            "version": "—",
            "sha256": str((audit.parameters or {}).get("decisions_sha256", "not recorded")),
            "classification": "not registered",
            "row_count": int(results.get("rows", 0)),
        }
    )
    tables = _fairness_tables(reader, results) if audit.kind == AuditKind.FAIRNESS else []
    explainable = audit.kind == AuditKind.EXPLAINABILITY
    verdict = audit_verdict(reader, audit)
    return {
        "meta": meta(
            reader,
            subject=f"{audit.kind} audit #{audit.id} of {model_label(model)}",
            actor=actor,
            generated_at=generated_at,
        ),
        "audit": {
            "audit_id": f"#{audit.id}",
            "model": model_label(model),
            "dataset": dataset,
            "run_at": audit.finished_at or audit.created_at,
            "trigger": "schedule" if audit.schedule else "on_demand",
            "verdict": verdict.verdict,
            "summary": _audit_narrative(reader, audit, model),
        },
        "fairness": tables,
        "explainability": _explainability(results) if explainable else None,
        "findings": _audit_findings(audit, model, verdict),
        "figures": _explainability_figures(results) if explainable else [],
        "decision_ids": [verdict.decision.id or 0] if verdict.decision is not None else [],
    }


def _audit_figures(context: Mapping[str, Any]) -> dict[str, Any]:
    """Selection rates with intervals and the four-fifths line; error rates; SHAP importance."""
    fairness_charts = []
    for table in context["fairness"]:
        groups = table["groups"]
        labels = [group["group"] for group in groups]
        rates = [group["selection_rate"] for group in groups]
        intervals = [group["selection_rate_ci"] for group in groups]
        highest = max((rate for rate in rates if rate == rate), default=0.0)
        minimum = table["four_fifths_threshold"]
        selection = bar_chart_svg(
            labels,
            rates,
            title=f"Selection rate by {table['sensitive_feature']}",
            errors=intervals if all(interval is not None for interval in intervals) else None,
            threshold=None if minimum is None else minimum * highest,
            threshold_label=None if minimum is None else f"{minimum:g} of the highest rate",
            value_format="{:.3f}",
        )
        error_rates = grouped_bar_chart_svg(
            labels,
            {
                "TPR": [group["true_positive_rate"] for group in groups],
                "FPR": [group["false_positive_rate"] for group in groups],
                "FNR": [group["false_negative_rate"] for group in groups],
                "accuracy": [group["accuracy"] for group in groups],
            },
            title=f"Error rates by {table['sensitive_feature']}",
        )
        fairness_charts.append({"selection": svg(selection), "rates": svg(error_rates)})
    explainability = context["explainability"]
    importance_chart = None
    if explainability is not None and explainability["global_importance"]:
        top = explainability["global_importance"][:_MAX_IMPORTANCE_BARS]
        importance_chart = svg(
            bar_chart_svg(
                [item["feature"] for item in top],
                [item["importance"] for item in top],
                title="Global feature importance",
                horizontal=True,
                value_format="{:.3f}",
                axis_label="mean |SHAP value|",
            )
        )
    figures = [{**figure, "svg": svg(figure["svg"])} for figure in context.get("figures", ())]
    return {
        "fairness_charts": fairness_charts,
        "importance_chart": importance_chart,
        "figures": figures,
    }


def _audit_files(reader: Reader, context: Mapping[str, Any]) -> Sequence[EvidenceFile]:
    """The gate decision the verdict is read from (with its input and the policy bundle),
    replayable, and the audit's figures as the report prints them."""
    decisions = [reader.session.get(PolicyDecision, i) for i in context.get("decision_ids", [])]
    judged = [decision for decision in decisions if decision is not None]
    return [
        *(gate_evidence(reader, judged) if judged else ()),
        json_evidence(
            FIGURES_NAME,
            "The audit's figures: fairness tables, explainability results and findings",
            {
                "audit": context["audit"],
                "fairness": context["fairness"],
                "explainability": context["explainability"],
                "findings": context["findings"],
            },
        ),
    ]


register_kind(
    ReportKind(
        name="audit_report",
        label="Audit report",
        subject_type=LedgerSubject.AUDIT_RUN,
        build=_audit_report,
        figures=_audit_figures,
        evidence=_audit_files,
    )
)
