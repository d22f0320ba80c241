"""Which governance facts exist, what their values look like, and which role owns each.

This table is the one place that says who may record a fact the gates read. The
policies name the same owners in their messages (``data.gatehouse.fact_owners`` in
``policies/data.json``; a test keeps the two equal), and docs/attestations.md shows it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from app.errors import ValidationError, first_problem
from app.models.vocabulary import (
    Art9Condition,
    AttestedSubject,
    DeidentificationMethod,
    Domain,
    Hosting,
    LawfulBasis,
    TransferMechanism,
)

__all__ = ["FACTS", "SUBJECT_TYPES", "FactSpec", "fact_spec", "parse_value", "typed_value"]

#: The subjects facts are attested about (ledger subject types).
SUBJECT_TYPES: tuple[AttestedSubject, ...] = tuple(AttestedSubject)


#: A reference to a document kept elsewhere (its id, ticket or URL): every attested
#: reference has the same bounds.
Reference = Annotated[str, Field(min_length=1, max_length=200)]


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Dpia(_Value):
    """A data protection impact assessment (GDPR Art. 35) and its outcome."""

    ref: Reference
    outcome: Literal["approved", "approved_with_mitigations", "rejected"]


class BusinessAssociateAgreement(_Value):
    """A HIPAA business associate agreement with one vendor, and what it covers."""

    vendor: str = Field(min_length=1, max_length=100)
    ref: Reference
    scope: str = Field(min_length=1, max_length=500)


class Transfer(_Value):
    """How the data may leave the EEA (GDPR Chapter V), and the agreement's reference."""

    mechanism: TransferMechanism
    ref: Reference | None = None


class PhiFieldUse(_Value):
    """A PHI field the data holds and the purpose it serves (HIPAA minimum necessary)."""

    name: str = Field(min_length=1, max_length=100)
    purpose: str | None = Field(default=None, max_length=500)


class ProcessingRecord(_Value):
    """The record of processing activities (GDPR Art. 30) that covers the data."""

    controller: str = Field(min_length=1, max_length=200)
    purpose: str = Field(min_length=1, max_length=2000)
    data_categories: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=50
    )


class ExpertDetermination(_Value):
    """A HIPAA 164.514(b)(1) expert determination, by reference."""

    ref: Reference


class GpaiModificationCompute(_Value):
    """Training compute (FLOP) of a fine-tune and of its base model (null: not published)."""

    base_model_training_flop: float | None = Field(default=None, gt=0)
    modification_training_flop: float = Field(gt=0)


class GpaiDocumentation(_Value):
    """EU AI Act Art. 53(1)(b)-(d) documents of a modified GPAI model, by reference."""

    downstream_documentation_ref: Reference
    training_data_summary_ref: Reference
    copyright_policy_ref: Reference


class HighRiskEvidence(_Value):
    """EU AI Act Art. 9, 10, 11, 13 and 15 evidence of a high-risk use, by reference."""

    risk_management_ref: Reference
    data_governance_ref: Reference
    technical_documentation_ref: Reference
    instructions_for_use_ref: Reference
    accuracy_robustness_ref: Reference


#: EU AI Act Annex III uses Gatehouse's domains meet (point in brackets); "none" when
#: the use is in no Annex III area.
AnnexIIIUse = Literal[
    "none",
    "credit_scoring",  # 5(b) creditworthiness of natural persons, credit score
    "life_health_insurance_pricing",  # 5(c)
    "emergency_triage",  # 5(d)
    "public_benefits_eligibility",  # 5(a)
    "employment",  # 4
    "education",  # 3
]


@dataclass(frozen=True)
class FactSpec:
    """One governance fact."""

    #: The subject type it is about.
    subject_type: AttestedSubject
    #: The role that records it.
    owner: str
    #: What the fact says, for forms and docs.
    description: str
    #: Validates and normalises the value.
    adapter: TypeAdapter[Any]


def _spec(subject: AttestedSubject, owner: str, description: str, shape: Any) -> FactSpec:
    return FactSpec(subject, owner, description, TypeAdapter(shape))


