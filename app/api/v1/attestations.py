"""Attestations: the owning role records a governance fact about a run, model or dataset.

``POST /attestations`` answers 201 with the attestation and the approval requests it
voided; a refusal is a 403 problem body saying why (role not the fact's owner, or the
attester built the subject), a malformed value a 422 naming the fact.
``GET /attestations?subject_type=..&subject_id=..`` lists a subject's attestations with
the facts currently in force.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

from app.api.v1.common import body, created, public
from app.api.v1.spec import spec
from app.attestations.current import current_attestations
from app.attestations.facts import FACTS
from app.attestations.service import attest, attestations_of
from app.auth.guard import allow, current_principal
from app.auth.roles import ATTESTERS, READERS
from app.db import unit_of_work
from app.models.attestations import AttestationPublic
from app.models.base import utc_now
from app.models.vocabulary import AttestedSubject

bp = Blueprint("api_attestations", __name__, url_prefix="/api/v1/attestations")
TAG = "attestations"


class AttestationCreate(BaseModel):
    """One fact about one subject, with its evidence."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject_type: AttestedSubject
    subject_id: int = Field(ge=1)
    fact: str = Field(min_length=1, max_length=40)
    value: Any
    evidence_ref: str = Field(min_length=1, max_length=500)
    evidence_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    justification: str = Field(min_length=1, max_length=2000)
    expires_at: datetime | None = None


class AttestationQuery(BaseModel):
    """Whose attestations to list."""

    model_config = ConfigDict(extra="forbid")

    subject_type: AttestedSubject
    subject_id: int = Field(ge=1)


class AttestationRecordedPublic(AttestationPublic):
    """A recorded attestation and the approval requests it voided (evidence changed)."""

    voided_requests: list[int]


@bp.get("/facts")
@allow(*READERS, scope="read")
@spec.validate(tags=[TAG])
def list_facts() -> Any:
    """Every governance fact: what it is about, who owns it, what it says."""
    return jsonify(
        {
            "items": [
                {
                    "fact": name,
                    "subject_type": fact.subject_type,
                    "owner": fact.owner,
                    "description": fact.description,
                }
                for name, fact in FACTS.items()
            ]
        }
    )


@bp.get("")
@allow(*READERS, scope="read")
@spec.validate(query=AttestationQuery, tags=[TAG])
def list_attestations(query: AttestationQuery) -> Any:
    """A subject's attestations (newest first) and the facts in force now."""
    with unit_of_work() as session:
        history = attestations_of(
            session=session, subject_type=query.subject_type, subject_id=query.subject_id
        )
        current = current_attestations(
            session=session,
            subject_type=query.subject_type,
            subject_id=query.subject_id,
            now=utc_now(),
        )
        return jsonify(
            {
                "items": [body(public(AttestationPublic, item)) for item in history],
                "current": {fact: item.value for fact, item in sorted(current.items())},
            }
        )


@bp.post("")
@allow(*ATTESTERS, scope="write")
@spec.validate(json=AttestationCreate, tags=[TAG])
def create_attestation(json: AttestationCreate) -> Any:
    """Attest a governance fact (only its owning role, never someone who built the subject)."""
    with unit_of_work() as session:
        recorded = attest(
            session=session,
            actor=current_principal().username,
            **json.model_dump(),
        )
        answer = public(
            AttestationRecordedPublic,
            recorded.attestation,
            voided_requests=recorded.voided_requests,
        )
        return created(body(answer))
