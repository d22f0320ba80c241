"""A registry at scale for the benchmarks, seeded by bulk Core inserts.

Through the services a registry of ten thousand runs and decisions takes an hour to
build; one executemany INSERT per table takes seconds. :class:`Scale` says how many of
each record to make and over which stretch of time their decisions and approval
requests fall; :func:`seed_registry` writes them (ids included, so rows refer to each
other) into a migrated database. ``bench/portal.py`` and ``bench/report.py`` seed with
it, and the periodic report's statement-count test seeds two sizes with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import SQLModel

from app.db import table_of
from app.models.datasets import Dataset, DatasetVersion, ErasureRequest
from app.models.deployments import Deployment
from app.models.evidence import AuditRun
from app.models.governance import ApprovalRequest, ApprovalVote, PolicyDecision
from app.models.model_versions import Evaluation, ModelVersion
from app.models.runs import FineTuneRun, RunDataset
from app.models.users import RoleName
from app.models.vocabulary import (
    ApprovalStatus,
    AuditKind,
    AuditState,
    DecisionOutcome,
    Domain,
    FindingSeverity,
    GateName,
    GateSubject,
    Platform,
    VoteDecision,
)

__all__ = ["Scale", "seed_registry"]

_RUN_STATES = ("draft", "submitted", "approved", "rejected", "succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class Scale:
    """How big a registry to seed."""

    runs: int
    models: int
    """Model versions, each with one staging deployment; model ``i`` comes from run ``10 i``."""
    decisions: int
    """Gate decisions: four in five about runs, one in five about deployments."""
    requests: int
    """Approval requests; every other one is pending."""
    datasets: int
    start: dt.datetime
    """When the first decision is made and the first request created."""
    end: dt.datetime
    """Decisions and requests are spread evenly from ``start`` to here."""
    indeterminate_every: int = 0
    """Every n-th decision is indeterminate (the engine gave no answer); 0 for none."""
    request_lifetime: dt.timedelta = dt.timedelta(days=14)
    """How long after its creation a request expires."""
    audits: int = 0
    """Models ``1..audits`` get a succeeded fairness audit that their deployment's
    decisions saw (so reports read the gate's verdict on it)."""
    red_team: int = 0
    """Models ``1..red_team`` get a red-team evaluation with open findings."""
    erasures: int = 0
    """Dataset versions ``1..erasures`` get an unresolved erasure request."""


def _insert(connection: sa.Connection, model: type[SQLModel], rows: list[SQLModel]) -> None:
    """Rows of ``model`` by one executemany INSERT (ids included, so others can refer)."""
    connection.execute(sa.insert(table_of(model)), [row.model_dump() for row in rows])


def _when(scale: Scale, index: int, count: int) -> dt.datetime:
    """The ``index``-th of ``count`` instants spread evenly over the scale's span."""
    return scale.start + (scale.end - scale.start) * (index / max(count, 1))


def _decision(
    scale: Scale, index: int, subject_type: GateSubject, subject_id: int, controls: list[str]
) -> PolicyDecision:
    """A decision shaped like the engine's: every control's outcome, two failing in three
    (or none reported, when the engine gave no answer)."""
    undecided = scale.indeterminate_every > 0 and index % scale.indeterminate_every == 0
    failing = controls[index % len(controls)] if index % 3 and not undecided else None
    outcomes = [
        {
            "control_id": control,
            "status": "fail" if control == failing else "pass",
            "reason": "synthetic outcome for the benchmark",
        }
        for control in controls
    ]
    violations = (
        [
            {
                "control": failing,
                "regulation": failing.split("-")[0],
                "citation": "benchmark citation",
                "severity": "high",
                "message": f"{subject_type} {subject_id} fails {failing}",
            }
        ]
        if failing
        else []
    )
    if undecided:
        outcome = DecisionOutcome.INDETERMINATE
    else:
        outcome = DecisionOutcome.DENIED if failing else DecisionOutcome.ALLOWED
    digest = hashlib.sha256(f"decision {index}".encode()).hexdigest()
    return PolicyDecision(
        id=index,
        gate=GateName.TRAINING_LAUNCH
        if subject_type == GateSubject.RUN
        else GateName.PRODUCTION_PROMOTION,
        subject_type=subject_type,
        subject_id=subject_id,
        input_sha256=digest,
        evidence_sha256=digest,
        bundle_sha256="b" * 64,
        engine="embedded",
        allow=outcome == DecisionOutcome.ALLOWED,
        outcome=outcome,
        result={
            "allow": outcome == DecisionOutcome.ALLOWED,
            "controls": [] if undecided else outcomes,
            "required_approvals": [{"role": "compliance_officer", "count": 1}],
            "evidence": {
                "audit_ids": [subject_id]
                if subject_type == GateSubject.DEPLOYMENT and subject_id <= scale.audits
                else []
            },
        },
        violations=violations,
        error="policy evaluation exceeded its deadline (benchmark)" if undecided else None,
        latency_ms=1.5,
        actor="release-bot",
        created_at=_when(scale, index - 1, scale.decisions),
    )


def seed_registry(engine: sa.Engine, scale: Scale, controls: list[str]) -> None:
    """The registry at ``scale``, by one bulk insert per table in one transaction."""
    if scale.runs < 10 * scale.models:
        raise ValueError("model i comes from run 10 i: seed at least ten runs per model")
    datasets = [
        Dataset(id=i, name=f"dataset-{i}", owner="eli", domain=Domain.HEALTHCARE, created_by="eli")
        for i in range(1, scale.datasets + 1)
    ]
    versions = [
        DatasetVersion(
            id=i,
            dataset_id=i,
            version=1,
            content_sha256=hashlib.sha256(f"v{i}".encode()).hexdigest(),
            format="openai_chat",
            contains_phi=i % 2 == 0,
            created_by="eli",
            created_at=scale.start,
        )
        for i in range(1, scale.datasets + 1)
    ]
    runs = [
        FineTuneRun(
            id=i,
            name=f"run-{i:05d}",
            base_model="meta-llama/Llama-3.1-8B-Instruct",
            platform=Platform.META,
            method="lora",
            state=_RUN_STATES[i % len(_RUN_STATES)],
            requester="eli",
            authors=["eli"],
        )
        for i in range(1, scale.runs + 1)
    ]
    links = [
        RunDataset(run_id=i, dataset_version_id=(i % scale.datasets) + 1)
        for i in range(1, scale.runs + 1)
    ]
    models = [
        ModelVersion(
            id=i,
            name=f"model-{i:04d}",
            version="1.0.0",
            platform=Platform.META,
            run_id=i * 10,
            developers=["eli"],
            created_by="eli",
            created_at=scale.start,
        )
        for i in range(1, scale.models + 1)
    ]
    deployments = [
        Deployment(
            id=i,
            model_version_id=i,
            endpoint=f"https://staging.internal/model-{i}",
            state="staging",
            created_by="release-bot",
        )
        for i in range(1, scale.models + 1)
    ]
    decisions = [
        _decision(scale, i, GateSubject.RUN, (i % scale.runs) + 1, controls)
        if i % 5
        else _decision(scale, i, GateSubject.DEPLOYMENT, (i % scale.models) + 1, controls)
        for i in range(1, scale.decisions + 1)
    ]
    requests = []
    for i in range(1, scale.requests + 1):
        created = _when(scale, i - 1, scale.requests)
        requests.append(
            ApprovalRequest(
                id=i,
                gate=GateName.TRAINING_LAUNCH,
                subject_type=GateSubject.RUN,
                subject_id=(i - 1) % scale.runs + 1,
                decision_id=(i - 1) % scale.decisions + 1,
                required_approvals=[
                    {"role": "compliance_officer", "count": 1},
                    {"role": "model_risk", "count": 1},
                ],
                input_sha256="c" * 64,
                status=ApprovalStatus.PENDING if i % 2 else ApprovalStatus.APPROVED,
                requester="eli",
                excluded_approvers=["eli"],
                created_at=created,
                expires_at=created + scale.request_lifetime,
            )
        )
    # One model-risk vote on every third pending request (the compliance officer's is owed).
    votes = [
        ApprovalVote(
            id=index,
            request_id=request.id or 0,
            voter="maya",
            role=RoleName.MODEL_RISK,
            vote=VoteDecision.APPROVE,
            created_at=request.created_at,
        )
        for index, request in enumerate(
            (
                request
                for request in requests
                if request.status == ApprovalStatus.PENDING and (request.id or 0) % 3 == 0
            ),
            start=1,
        )
    ]
    with engine.begin() as connection:
        for model, rows in (
            (Dataset, datasets),
            (DatasetVersion, versions),
            (FineTuneRun, runs),
            (RunDataset, links),
            (ModelVersion, models),
            (Deployment, deployments),
            (PolicyDecision, decisions),
            (ApprovalRequest, requests),
            (ApprovalVote, votes),
            *_evidence(scale),
        ):
            _insert(connection, model, rows)  # type: ignore[arg-type]


def _evidence(scale: Scale) -> list[tuple[type[SQLModel], list[SQLModel]]]:
    """Audits, red-team evaluations and erasure requests, as many as ``scale`` asks."""
    audits = [
        AuditRun(
            id=i,
            model_version_id=i,
            kind=AuditKind.FAIRNESS,
            status=AuditState.SUCCEEDED,
            summary={"adverse_impact_ratio": 0.7 + (i % 4) / 10},
            requested_by="eli",
            created_at=scale.start,
            finished_at=scale.start,
        )
        for i in range(1, scale.audits + 1)
    ]
    evaluations = [
        Evaluation(
            id=i,
            model_version_id=i,
            kind="red_team",
            name=f"garak probe set {i}",
            metrics={"prompts_tried": 400, "failures": 7},
            attack_category="prompt injection",
            severity=FindingSeverity.MEDIUM,
            open_findings=1 + i % 3,
            created_at=scale.start,
            created_by="eli",
        )
        for i in range(1, scale.red_team + 1)
    ]
    erasures = [
        ErasureRequest(
            id=i,
            dataset_version_id=i,
            reference=f"DSR-{i:05d}",
            requested_at=scale.start,
        )
        for i in range(1, scale.erasures + 1)
    ]
    return [(AuditRun, audits), (Evaluation, evaluations), (ErasureRequest, erasures)]  # type: ignore[list-item]