FACTS: dict[str, FactSpec] = {
    "risk_tier": _spec(
        AttestedSubject.MODEL_VERSION,
        "model_risk",
        "model risk tier: high, medium or low",
        Literal["high", "medium", "low"],
    ),
    "validation": _spec(
        AttestedSubject.MODEL_VERSION,
        "model_risk",
        "independent validation outcome (the attester is the validator): validated or failed",
        Literal["validated", "failed"],
    ),
    "monitoring": _spec(
        AttestedSubject.MODEL_VERSION,
        "model_risk",
        "ongoing monitoring is in place: true or false",
        bool,
    ),
    "domain": _spec(
        AttestedSubject.MODEL_VERSION,
        "compliance_officer",
        "the model's domain: healthcare, credit, financial_risk, legal or general",
        Domain,
    ),
    "decision_type": _spec(
        AttestedSubject.MODEL_VERSION,
        "compliance_officer",
        "what the model decides, e.g. credit_decision or advisory",
        str,
    ),
    "legal_effect": _spec(
        AttestedSubject.MODEL_VERSION,
        "compliance_officer",
        "automated decisions with legal or similarly significant effect (GDPR Art. 22)",
        bool,
    ),
    "human_review": _spec(
        AttestedSubject.MODEL_VERSION, "compliance_officer", "a person reviews each decision", bool
    ),
    "hosting": _spec(
        AttestedSubject.FINETUNE_RUN,
        "compliance_officer",
        "where training runs: internal (own GPUs) or external (vendor)",
        Hosting,
    ),
    "training_region": _spec(
        AttestedSubject.FINETUNE_RUN,
        "compliance_officer",
        "where the training runs (ISO country): a GDPR Chapter V transfer destination",
        Annotated[str, Field(min_length=2, max_length=40)],
    ),
    "training_vendor": _spec(
        AttestedSubject.FINETUNE_RUN,
        "compliance_officer",
        "the vendor whose machines train the run when it is hosted externally on a platform "
        "that is no vendor's own (self_hosted, meta): the business associate it needs",
        Annotated[str, Field(min_length=1, max_length=100)],
    ),
    "access_logging": _spec(
        AttestedSubject.DEPLOYMENT,
        "compliance_officer",
        "use of the deployment is logged and the logs reviewed (HIPAA 164.312(b), EU AI Act Art. 12)",
        bool,
    ),
    "activity_monitoring": _spec(
        AttestedSubject.DEPLOYMENT,
        "compliance_officer",
        "the deployment's activity is monitored (HIPAA 164.312(b))",
        bool,
    ),
    "encryption_at_rest": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "the stored data is encrypted at rest",
        bool,
    ),
    "residency_region": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "where the data is stored (ISO country)",
        str,
    ),
    "data_subject_regions": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "where the data subjects are (ISO countries, or EU/EEA)",
        list[str],
    ),
    "large_scale": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "large-scale processing (a GDPR Art. 35 DPIA trigger)",
        bool,
    ),
    "dpia": _spec(
        AttestedSubject.DATASET_VERSION, "compliance_officer", "DPIA reference and outcome", Dpia
    ),
    "baa": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "business associate agreements: vendor, reference and scope",
        list[BusinessAssociateAgreement],
    ),
    "deidentification_method": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "how identifiers were removed: none, safe_harbor, expert_determination or "
        "pseudonymised (HIPAA 164.514)",
        DeidentificationMethod,
    ),
    "expert_determination": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "HIPAA expert determination reference",
        ExpertDetermination,
    ),
    "lawful_basis": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "GDPR Art. 6(1) lawful basis",
        LawfulBasis,
    ),
    "art9_condition": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "GDPR Art. 9(2) condition (a-j)",
        Art9Condition,
    ),
    "consent_ref": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "reference of the consent records, when the lawful basis is consent",
        Reference,
    ),
    "transfer": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "GDPR Chapter V transfer mechanism (adequacy, scc, bcr or none) and its reference",
        Transfer,
    ),
    "retention_until": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "the date by which the data must be erased (GDPR Art. 5(1)(e))",
        date,
    ),
    "processing_record": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "GDPR Art. 30 record: controller, purpose and data categories",
        ProcessingRecord,
    ),
    "phi_fields": _spec(
        AttestedSubject.DATASET_VERSION,
        "compliance_officer",
        "the PHI fields the data holds, each with its purpose (HIPAA minimum necessary)",
        list[PhiFieldUse],
    ),
    "eu_market": _spec(
        AttestedSubject.MODEL_VERSION,
        "compliance_officer",
        "placed on the EU market or its output used in the EU (EU AI Act scope)",
        bool,
    ),
    "annex_iii_use": _spec(
        AttestedSubject.MODEL_VERSION,
        "compliance_officer",
        "EU AI Act Annex III use: none, credit_scoring, life_health_insurance_pricing, "
        "emergency_triage, public_benefits_eligibility, employment or education",
        AnnexIIIUse,
    ),
    "gpai_modification_compute": _spec(
        AttestedSubject.MODEL_VERSION,
        "model_risk",
        "training compute in FLOP of the fine-tune and of the base model (null if unpublished)",
        GpaiModificationCompute,
    ),
    "gpai_documentation": _spec(
        AttestedSubject.MODEL_VERSION,
        "compliance_officer",
        "EU AI Act Art. 53 references: downstream documentation, training-data summary, "
        "copyright policy",
        GpaiDocumentation,
    ),
    "high_risk_evidence": _spec(
        AttestedSubject.MODEL_VERSION,
        "compliance_officer",
        "EU AI Act Art. 9, 10, 11, 13, 15 references: risk management, data governance, "
        "technical documentation, instructions for use, accuracy and robustness",
        HighRiskEvidence,
    ),
}


def fact_spec(fact: str, subject_type: str) -> FactSpec:
    """The spec of ``fact`` about ``subject_type``, or a clear error."""
    spec = FACTS.get(fact)
    if spec is None:
        raise ValidationError(f"unknown fact '{fact}'; facts are {', '.join(sorted(FACTS))}")
    if spec.subject_type != subject_type:
        raise ValidationError(
            f"fact '{fact}' is about a {spec.subject_type.replace('_', ' ')}, "
            f"not a {subject_type.replace('_', ' ')}"
        )
    return spec


def typed_value(text: str) -> Any:
    """A value as typed at a door (a CLI argument, a portal field): JSON when it parses
    (``true``, ``["DE"]``, ``{"ref": ..}``), else the text without surrounding blanks.
    :func:`parse_value` then checks it against the fact's shape."""
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()


def parse_value(fact: str, spec: FactSpec, value: Any) -> Any:
    """The value as stored (JSON), or a clear error saying what shape it must have."""
    try:
        parsed = spec.adapter.validate_python(value)
    except PydanticValidationError as error:
        where, problem = first_problem(error)
        raise ValidationError(
            f"invalid value for fact '{fact}'{' at ' + where if where else ''}: {problem}"
        ) from None
    if isinstance(parsed, str) and not parsed.strip():
        raise ValidationError(f"invalid value for fact '{fact}': it is empty")
    if isinstance(parsed, list) and not parsed:
        raise ValidationError(f"invalid value for fact '{fact}': the list is empty")
    return spec.adapter.dump_python(parsed, mode="json")
