"""Build a gate's input document from the registry.

Only classifications, counts and references leave the database: the document says that
a dataset holds PHI and which fields, never a value. Each gate has one subject kind:
``training_launch`` asks about a run, ``production_promotion`` about a deployment and
``dataset_use`` about a dataset version (optionally in the context of a run).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any, Literal

from sqlmodel import Session, col, func, select

from app.attestations.current import current_attestations, current_attestations_of_many
from app.errors import ValidationError
from app.evaluations.gate_evidence import imported_evaluation_inputs, monitoring_input
from app.models.datasets import Dataset, DatasetVersion, DeidentificationMethod, ErasureRequest
from app.models.deployments import Deployment, DeploymentState
from app.models.evidence import AuditRun
from app.models.governance import ApprovalRequest, ApprovalVote
from app.models.model_versions import Evaluation, ModelVersion
from app.models.runs import FineTuneRun
from app.models.vocabulary import (
    GATE_SUBJECTS,
    ApprovalStatus,
    AuditKind,
    AuditState,
    GateName,
    GateSubject,
    LedgerSubject,
    TransferMechanism,
)
from app.policy.input_document import (
    ApprovalInput,
    AuditInput,
    BusinessAssociateAgreement,
    CardInput,
    DatasetInput,
    DeploymentInput,
    EvaluationInput,
    GateInput,
    ModelInput,
    PhiField,
    RedTeamFinding,
    RunInput,
    Subject,
)
from app.registry import model_versions as model_service
from app.registry.records import get_record
from app.registry.runs import run_dataset_versions


def gate_named(gate: str) -> GateName:
    """The gate spelled ``gate``, or a clear error for an unknown gate."""
    try:
        return GateName(gate)
    except ValueError:
        raise ValidationError(f"unknown gate '{gate}'; gates are {', '.join(GateName)}") from None


def subject_kind_of(gate: str) -> GateSubject:
    """The subject kind of ``gate``, or a clear error for an unknown gate."""
    return GATE_SUBJECTS[gate_named(gate)]


def _attested(
    session: Session, subject_type: LedgerSubject, subject_id: int, now: datetime
) -> dict[str, Any]:
    """Fact name -> value of the facts currently attested about the subject."""
    return {
        fact: attestation.value
        for fact, attestation in current_attestations(
            session=session, subject_type=subject_type, subject_id=subject_id, now=now
        ).items()
    }


def _dpia_ref(attested: dict[str, Any]) -> str | None:
    """A DPIA counts when its outcome lets the processing go ahead."""
    dpia = attested.get("dpia") or {}
    return (
        dpia.get("ref")
        if dpia.get("outcome") in ("approved", "approved_with_mitigations")
        else None
    )


def _dataset_inputs(
    session: Session, versions: list[DatasetVersion], now: datetime
) -> list[DatasetInput]:
    """The documents of several dataset versions in three queries, whatever their number.

    Names, open erasure requests and attested facts are read for all versions at once
    (not one query per version), so a run over many datasets costs the same few
    indexed queries.
    """
    if not versions:
        return []
    dataset_ids = {version.dataset_id for version in versions}
    names = dict(
        session.exec(select(Dataset.id, Dataset.name).where(col(Dataset.id).in_(dataset_ids))).all()
    )
    version_ids = [version.id for version in versions]
    open_erasures = dict(
        session.exec(
            select(ErasureRequest.dataset_version_id, func.count())
            .where(col(ErasureRequest.dataset_version_id).in_(version_ids))
            .where(col(ErasureRequest.resolved_at).is_(None))
            .group_by(col(ErasureRequest.dataset_version_id))
        ).all()
    )
    attested = current_attestations_of_many(
        session=session,
        subject_type=LedgerSubject.DATASET_VERSION,
        subject_ids=[version.id or 0 for version in versions],
        now=now,
    )
    return [
        _dataset_input(
            version,
            name=names.get(version.dataset_id, str(version.dataset_id)),
            open_erasures=open_erasures.get(version.id or 0, 0),
            attested={
                fact: attestation.value
                for fact, attestation in attested.get(version.id or 0, {}).items()
            },
        )
        for version in versions
    ]


def _dataset_input(
    version: DatasetVersion, *, name: str, open_erasures: int, attested: dict[str, Any]
) -> DatasetInput:
    findings = version.pii_findings or {}
    retention = (
        datetime.combine(version.retention_until, time.min, tzinfo=UTC)
        if version.retention_until
        else None
    )
    return DatasetInput(
        id=str(version.id),
        name=name,
        version=str(version.version),
        contains_pii=version.contains_pii,
        contains_phi=version.contains_phi,
        special_category=version.special_category,
        data_subjects_regions=attested.get("data_subject_regions"),
        deidentification_method=DeidentificationMethod(version.deidentification_method),
        expert_determination_ref=(attested.get("expert_determination") or {}).get("ref"),
        # A version that was never scanned has no finding count: unknown, not zero.
        pii_findings_count=int(findings["total"]) if findings.get("scanned") else None,
        phi_fields=[
            PhiField(name=f.get("name", ""), purpose=f.get("purpose")) for f in version.phi_fields
        ],
        lawful_basis=attested.get("lawful_basis"),
        art9_condition=attested.get("art9_condition"),
        dpia_ref=_dpia_ref(attested),
        consent_ref=version.consent_ref,
        baa_refs=[
            BusinessAssociateAgreement(vendor=agreement["vendor"], ref=agreement["ref"])
            for agreement in attested.get("baa") or []
        ],
        residency_region=attested.get("residency_region"),
        transfer_mechanism=version.transfer_mechanism or TransferMechanism.NONE,
        transfer_ref=version.transfer_ref,
        retention_until=retention,
        open_erasure_requests=open_erasures,
        encrypted_at_rest=attested.get("encryption_at_rest"),
        controller=version.controller,
        purpose=version.processing_purpose,
        data_categories=list(version.data_categories),
        large_scale=attested.get("large_scale"),
    )


def _run_input(session: Session, run: FineTuneRun, now: datetime) -> RunInput:
    attested = _attested(session, LedgerSubject.FINETUNE_RUN, run.id or 0, now)
    return RunInput(
        id=str(run.id),
        platform=run.platform,
        hosting=attested.get("hosting"),
        vendor=run.vendor or run.platform,
        region=run.training_region,
        method=run.method,
        requester=run.requester,
        authors=list(run.authors),
    )


def _model_input(session: Session, model: ModelVersion, now: datetime) -> ModelInput:
    facts = current_attestations(
        session=session,
        subject_type=LedgerSubject.MODEL_VERSION,
        subject_id=model.id or 0,
        now=now,
    )
    attested = {fact: attestation.value for fact, attestation in facts.items()}
    validation = facts.get("validation")
    return ModelInput(
        id=str(model.id),
        name=model.name,
        version=model.version,
        domain=attested.get("domain"),
        risk_tier=attested.get("risk_tier"),
        decision_type=attested.get("decision_type"),
        automated_decision_legal_effect=attested.get("legal_effect"),
        human_review=attested.get("human_review"),
        developers=list(model.developers),
        # The validator is the model_risk user who attested a passed validation.
        validator=validation.attested_by
        if validation is not None and validation.value == "validated"
        else None,
        monitoring_enabled=attested.get("monitoring"),
    )


def _threshold_of(evaluation: Evaluation, metric: str) -> dict[str, Any]:
    """The evaluation's own bound for ``metric`` as the policy reads it (none: empty)."""
    bound = (evaluation.thresholds or {}).get(metric) or {}
    if "min" in bound:
        return {"threshold": float(bound["min"]), "higher_is_better": True}
    if "max" in bound:
        return {"threshold": float(bound["max"]), "higher_is_better": False}
    return {}


