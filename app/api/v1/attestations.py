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

from flask import Blueprint
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.api.v1.common import Answer, dump, public, route
from app.attestations.current import attestation_history
from app.attestations.facts import FACTS
from app.attestations.service import attest
from app.auth.guard import current_principal
from app.auth.roles import ATTESTERS, READERS
from app.models.attestations import AttestationPublic
from app.models.base import RowId, utc_now
from app.models.vocabulary import AttestedSubject

bp = Blueprint("api_attestations", __name__, url_prefix="/api/v1/attestations")


class AttestationCreate(BaseModel):
    """One fact about one subject, with its evidence."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject_type: AttestedSubject
    subject_id: RowId
    fact: str = Field(min_length=1, max_length=40)
    value: Any
    evidence_ref: str = Field(min_length=1, max_length=500)
    evidence_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    justification: str = Field(min_length=1, max_length=2000)
    expires_at: datetime | None = None


class AttestationRecordedPublic(AttestationPublic):
    """A recorded attestation and the approval requests it voided (evidence changed)."""

    voided_requests: list[int]


class FactPublic(BaseModel):
    """A governance fact: what it is about, which role owns it, what it says."""

    fact: str
    subject_type: AttestedSubject
    owner: str
    description: str


class FactList(BaseModel):
    """Every governance fact."""

    items: list[FactPublic]


class AttestationListed(AttestationPublic):
    """An attestation in a subject's history, with whether the gates read it now."""

    in_force: bool
    """The newest attestation of its fact and not expired: the one the gates read."""


class AttestationList(BaseModel):
    """A subject's attestations (newest first) and the value of each fact in force now."""

    items: list[AttestationListed]
    current: dict[str, Any]


class AttestationQuery(BaseModel):
    """Whose attestations to list."""

    model_config = ConfigDict(extra="forbid")

    subject_type: AttestedSubject
    subject_id: RowId


@route(bp, "GET", "/facts", READERS, answer=FactList)
def list_facts(_session: Session) -> Answer:
    """Every governance fact: what it is about, who owns it, what it says."""
    return {
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


@route(bp, "GET", "", READERS, answer=AttestationList)
def list_attestations(session: Session, query: AttestationQuery) -> Answer:
    """A subject's attestations (newest first) and the facts in force now."""
    history = attestation_history(
        session=session,
        subject_type=query.subject_type,
        subject_id=query.subject_id,
        now=utc_now(),
    )
    return {
        "items": [
            dump(public(AttestationListed, item, in_force=in_force)) for item, in_force in history
        ],
        "current": dict(sorted((item.fact, item.value) for item, in_force in history if in_force)),
    }


@route(bp, "POST", "", ATTESTERS, status=201, answer=AttestationRecordedPublic)
def create_attestation(session: Session, json: AttestationCreate) -> Answer:
    """Attest a governance fact (only its owning role, never someone who built the subject)."""
    recorded = attest(session=session, actor=current_principal().username, **json.model_dump())
    return public(
        AttestationRecordedPublic,
        recorded.attestation,
        voided_requests=recorded.voided_requests,
    )
