"""Record an attestation: the owning role states a governance fact, with its evidence.

Refusals say why: the fact is unknown or about another kind of subject, the attester
does not hold the fact's owning role, or the attester built the subject or its
evidence (separation of duties, read from the record and the ledger). Every
attestation is ledgered; a model version's attested facts are also copied onto its row
for display. Afterwards every pending approval request whose evidence the new fact
changed is voided (ledgered, with the reason), so nobody approves on stale facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, SQLModel, select

from app.approvals.service import void_request
from app.attestations.errors import AttestationRefusedError
from app.attestations.facts import SUBJECT_TYPES, fact_spec, parse_value
from app.auth.accounts import roles_of
from app.errors import ValidationError
from app.gates.service import current_evidence_sha256
from app.ledger import append_event
from app.ledger.free_text import refuse_direct_identifiers
from app.models.attestations import Attestation
from app.models.base import utc_now
from app.models.datasets import DatasetVersion
from app.models.deployments import Deployment
from app.models.governance import ApprovalRequest
from app.models.model_versions import ModelVersion
from app.models.runs import FineTuneRun
from app.models.users import User
from app.models.vocabulary import ApprovalStatus, AttestedSubject, LedgerSubject
from app.registry.involvement import people_involved
from app.registry.records import get_record, records_where

__all__ = ["AttestationRecorded", "attest"]

_RECORDS: dict[str, type[SQLModel]] = {
    "finetune_run": FineTuneRun,
    "model_version": ModelVersion,
    "dataset_version": DatasetVersion,
    "deployment": Deployment,
}

#: Attested model facts copied onto the model version's row (what reports and lists show).
_MODEL_COLUMNS = {
    "risk_tier": "risk_tier",
    "domain": "domain",
    "decision_type": "decision_type",
    "legal_effect": "automated_decision_legal_effect",
    "human_review": "human_review",
    "monitoring": "monitoring_enabled",
}

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class AttestationRecorded:
    """The attestation and the approval requests it voided."""

    attestation: Attestation
    voided_requests: list[int]


def _check_inputs(
    evidence_ref: str, evidence_sha256: str | None, justification: str, expires_at: Any, now: Any
) -> None:
    if not evidence_ref.strip():
        raise ValidationError("an attestation needs an evidence reference")
    if evidence_sha256 is not None and not _SHA256.match(evidence_sha256):
        raise ValidationError("evidence_sha256 must be 64 lowercase hexadecimal characters")
    if not justification.strip():
        raise ValidationError("an attestation needs a justification")
    if expires_at is not None and expires_at <= now:
        raise ValidationError("an attestation cannot expire in the past")


def _mirror(session: Session, record: Any, fact: str, value: Any, attester: str) -> None:
    """Show a model version's attested facts on its row (the gates read the attestations)."""
    if not isinstance(record, ModelVersion):
        return
    if fact in _MODEL_COLUMNS:
        setattr(record, _MODEL_COLUMNS[fact], value)
    elif fact == "validation":
        record.validator = attester if value == "validated" else None
    session.add(record)


def _void_stale_requests(session: Session, actor: str, attestation: Attestation) -> list[int]:
    """Void every pending request whose evidence the attestation changed."""
    voided = []
    pending = records_where(session=session, model=ApprovalRequest, status=ApprovalStatus.PENDING)
    for request in pending:
        now_sha = current_evidence_sha256(
            session=session, gate=request.gate, subject_id=request.subject_id
        )
        if now_sha != request.input_sha256:
            void_request(
                session=session,
                request=request,
                reason=(
                    f"attestation {attestation.id} ({attestation.fact} of "
                    f"{attestation.subject_type.replace('_', ' ')} {attestation.subject_id}) "
                    "changed the evidence; the gate must be asked again"
                ),
                actor=actor,
            )
            voided.append(request.id or 0)
    return voided


def attest(
    *,
    session: Session,
    subject_type: str,
    subject_id: int,
    fact: str,
    value: Any,
    evidence_ref: str,
    justification: str,
    actor: str,
    evidence_sha256: str | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> AttestationRecorded:
    """Record ``actor``'s attestation of ``fact`` about the subject, or refuse saying why."""
    now = now or utc_now()
    if expires_at is not None and expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)  # a time without a zone is taken as UTC
    if subject_type not in SUBJECT_TYPES:
        raise ValidationError(
            f"unknown subject type '{subject_type}'; attestations are about "
            f"{', '.join(SUBJECT_TYPES)}"
        )
    subject = AttestedSubject(subject_type)
    spec = fact_spec(fact, subject_type)
    record: SQLModel = get_record(
        session=session, model=_RECORDS[subject_type], record_id=subject_id
    )
    stored_value = parse_value(fact, spec, value)
    _check_inputs(evidence_ref, evidence_sha256, justification, expires_at, now)
    refuse_direct_identifiers(field="justification", text=justification)
    refuse_direct_identifiers(field="evidence_ref", text=evidence_ref)
    user = session.exec(select(User).where(User.username == actor)).first()
    if user is None or spec.owner not in roles_of(session=session, user=user):
        raise AttestationRefusedError(
            f"{actor} may not attest '{fact}': only the {spec.owner} role records it"
        )
    involved = people_involved(session=session, subject_type=subject_type, subject_id=subject_id)
    if actor in involved:
        raise AttestationRefusedError(
            f"{actor} may not attest '{fact}' of {subject_type.replace('_', ' ')} {subject_id}: "
            f"they {involved[actor]} (separation of duties: attesters must be independent "
            "of the subject)"
        )
    attestation = Attestation(
        subject_type=subject,
        subject_id=subject_id,
        fact=fact,
        value=stored_value,
        evidence_ref=evidence_ref.strip(),
        evidence_sha256=evidence_sha256,
        attested_by=actor,
        role=spec.owner,
        attested_at=now,
        justification=justification.strip(),
        expires_at=expires_at,
    )
    session.add(attestation)
    session.flush()
    _mirror(session, record, fact, stored_value, actor)
    append_event(
        session=session,
        actor=actor,
        action="attestation.recorded",
        subject_type=LedgerSubject(subject_type),
        subject_id=subject_id,
        payload={
            "attestation_id": attestation.id,
            "fact": fact,
            "value": stored_value,
            "role": spec.owner,
            "evidence_ref": attestation.evidence_ref,
            "evidence_sha256": evidence_sha256,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    voided = _void_stale_requests(session, actor, attestation)
    return AttestationRecorded(attestation=attestation, voided_requests=voided)