def _count_of(evaluation: Evaluation, metric: str) -> int | None:
    """A red-team count as recorded; a count never recorded is unknown, not zero."""
    value = evaluation.metrics.get(metric)
    return int(value) if isinstance(value, int | float) and value >= 0 else None


def _evaluation_inputs(evaluations: list[Evaluation]) -> list[EvaluationInput]:
    inputs: list[EvaluationInput] = []
    for evaluation in evaluations:
        if evaluation.kind == "benchmark":
            inputs += [
                EvaluationInput(
                    id=f"{evaluation.id}:{metric}",
                    kind="benchmark",
                    metric=metric,
                    value=float(value),
                    **_threshold_of(evaluation, metric),
                )
                for metric, value in sorted(evaluation.metrics.items())
            ]
            continue
        findings = [
            RedTeamFinding(
                id=f"{evaluation.id}-{n + 1}",
                severity=evaluation.severity,
                category=evaluation.attack_category,
            )
            for n in range(evaluation.open_findings)
        ]
        inputs.append(
            EvaluationInput(
                id=str(evaluation.id),
                kind="red_team",
                attack_category=evaluation.attack_category,
                prompts_tried=_count_of(evaluation, "prompts_tried"),
                failures=_count_of(evaluation, "failures"),
                open_findings=findings,
            )
        )
    return inputs


