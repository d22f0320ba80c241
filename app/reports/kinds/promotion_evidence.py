"""Kind ``promotion_evidence``: everything the production-promotion gate decided on, in one pack."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import and_, or_
from sqlmodel import col, select

from app.evaluations.report_sections import imported_evidence
from app.ledger import verify_chain
from app.ledger.subjects import about_subject_type
from app.models.datasets import DatasetVersion
from app.models.deployments import Deployment
from app.models.governance import ApprovalRequest, PolicyDecision
from app.models.ledger import LedgerEvent
from app.models.model_versions import ModelVersion
from app.models.vocabulary import GateName, LedgerSubject, VoteDecision
from app.registry.lineage import lineage
from app.registry.model_versions import card_of, evaluations_of
from app.registry.records import get_record
from app.registry.runs import run_dataset_versions
from app.reports.attachments import FIGURES_NAME, EvidenceFile, gate_evidence, json_evidence
from app.reports.contexts import (
    ApprovalEntry,
    ApprovalRequestRef,
    LedgerEntry,
    LineageLink,
    PromotionEvidenceContext,
)
from app.reports.errors import ReportSubjectNotReadyError
from app.reports.evidence import (
    audit_summary,
    control_outcomes,
    evaluation_summary,
    succeeded_audits,
    votes_on,
)
from app.reports.kind import ReportKind, register_kind
from app.reports.reader import (
    Reader,
    meta,
    model_label,
    model_summary,
)

#: The newest events about the promotion embedded in the pack (the page summarises them).
_MAX_LEDGER_EVENTS = 5000
#: The attachment holding every event of the excerpt with its chain hashes.
LEDGER_EXCERPT_NAME = "gatehouse-ledger-excerpt.json"


_Gated = TypeVar("_Gated", ApprovalRequest, PolicyDecision)


def _newest_about_promotion(
    reader: Reader, model: type[_Gated], deployment_id: int
) -> _Gated | None:
    """The newest ``model`` row (gate decision or approval request) about the deployment's
    production promotion."""
    return reader.session.exec(
        select(model)
        .where(
            model.gate == GateName.PRODUCTION_PROMOTION,
            model.subject_type == "deployment",
            model.subject_id == deployment_id,
        )
        .order_by(col(model.id).desc())
    ).first()


def _request_ref(reader: Reader, request: ApprovalRequest | None) -> ApprovalRequestRef | None:
    """The request's identity and status; None says plainly that none was made."""
    if request is None:
        return None
    return {
        "request_id": f"#{request.id}",
        "status": str(request.status),
        "requested_by": reader.person(request.requester),
        "created_at": request.created_at,
        "expires_at": request.expires_at,
        "evidence_sha256": request.input_sha256,
        "excluded_approvers": [reader.person(name) for name in request.excluded_approvers],
    }


def _lineage_links(reader: Reader, deployment_id: int) -> list[LineageLink]:
    """Deployment → model → run → datasets, with the datasets' content hashes."""
    graph = lineage(session=reader.session, subject_type="deployment", subject_id=deployment_id)
    kinds = {
        "deployment": "deployment",
        "model_version": "model",
        "run": "run",
        "dataset_version": "dataset",
    }
    order = list(kinds)
    links: list[LineageLink] = []
    for node in sorted(graph.nodes.values(), key=lambda n: (order.index(n["type"]), n["id"])):
        sha256 = None
        if node["type"] == "dataset_version":
            version = reader.session.get(DatasetVersion, node["id"])
            sha256 = version.content_sha256 if version is not None else None
        label = node["label"]
        if "state" in node:
            label += f" ({node['state']})"
        links.append(
            {
                "kind": kinds[node["type"]],  # type: ignore[typeddict-item]
                "reference": f"{node['type'].replace('_', ' ')} #{node['id']}",
                "label": label,
                "sha256": sha256,
            }
        )
    return links


def _ledger_excerpt(
    reader: Reader, subjects: Mapping[LedgerSubject, Iterable[int]]
) -> list[LedgerEntry]:
    """The newest events about the given subjects, in chain order (old spellings too)."""
    conditions = [
        and_(
            about_subject_type(subject_type),
            col(LedgerEvent.subject_id).in_([str(record_id) for record_id in ids]),
        )
        for subject_type, ids in subjects.items()
        if ids
    ]
    events = reader.session.exec(
        select(LedgerEvent)
        .where(or_(*conditions))
        .order_by(col(LedgerEvent.seq).desc())
        .limit(_MAX_LEDGER_EVENTS)
    ).all()
    return [
        {
            "sequence": event.seq,
            "time": event.occurred_at,
            "actor": reader.person(event.actor),
            "action": event.action,
            "subject": f"{event.subject_type} {event.subject_id}",
            "payload_hash": event.payload_sha256,
            "previous_hash": event.prev_hash,
            "hash": event.hash,
        }
        for event in reversed(events)
    ]


