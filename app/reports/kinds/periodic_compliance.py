"""Kind ``periodic_compliance``: the registry's standing at the end of a period."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from app.charts import bar_chart_svg, stacked_bar_chart_svg
from app.models.datasets import DatasetVersion
from app.models.deployments import Deployment
from app.models.governance import ApprovalRequest, PolicyDecision
from app.models.model_versions import ModelVersion
from app.models.runs import FineTuneRun
from app.models.vocabulary import ApprovalStatus, GateName
from app.registry.datasets import open_erasure_requests
from app.registry.model_versions import evaluations_of
from app.reports.contexts import (
    DatasetRow,
    DecisionRow,
    ExpiringApproval,
    Finding,
    ModelRow,
    PeriodicComplianceContext,
)
from app.reports.evidence import (
    succeeded_audits,
    votes_on,
)
from app.reports.kind import PERIOD_SUBJECT, ReportKind, register_kind, svg
from app.reports.prepared import Period
from app.reports.reader import (
    SEVERITIES,
    Reader,
    classification,
    dataset_label,
    dataset_name,
    deployments_of,
    lawful_basis,
    meta,
    model_label,
    model_state,
    severity,
)
from app.reports.verdicts import audit_verdict

#: How far after a period's end an open approval request counts as expiring soon.
EXPIRY_HORIZON = dt.timedelta(days=30)


def _latest_decisions(reader: Reader, before: dt.datetime) -> list[PolicyDecision]:
    """The newest decision of each (gate, subject) made before ``before``."""
    latest: dict[tuple[str, str, int], PolicyDecision] = {}
    for decision in reader.session.exec(
        select(PolicyDecision)
        .where(col(PolicyDecision.created_at) < before)
        .order_by(col(PolicyDecision.id))
    ).all():
        latest[(decision.gate, decision.subject_type, decision.subject_id)] = decision
    return list(latest.values())


def _subject_label(reader: Reader, subject_type: str, subject_id: int) -> str:
    """A readable name for a gate's subject."""
    if subject_type == "deployment":
        deployment = reader.session.get(Deployment, subject_id)
        model = (
            reader.session.get(ModelVersion, deployment.model_version_id) if deployment else None
        )
        if model is not None:
            return f"deployment #{subject_id} ({model_label(model)})"
    if subject_type == "run":
        run = reader.session.get(FineTuneRun, subject_id)
        if run is not None:
            return f"run {run.name}"
    if subject_type == "dataset_version":
        version = reader.session.get(DatasetVersion, subject_id)
        if version is not None:
            return f"dataset {dataset_label(reader, version)}"
    return f"{subject_type.replace('_', ' ')} #{subject_id}"


def _model_of_subject(reader: Reader, subject_type: str, subject_id: int) -> set[int]:
    """Model versions a gate subject belongs to (a deployment's model, a run's models)."""
    if subject_type == "deployment":
        deployment = reader.session.get(Deployment, subject_id)
        return {deployment.model_version_id} if deployment is not None else set()
    if subject_type == "run":
        return {
            model.id or 0
            for model in reader.session.exec(
                select(ModelVersion).where(ModelVersion.run_id == subject_id)
            ).all()
        }
    return set()


@dataclass(frozen=True)
class _OpenFinding:
    """A finding with the model versions and dataset versions it counts against."""

    finding: Finding
    models: frozenset[int] = frozenset()
    datasets: frozenset[int] = frozenset()


def _policy_findings(reader: Reader, latest: Sequence[PolicyDecision]) -> list[_OpenFinding]:
    """Every violation of the newest decision of each gate and subject that denies."""
    found = []
    for decision in latest:
        if decision.allow:
            continue
        label = _subject_label(reader, decision.subject_type, decision.subject_id)
        models = frozenset(_model_of_subject(reader, decision.subject_type, decision.subject_id))
        datasets = frozenset(
            {decision.subject_id} if decision.subject_type == "dataset_version" else set()
        )
        for violation in decision.violations:
            finding: Finding = {
                "source": "policy",
                "subject": label,
                "reference": f"{violation['control']} ({decision.gate})",
                "severity": severity(violation.get("severity")),  # type: ignore[typeddict-item]
                "opened_at": decision.created_at,
                "message": violation["message"],
            }
            found.append(_OpenFinding(finding, models, datasets))
    return found


