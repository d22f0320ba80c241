"""Build a gate's input document from the registry.

Only classifications, counts and references leave the database: the document says that
a dataset holds PHI and which fields, never a value. Each gate has one subject kind:
``training_launch`` asks about a run, ``production_promotion`` about a deployment and
``dataset_use`` about a dataset version (optionally in the context of a run).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from sqlmodel import Session

from app.attestations.current import current_facts_of_gate
from app.db import PreparedRow
from app.errors import ValidationError
from app.evaluations.gate_evidence import imported_evaluation_inputs, monitoring_input
from app.gates import input_rows
from app.gates.input_rows import Record
from app.models.vocabulary import (
    GATE_SUBJECTS,
    PLATFORM_VENDORS,
    ClassificationSource,
    DeploymentState,
    EvaluationKind,
    GateName,
    GateSubject,
    LedgerSubject,
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
from app.registry.model_versions import missing_sections


def gate_named(gate: str) -> GateName:
    """The gate spelled ``gate``, or a clear error for an unknown gate."""
    try:
        return GateName(gate)
    except ValueError:
        raise ValidationError(f"unknown gate '{gate}'; gates are {', '.join(GateName)}") from None


def subject_kind_of(gate: str) -> GateSubject:
    """The subject kind of ``gate``, or a clear error for an unknown gate."""
    return GATE_SUBJECTS[gate_named(gate)]


#: Fact name -> attestation row (``value``, ``attested_by``), per subject (type, id).
Facts = dict[tuple[str, int], dict[str, PreparedRow]]


def _values(facts: Facts, subject_type: str, subject_id: int) -> dict[str, Any]:
    """Fact name -> value of the facts currently attested about one subject."""
    return {fact: row.value for fact, row in facts.get((subject_type, subject_id), {}).items()}


def _dpia_ref(attested: dict[str, Any]) -> str | None:
    """A DPIA counts when its outcome lets the processing go ahead."""
    dpia = attested.get("dpia") or {}
    return (
        dpia.get("ref")
        if dpia.get("outcome") in ("approved", "approved_with_mitigations")
        else None
    )


def _classification(version: PreparedRow, flag: str) -> bool | None:
    """A classification flag as the gate may believe it. A "yes" always counts (from the
    registrant or the scan); a "no" counts only from a data steward. The registrant's own
    "no" and the scan's (which finds identifiers by pattern, not names or diagnoses in
    free text) reach the policy as unknown, which counts as sensitive."""
    value: bool | None = getattr(version, flag)
    if value or version.classification_source == ClassificationSource.MANUAL:
        return value
    return None


def _dataset_input(version: PreparedRow, attested: dict[str, Any]) -> DatasetInput:
    """One dataset version's document (``version`` as read by ``input_rows``): its
    classification as the gate may believe it, the scan's findings, and every governance
    fact as attested (what the registrant declared on the row is shown, never read)."""
    findings = version.pii_findings or {}
    retention = attested.get("retention_until")
    transfer = attested.get("transfer") or {}
    record = attested.get("processing_record") or {}
    phi_fields = attested.get("phi_fields")
    return DatasetInput(
        id=str(version.id),
        name=version.dataset_name or str(version.dataset_id),
        version=str(version.version),
        contains_pii=_classification(version, "contains_pii"),
        contains_phi=_classification(version, "contains_phi"),
        special_category=_classification(version, "special_category"),
        data_subjects_regions=attested.get("data_subject_regions"),
        deidentification_method=attested.get("deidentification_method"),
        expert_determination_ref=(attested.get("expert_determination") or {}).get("ref"),
        # A version that was never scanned has no finding count: unknown, not zero.
        pii_findings_count=int(findings["total"]) if findings.get("scanned") else None,
        phi_fields=None if phi_fields is None else [PhiField(**field) for field in phi_fields],
        lawful_basis=attested.get("lawful_basis"),
        art9_condition=attested.get("art9_condition"),
        dpia_ref=_dpia_ref(attested),
        consent_ref=attested.get("consent_ref"),
        baa_refs=[
            BusinessAssociateAgreement(vendor=agreement["vendor"], ref=agreement["ref"])
            for agreement in attested.get("baa") or []
        ],
        residency_region=attested.get("residency_region"),
        transfer_mechanism=transfer.get("mechanism"),
        transfer_ref=transfer.get("ref"),
        retention_until=(
            datetime.combine(date.fromisoformat(retention), time.min, tzinfo=UTC)
            if retention
            else None
        ),
        open_erasure_requests=version.open_erasures,
        encrypted_at_rest=attested.get("encryption_at_rest"),
        controller=record.get("controller"),
        purpose=record.get("purpose"),
        data_categories=record.get("data_categories"),
        large_scale=attested.get("large_scale"),
    )


def _dataset_inputs(versions: Sequence[PreparedRow], facts: Facts) -> list[DatasetInput]:
    return [
        _dataset_input(version, _values(facts, LedgerSubject.DATASET_VERSION, version.id))
        for version in versions
    ]


def _run_input(run: Record, facts: Facts) -> RunInput:
    attested = _values(facts, LedgerSubject.FINETUNE_RUN, run.id)
    return RunInput(
        id=str(run.id),
        platform=run.platform,
        hosting=attested.get("hosting"),
        # A vendor platform's own name, whatever the run declares: the job goes there.
        # Elsewhere the vendor the compliance officer attests, never the requester's word.
        vendor=PLATFORM_VENDORS.get(run.platform) or attested.get("training_vendor"),
        region=attested.get("training_region"),
        method=run.method,
        requester=run.requester,
        authors=list(run.authors),
    )


def _model_input(model: Record, facts: Facts) -> ModelInput:
    rows = facts.get((LedgerSubject.MODEL_VERSION, model.id), {})
    attested = {fact: row.value for fact, row in rows.items()}
    validation = rows.get("validation")
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
        eu_market=attested.get("eu_market"),
        annex_iii_use=attested.get("annex_iii_use"),
        gpai_modification=attested.get("gpai_modification_compute"),
        gpai_documentation=attested.get("gpai_documentation"),
        high_risk_evidence=attested.get("high_risk_evidence"),
    )


def _threshold_of(evaluation: PreparedRow, metric: str) -> dict[str, Any]:
    """The evaluation's own bound for ``metric`` as the policy reads it (none: empty)."""
    bound = (evaluation.thresholds or {}).get(metric) or {}
    if "min" in bound:
        return {"threshold": float(bound["min"]), "higher_is_better": True}
    if "max" in bound:
        return {"threshold": float(bound["max"]), "higher_is_better": False}
    return {}


