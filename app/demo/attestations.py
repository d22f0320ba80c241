"""The demo's governance facts, attested by the roles that own them (the gates read nothing else)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from app.attestations.errors import AttestationRefusedError
from app.attestations.service import attest
from app.registry.datasets import update_version_metadata
from app.registry.schemas import DatasetVersionMetadata

if TYPE_CHECKING:
    from app.demo.seed import DemoSeed

__all__ = ["attest_facts", "seed_attestations"]


def seed_attestations(session: Session, seed: DemoSeed) -> None:
    """The owning roles attest the governance facts (the gates read nothing else).

    The compliance officer confirms the credit and triage data's classification, attests the
    datasets', runs' and the credit deployment's facts and the models' domain,
    decision type, legal effect and human review; model risk sets the tiers and records
    validation and monitoring. The developer's own attempt to set a tier is refused.
    """
    for key in ("german_credit", "credit_explanations"):
        # What no scan can tell, the data steward confirms: the gate does not believe the
        # registrant's own "no special-category data".
        update_version_metadata(
            session=session,
            version_id=seed.ids[key],
            data=DatasetVersionMetadata(
                contains_pii=True, contains_phi=False, special_category=False
            ),
            actor="olivia",
            justification="financial and demographic attributes, no health data and no "
            "GDPR Art. 9 category (data dictionary)",
        )
    # The scan's "no PHI" is no steward's: the EU triage notes are health data (GDPR Art. 9)
    # of a clinic that is no HIPAA covered entity.
    update_version_metadata(
        session=session,
        version_id=seed.ids["triage"],
        data=DatasetVersionMetadata(contains_pii=True, contains_phi=False, special_category=True),
        actor="olivia",
        justification="EU patients' health data: a GDPR Art. 9 special category, held by "
        "an EU clinic that is no HIPAA covered entity",
    )
    attest_facts(session, seed, "olivia", "dataset_version", _DATASET_FACTS)
    attest_facts(
        session,
        seed,
        "olivia",
        "deployment",
        {"credit_deployment": {"access_logging": True, "activity_monitoring": True}},
    )
    attest_facts(
        session,
        seed,
        "olivia",
        "finetune_run",
        {
            "notes-o4-mini-sft": {"hosting": "external", "training_region": "US"},
            "notes-claude-sft": {"hosting": "external", "training_region": "US"},
            "triage-gemini-sft": {"hosting": "external", "training_region": "NL"},
            "credit-llama-lora": {"hosting": "internal", "training_region": "DE"},
        },
    )
    attest_facts(
        session,
        seed,
        "olivia",
        "model_version",
        {
            "credit_model": {
                "domain": "credit",
                "decision_type": "credit_decision",
                "legal_effect": True,
                "human_review": True,
                # EU AI Act: scores EU applicants' creditworthiness, an Annex III 5(b) use.
                "eu_market": True,
                "annex_iii_use": "credit_scoring",
                "high_risk_evidence": {
                    "risk_management_ref": "RMS-2026-05",
                    "data_governance_ref": "DG-2026-07",
                    "technical_documentation_ref": "TD-2026-09",
                    "instructions_for_use_ref": "IFU-2026-03",
                    "accuracy_robustness_ref": "VAL-2026-11",
                },
            },
            "notes_model": {"domain": "healthcare", "legal_effect": False, "eu_market": False},
        },
    )
    try:
        attest(
            session=session,
            subject_type="model_version",
            subject_id=seed.ids["credit_model"],
            fact="risk_tier",
            value="low",
            evidence_ref="self-assessment",
            justification="only advisory output",
            actor="eli",
        )
    except AttestationRefusedError as refusal:
        seed.story.append(
            f"attestation      credit-risk-assistant  eli's risk tier refused: {refusal}"
        )
    attest_facts(
        session,
        seed,
        "marcus",
        "model_version",
        {
            "credit_model": {
                "risk_tier": "high",
                "validation": "validated",
                "monitoring": True,
                # A LoRA fine-tune; the base model's training compute is not published,
                # so the GPAI guidelines' third of 1e23 FLOP is the bound.
                "gpai_modification_compute": {
                    "base_model_training_flop": None,
                    "modification_training_flop": 2.4e19,
                },
            },
            "notes_model": {"risk_tier": "medium", "validation": "validated", "monitoring": True},
        },
    )
    seed.story.append(
        "attestation      credit-risk-assistant  marcus (model_risk) set tier high, "
        "recorded validation and monitoring"
    )


#: Both versions of the clinical notes are held and shared alike.
_NOTES_FACTS: dict[str, Any] = {
    "encryption_at_rest": True,
    "residency_region": "US",
    "data_subject_regions": ["US"],
    "baa": [{"vendor": "anthropic", "ref": "BAA-2026-031", "scope": "fine-tuning"}],
    "phi_fields": [
        {"name": "diagnosis", "purpose": "summary of the condition"},
        {"name": "medication", "purpose": "current treatment"},
    ],
    "retention_until": "2029-12-31",
}
#: Both credit datasets come from the same bank's records under one DPIA and one record
#: of processing.
_CREDIT_FACTS: dict[str, Any] = {
    "residency_region": "DE",
    "data_subject_regions": ["DE"],
    "lawful_basis": "contract",
    "large_scale": False,
    "dpia": {"ref": "DPIA-2026-007", "outcome": "approved"},
    "transfer": {"mechanism": "none"},
    "retention_until": "2030-01-01",
    "processing_record": {
        "controller": "Gatehouse Demo Bank AG",
        "purpose": "credit decision support",
        "data_categories": ["financial", "demographic"],
    },
}

#: The datasets' governance facts as the compliance officer attests them.
_DATASET_FACTS: dict[str, dict[str, Any]] = {
    "notes_raw": {**_NOTES_FACTS, "deidentification_method": "none"},
    "notes_deid": {**_NOTES_FACTS, "deidentification_method": "safe_harbor"},
    "triage": {
        "residency_region": "DE",
        "data_subject_regions": ["DE", "FR"],
        "lawful_basis": "consent",
        "consent_ref": "CONSENT-FORM-v4",
        "deidentification_method": "pseudonymised",
        "large_scale": False,
        "transfer": {"mechanism": "none"},
        "retention_until": "2028-06-30",
        "processing_record": {
            "controller": "Gatehouse Demo Clinics GmbH",
            "purpose": "triage advice model",
            "data_categories": ["health"],
        },
    },
    "german_credit": _CREDIT_FACTS,
    "credit_explanations": _CREDIT_FACTS,
    "radiology": {
        "encryption_at_rest": True,
        "residency_region": "US",
        "data_subject_regions": ["US"],
        "baa": [{"vendor": "google", "ref": "BAA-2026-044", "scope": "fine-tuning"}],
        "deidentification_method": "expert_determination",
        "expert_determination": {"ref": "EXPERT-DET-2026-02"},
        "phi_fields": [{"name": "image", "purpose": "finding description"}],
        "retention_until": "2029-01-01",
    },
}


def attest_facts(
    session: Session,
    seed: DemoSeed,
    actor: str,
    subject_type: str,
    facts: dict[str, dict[str, Any]],
) -> None:
    """``actor`` attests each fact of each subject (named by its ``seed.ids`` key)."""
    for key, values in facts.items():
        for fact, value in values.items():
            attest(
                session=session,
                subject_type=subject_type,
                subject_id=seed.ids[key],
                fact=fact,
                value=value,
                evidence_ref=f"demo evidence file for {fact}",
                justification=f"reviewed for the demo by {actor}",
                actor=actor,
            )