def _audit_inputs(session: Session, model_id: int) -> list[AuditInput]:
    """The latest succeeded audit of each kind for the model."""
    latest: dict[AuditKind, AuditRun] = {}
    audits = session.exec(
        select(AuditRun)
        .where(AuditRun.model_version_id == model_id, AuditRun.status == AuditState.SUCCEEDED)
        .order_by(col(AuditRun.id))
    ).all()
    for audit in audits:
        latest[audit.kind] = audit
    inputs = []
    for kind, audit in sorted(latest.items()):
        summary: dict[str, Any] = audit.summary or {}
        inputs.append(
            AuditInput(
                id=str(audit.id),
                kind=kind,
                finished_at=audit.finished_at,
                adverse_impact_ratio=summary.get("adverse_impact_ratio"),
                equalized_odds_difference=summary.get("equalized_odds_difference"),
                principal_reasons_available=summary.get("principal_reasons_available"),
            )
        )
    return inputs


def _approval_inputs(
    session: Session, subject_type: GateSubject, subject_id: int
) -> list[ApprovalInput]:
    """Votes on the subject's open approval request (the policy counts them)."""
    request = session.exec(
        select(ApprovalRequest)
        .where(
            ApprovalRequest.subject_type == subject_type, ApprovalRequest.subject_id == subject_id
        )
        .where(col(ApprovalRequest.status).in_((ApprovalStatus.PENDING, ApprovalStatus.APPROVED)))
        .order_by(col(ApprovalRequest.id).desc())
    ).first()
    if request is None:
        return []
    votes = session.exec(
        select(ApprovalVote)
        .where(ApprovalVote.request_id == request.id)
        .order_by(col(ApprovalVote.id))
    ).all()
    return [ApprovalInput(role=v.role, user=v.voter, decision=v.vote) for v in votes]


def _deployment_input(deployment: Deployment) -> DeploymentInput:
    environment: Literal["staging", "production"] = (
        "production" if deployment.state == DeploymentState.PRODUCTION else "staging"
    )
    return DeploymentInput(
        id=str(deployment.id),
        environment=environment,
        access_logging=deployment.access_logging,
        monitoring=deployment.monitoring_enabled,
    )


def build_gate_input(
    *, session: Session, gate: str, subject_id: int, now: datetime, run_id: int | None = None
) -> GateInput:
    """The input document for ``gate`` about the subject with ``subject_id``."""
    gate = gate_named(gate)
    kind = GATE_SUBJECTS[gate]
    subject = Subject(kind=kind, id=str(subject_id))
    if kind is GateSubject.RUN:
        run = get_record(session=session, model=FineTuneRun, record_id=subject_id)
        return GateInput(
            gate=gate,
            subject=subject,
            datasets=_dataset_inputs(
                session, run_dataset_versions(session=session, run_id=subject_id), now
            ),
            run=_run_input(session, run, now),
            approvals=_approval_inputs(session, kind, subject_id),
            now=now,
        )
    if kind is GateSubject.DEPLOYMENT:
        deployment = get_record(session=session, model=Deployment, record_id=subject_id)
        model = get_record(
            session=session, model=ModelVersion, record_id=deployment.model_version_id
        )
        source_run = session.get(FineTuneRun, model.run_id) if model.run_id else None
        versions = (
            run_dataset_versions(session=session, run_id=source_run.id or 0) if source_run else []
        )
        card = model_service.card_of(session=session, model_id=model.id or 0)
        return GateInput(
            gate=gate,
            subject=subject,
            datasets=_dataset_inputs(session, versions, now),
            run=_run_input(session, source_run, now) if source_run else None,
            model=_model_input(session, model, now),
            card=CardInput(
                sections={k: str(v) for k, v in (card.sections if card else {}).items()},
                missing=model_service.missing_card_sections(card),
            ),
            evaluations=_evaluation_inputs(
                model_service.evaluations_of(session=session, model_id=model.id or 0)
            )
            + imported_evaluation_inputs(session=session, model_id=model.id or 0),
            audits=_audit_inputs(session, model.id or 0),
            approvals=_approval_inputs(session, kind, subject_id),
            deployment=_deployment_input(deployment),
            monitoring=monitoring_input(session=session, deployment_id=subject_id),
            now=now,
        )
    version = get_record(session=session, model=DatasetVersion, record_id=subject_id)
    context_run = (
        get_record(session=session, model=FineTuneRun, record_id=run_id)
        if run_id is not None
        else None
    )
    return GateInput(
        gate=gate,
        subject=subject,
        datasets=_dataset_inputs(session, [version], now),
        run=_run_input(session, context_run, now) if context_run else None,
        now=now,
    )