def _model_findings(
    reader: Reader, model: ModelVersion, end: dt.datetime
) -> tuple[list[_OpenFinding], dt.datetime | None]:
    """Open red-team findings and failing latest audits of a model; its last audit time."""
    model_id = model.id or 0
    found = []
    for evaluation in evaluations_of(session=reader.session, model_id=model_id):
        if evaluation.kind != "red_team" or not evaluation.open_findings:
            continue
        if evaluation.created_at >= end:
            continue
        red_team: Finding = {
            "source": "red_team",
            "subject": model_label(model),
            "reference": evaluation.attack_category or evaluation.name,
            "severity": severity(evaluation.severity),  # type: ignore[typeddict-item]
            "opened_at": evaluation.created_at,
            "message": f"{evaluation.open_findings} open finding(s) from {evaluation.name}",
        }
        found.append(_OpenFinding(red_team, frozenset({model_id})))
    audits = [
        audit
        for audit in succeeded_audits(reader, model_id)
        if (audit.finished_at or audit.created_at) < end
    ]
    newest_by_kind = {audit.kind: audit for audit in reversed(audits)}
    for audit in newest_by_kind.values():
        verdict = audit_verdict(reader, audit)
        if verdict.verdict != "fail":
            continue
        breach: Finding = {
            "source": "audit",
            "subject": model_label(model),
            "reference": f"{audit.kind} audit #{audit.id}",
            "severity": "high",
            "opened_at": audit.finished_at or audit.created_at,
            "message": "; ".join(verdict.messages) or "the gate failed the latest audit",
        }
        found.append(_OpenFinding(breach, frozenset({model_id})))
    last = (audits[0].finished_at or audits[0].created_at) if audits else None
    return found, last


def _erasure_findings(reader: Reader, versions: Sequence[DatasetVersion]) -> list[_OpenFinding]:
    """Erasure requests (GDPR Art. 17) not resolved yet."""
    found = []
    for version in versions:
        for erasure in open_erasure_requests(session=reader.session, version_id=version.id or 0):
            finding: Finding = {
                "source": "erasure",
                "subject": f"dataset {dataset_label(reader, version)}",
                "reference": erasure.reference,
                "severity": "medium",
                "opened_at": erasure.requested_at,
                "message": "erasure request (GDPR Art. 17) not resolved",
            }
            found.append(_OpenFinding(finding, datasets=frozenset({version.id or 0})))
    return found


def _decision_rows(reader: Reader, period: Period) -> list[DecisionRow]:
    """Every gate decision made in the period, in time order."""
    decisions = reader.session.exec(
        select(PolicyDecision)
        .where(
            col(PolicyDecision.created_at) >= period.starts_at,
            col(PolicyDecision.created_at) < period.ends_before,
        )
        .order_by(col(PolicyDecision.created_at), col(PolicyDecision.id))
    ).all()
    return [
        {
            "decided_at": decision.created_at,
            "gate": decision.gate,
            "subject": _subject_label(reader, decision.subject_type, decision.subject_id),
            "allow": decision.allow,
            "violations": len(decision.violations),
        }
        for decision in decisions
    ]


def _expiring_approvals(reader: Reader, period: Period) -> list[ExpiringApproval]:
    """Open approval requests that lapse in the period or within the horizon after it."""
    requests = reader.session.exec(
        select(ApprovalRequest)
        .where(
            ApprovalRequest.status == ApprovalStatus.PENDING,
            col(ApprovalRequest.expires_at) >= period.starts_at,
            col(ApprovalRequest.expires_at) < period.ends_before + EXPIRY_HORIZON,
        )
        .order_by(col(ApprovalRequest.expires_at))
    ).all()
    expiring: list[ExpiringApproval] = []
    for request in requests:
        votes = votes_on(reader, request.id or 0)
        subject = _subject_label(reader, request.subject_type, request.subject_id)
        for required in request.required_approvals:
            voters = [reader.person(vote.voter) for vote in votes if vote.role == required["role"]]
            expiring.append(
                {
                    "subject": f"{request.gate}: {subject} (request #{request.id})",
                    "role": f"{required['count']} × {required['role']}",
                    "approver": ", ".join(voters) or "awaiting vote",
                    "expires_at": request.expires_at,
                }
            )
    return expiring