def _count_of(evaluation: PreparedRow, metric: str) -> int | None:
    """A red-team count as recorded; a count never recorded is unknown, not zero."""
    value = evaluation.metrics.get(metric)
    return int(value) if isinstance(value, int | float) and value >= 0 else None


def _evaluation_inputs(evaluations: Sequence[PreparedRow]) -> list[EvaluationInput]:
    inputs: list[EvaluationInput] = []
    for evaluation in evaluations:
        if evaluation.kind == EvaluationKind.BENCHMARK:
            inputs += [
                EvaluationInput(
                    id=f"{evaluation.id}:{metric}",
                    kind=EvaluationKind.BENCHMARK,
                    metric=metric,
                    value=float(value),
                    recorded_by=evaluation.created_by,
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
                kind=EvaluationKind.RED_TEAM,
                attack_category=evaluation.attack_category,
                prompts_tried=_count_of(evaluation, "prompts_tried"),
                failures=_count_of(evaluation, "failures"),
                open_findings=findings,
                recorded_by=evaluation.created_by,
            )
        )
    return inputs


def _audit_inputs(session: Session, model_id: int) -> list[AuditInput]:
    """The latest succeeded audit of each kind for the model."""
    inputs = []
    for audit in input_rows.audit_rows(session=session, model_id=model_id):
        summary: dict[str, Any] = audit.summary or {}
        inputs.append(
            AuditInput(
                id=str(audit.id),
                kind=audit.kind,
                finished_at=audit.finished_at,
                adverse_impact_ratio=summary.get("adverse_impact_ratio"),
                equalized_odds_difference=summary.get("equalized_odds_difference"),
                principal_reasons_available=summary.get("principal_reasons_available"),
                requested_by=audit.requested_by,
                predicted_by_artifact=summary.get("predicted_by_artifact"),
            )
        )
    return inputs