def _promotion_evidence(
    reader: Reader, *, subject_id: int, actor: str, generated_at: dt.datetime
) -> PromotionEvidenceContext:
    """Kind ``promotion_evidence`` for a deployment with a production_promotion decision."""
    deployment_id = subject_id
    session = reader.session
    deployment = get_record(session=session, model=Deployment, record_id=deployment_id)
    decision = _newest_about_promotion(reader, PolicyDecision, deployment_id)
    if decision is None:
        raise ReportSubjectNotReadyError(
            f"deployment {deployment_id} has no production_promotion decision yet; "
            "ask the gate (or request promotion) first"
        )
    model = get_record(session=session, model=ModelVersion, record_id=deployment.model_version_id)
    request = _newest_about_promotion(reader, ApprovalRequest, deployment_id)
    votes = votes_on(reader, request.id or 0) if request is not None else []
    evaluations = evaluations_of(session=session, model_id=model.id or 0)
    audits = succeeded_audits(reader, model.id or 0)
    versions = run_dataset_versions(session=session, run_id=model.run_id) if model.run_id else []
    card = card_of(session=session, model_id=model.id or 0)
    subjects: dict[LedgerSubject, list[int]] = {
        LedgerSubject.DEPLOYMENT: [deployment_id],
        LedgerSubject.MODEL_VERSION: [model.id or 0],
        LedgerSubject.MODEL_CARD: [card.id or 0] if card is not None else [],
        LedgerSubject.EVALUATION: [evaluation.id or 0 for evaluation in evaluations],
        LedgerSubject.AUDIT_RUN: [audit.id or 0 for audit in audits],
        LedgerSubject.FINETUNE_RUN: [model.run_id] if model.run_id else [],
        LedgerSubject.DATASET_VERSION: [version.id or 0 for version in versions],
        LedgerSubject.APPROVAL_REQUEST: [request.id or 0] if request is not None else [],
    }
    required = decision.result.get("required_approvals", [])
    approvals: list[ApprovalEntry] = [
        {
            "role": vote.role,
            "approver": reader.person(vote.voter),
            "decision": VoteDecision(vote.vote).value,
            "decided_at": vote.created_at,
            "comment": vote.comment or "—",
            "excluded": request is not None and vote.voter in request.excluded_approvers,
        }
        for vote in votes
    ]
    decisions = [decision.id or 0]
    if request is not None and request.decision_id not in decisions:
        decisions.append(request.decision_id)
    return {
        "meta": meta(
            reader,
            subject=f"deployment #{deployment_id} of {model_label(model)}",
            actor=actor,
            generated_at=generated_at,
        ),
        "deployment": {
            "deployment_id": f"#{deployment_id}",
            "environment": "production",
            "endpoint": deployment.endpoint,
            "state": str(deployment.state),
            "requested_by": reader.person(request.requester if request else decision.actor),
            "requested_at": request.created_at if request else decision.created_at,
        },
        "model": model_summary(reader, model),
        "decision": {
            "gate": decision.gate,
            "allow": decision.allow,
            "outcome": str(decision.outcome),  # type: ignore[typeddict-item]
            "error": decision.error,
            "decided_at": decision.created_at,
            "engine": decision.engine,
            "policy_bundle_hash": decision.bundle_sha256,
            "input_hash": decision.input_sha256,
            "latency_ms": decision.latency_ms,
            "controls": control_outcomes(reader, decision),
            "warnings": [warning["message"] for warning in decision.result.get("warnings", [])],
            "required_approvals": [
                {"role": str(item["role"]), "count": int(item["count"])} for item in required
            ],
        },
        "approval_request": _request_ref(reader, request),
        "approvals": approvals,
        "evaluations": [evaluation_summary(reader, evaluation) for evaluation in evaluations],
        "audits": [audit_summary(reader, audit) for audit in audits],
        "lineage": _lineage_links(reader, deployment_id),
        "ledger": _ledger_excerpt(reader, subjects),
        "ledger_verified": verify_chain(session=session).intact,
        "decision_ids": decisions,
        "imported_evidence": imported_evidence(
            session=session, model_id=model.id or 0, deployment_id=deployment_id
        ),
    }


def _promotion_files(reader: Reader, context: Mapping[str, Any]) -> Sequence[EvidenceFile]:
    """The decisions with their inputs, the policy bundle, the full ledger excerpt and the
    evaluation and audit figures the pack prints."""
    decisions = [
        reader.session.get(PolicyDecision, decision_id) for decision_id in context["decision_ids"]
    ]
    return [
        *gate_evidence(reader, [decision for decision in decisions if decision is not None]),
        json_evidence(
            LEDGER_EXCERPT_NAME,
            "Every ledger event about this promotion, with payload, previous and own hash",
            {"chain_verified": context["ledger_verified"], "events": context["ledger"]},
        ),
        json_evidence(
            FIGURES_NAME,
            "Evaluation and audit figures beside the policy thresholds",
            {"evaluations": context["evaluations"], "audits": context["audits"]},
        ),
    ]


register_kind(
    ReportKind(
        name="promotion_evidence",
        label="Promotion evidence pack",
        subject_type=LedgerSubject.DEPLOYMENT,
        build=_promotion_evidence,
        evidence=_promotion_files,
    )
)