def _periodic(
    reader: Reader, *, period: Period, actor: str, generated_at: dt.datetime
) -> PeriodicComplianceContext:
    """Kind ``periodic_compliance``: the registry's standing at the end of ``period``."""
    session = reader.session
    end = period.ends_before
    models = session.exec(
        select(ModelVersion)
        .where(col(ModelVersion.created_at) < end)
        .order_by(col(ModelVersion.name), col(ModelVersion.id))
    ).all()
    versions = session.exec(
        select(DatasetVersion)
        .where(col(DatasetVersion.created_at) < end)
        .order_by(col(DatasetVersion.dataset_id), col(DatasetVersion.version))
    ).all()
    latest = _latest_decisions(reader, end)
    findings = _policy_findings(reader, latest) + _erasure_findings(reader, versions)
    last_audit: dict[int, dt.datetime | None] = {}
    for model in models:
        found, last_audit[model.id or 0] = _model_findings(reader, model, end)
        findings += found
    findings.sort(
        key=lambda item: (SEVERITIES.index(item.finding["severity"]), item.finding["opened_at"])
    )
    last_promotion: dict[int, bool] = {}
    for decision in sorted(latest, key=lambda decision: decision.id or 0):
        if decision.gate == GateName.PRODUCTION_PROMOTION:
            for model_id in _model_of_subject(reader, decision.subject_type, decision.subject_id):
                last_promotion[model_id] = decision.allow
    model_rows: list[ModelRow] = []
    for model in models:
        model_id = model.id or 0
        deployments = deployments_of(reader, model_id)
        allowed = last_promotion.get(model_id)
        model_rows.append(
            {
                "name": model.name,
                "version": model.version,
                "risk_tier": model.risk_tier  # type: ignore[typeddict-item]
                if model.risk_tier in ("high", "medium", "low")
                else "unassigned",
                "domain": model.domain or "not recorded",
                "state": model_state(deployments),
                "environments": sorted({str(deployment.state) for deployment in deployments}),
                "last_decision": None if allowed is None else ("allow" if allowed else "deny"),
                "last_audit_at": last_audit[model_id],
                "open_findings": sum(model_id in item.models for item in findings),
            }
        )
    dataset_rows: list[DatasetRow] = [
        {
            "name": dataset_name(reader, version),
            "version": f"v{version.version}",
            "classification": classification(version),
            "lawful_basis": lawful_basis(version.lawful_basis),
            "retention_until": version.retention_until,
            "open_findings": sum((version.id or 0) in item.datasets for item in findings),
        }
        for version in versions
    ]
    return {
        "meta": meta(
            reader,
            subject=f"all models and datasets, {period.label}",
            actor=actor,
            generated_at=generated_at,
        ),
        "period": {"start": period.start, "end": period.end, "label": period.label},
        "models": model_rows,
        "datasets": dataset_rows,
        "decisions": _decision_rows(reader, period),
        "open_findings": [item.finding for item in findings],
        "expiring_approvals": _expiring_approvals(reader, period),
    }


def _periodic_figures(context: Mapping[str, Any]) -> dict[str, Any]:
    """Decisions per gate (allowed/denied) and open findings per severity."""
    decisions = context["decisions"]
    decisions_chart = None
    if decisions:
        gates = sorted({decision["gate"] for decision in decisions})
        allowed = Counter(decision["gate"] for decision in decisions if decision["allow"])
        denied = Counter(decision["gate"] for decision in decisions if not decision["allow"])
        decisions_chart = svg(
            stacked_bar_chart_svg(
                gates,
                {
                    "allowed": [allowed[gate] for gate in gates],
                    "denied": [denied[gate] for gate in gates],
                },
                title="Gate decisions",
                horizontal=True,
            )
        )
    findings = context["open_findings"]
    findings_chart = None
    if findings:
        by_severity = Counter(finding["severity"] for finding in findings)
        present = [severity for severity in SEVERITIES if by_severity[severity]]
        findings_chart = svg(
            bar_chart_svg(
                present,
                [by_severity[severity] for severity in present],
                title="Open findings by severity",
                value_format="{:.0f}",
            )
        )
    return {"decisions_chart": decisions_chart, "findings_chart": findings_chart}


register_kind(
    ReportKind(
        name="periodic_compliance",
        label="Periodic compliance report",
        subject_type=PERIOD_SUBJECT,
        template="periodic_compliance.html",
        build=_periodic,
        figures=_periodic_figures,
    )
)