def _approval_inputs(
    session: Session, subject_type: GateSubject, subject_id: int
) -> list[ApprovalInput]:
    """Votes on the subject's open approval request (the policy counts them)."""
    return [
        ApprovalInput(role=vote.role, user=vote.voter, decision=vote.vote)
        for vote in input_rows.vote_rows(
            session=session, subject_type=subject_type, subject_id=subject_id
        )
    ]


def _deployment_input(deployment: Record, attested: dict[str, Any]) -> DeploymentInput:
    """The deployment's document: its logging and monitoring as attested (what its
    registrant declared on the row is shown, never read)."""
    environment: Literal["staging", "production"] = (
        "production" if deployment.state == DeploymentState.PRODUCTION else "staging"
    )
    return DeploymentInput(
        id=str(deployment.id),
        environment=environment,
        access_logging=attested.get("access_logging"),
        monitoring=attested.get("activity_monitoring"),
    )


def _run_gate_input(
    session: Session, gate: GateName, subject: Subject, run_id: int, now: datetime
) -> GateInput:
    run = input_rows.run_row(session=session, run_id=run_id)
    versions = input_rows.run_dataset_version_rows(session=session, run_id=run_id)
    facts = current_facts_of_gate(session=session, now=now, versions_of_run=run_id, run_id=run_id)
    return GateInput(
        gate=gate,
        subject=subject,
        datasets=_dataset_inputs(versions, facts),
        run=_run_input(run, facts),
        approvals=_approval_inputs(session, GateSubject.RUN, run_id),
        now=now,
    )


def _deployment_gate_input(
    session: Session, gate: GateName, subject: Subject, deployment_id: int, now: datetime
) -> GateInput:
    rows = input_rows.promotion_rows(session=session, deployment_id=deployment_id)
    model, run = rows.model, rows.run
    run_id = run.id if run else None
    versions = input_rows.run_dataset_version_rows(session=session, run_id=run.id) if run else []
    facts = current_facts_of_gate(
        session=session,
        now=now,
        versions_of_run=run_id,
        run_id=run_id,
        model_id=model.id,
        deployment_id=deployment_id,
    )
    sections = rows.card_sections or {}
    return GateInput(
        gate=gate,
        subject=subject,
        datasets=_dataset_inputs(versions, facts),
        run=_run_input(run, facts) if run else None,
        model=_model_input(model, facts),
        card=CardInput(
            sections={k: str(v) for k, v in sections.items()},
            missing=missing_sections(sections),
        ),
        evaluations=_evaluation_inputs(
            input_rows.evaluation_rows(session=session, model_id=model.id)
        )
        + imported_evaluation_inputs(session=session, model_id=model.id),
        audits=_audit_inputs(session, model.id),
        approvals=_approval_inputs(session, GateSubject.DEPLOYMENT, deployment_id),
        deployment=_deployment_input(
            rows.deployment, _values(facts, LedgerSubject.DEPLOYMENT, deployment_id)
        ),
        monitoring=monitoring_input(
            session=session, deployment_id=deployment_id, markers=rows.monitoring
        ),
        now=now,
    )


def _dataset_gate_input(
    session: Session,
    gate: GateName,
    subject: Subject,
    version_id: int,
    now: datetime,
    run_id: int | None,
) -> GateInput:
    version = input_rows.dataset_version_row(session=session, version_id=version_id)
    run = input_rows.run_row(session=session, run_id=run_id) if run_id is not None else None
    facts = current_facts_of_gate(
        session=session, now=now, dataset_version_id=version_id, run_id=run_id
    )
    return GateInput(
        gate=gate,
        subject=subject,
        datasets=_dataset_inputs([version], facts),
        run=_run_input(run, facts) if run else None,
        now=now,
    )


def build_gate_input(
    *, session: Session, gate: str, subject_id: int, now: datetime, run_id: int | None = None
) -> GateInput:
    """The input document for ``gate`` about the subject with ``subject_id``.

    The reads are few and fixed whatever the subject's size (see ``input_rows``); changes
    pending in ``session`` are flushed first, so a workflow sees its own writes.
    """
    name = gate_named(gate)
    kind = GATE_SUBJECTS[name]
    subject = Subject(kind=kind, id=str(subject_id))
    if kind is GateSubject.RUN:
        return _run_gate_input(session, name, subject, subject_id, now)
    if kind is GateSubject.DEPLOYMENT:
        return _deployment_gate_input(session, name, subject, subject_id, now)
    return _dataset_gate_input(session, name, subject, subject_id, now, run_id)
