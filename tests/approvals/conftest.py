"""A registry whose evidence passes every control, and the people who act on it.

The seeded credit model is denied today by audit controls (fair lending, adverse action,
GDPR-22), so the happy path builds its own objects: a public, non-personal dataset, a
run trained on it, a general-domain high-risk model with a complete card, good
benchmarks (imported) and a clean red-team run, and a staging deployment. High risk makes the
policy ask for a compliance officer and a model-risk approver.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import select

from app.attestations.service import attest
from app.auth.accounts import create_user
from app.db import session_scope
from app.evaluations.importing import import_evidence
from app.models.base import utc_now
from app.models.datasets import DatasetFormat
from app.models.model_versions import MODEL_CARD_SECTIONS
from app.models.users import User
from app.policy.engine import PolicyEngine
from app.registry import datasets, deployments, model_versions, runs
from app.registry.schemas import (
    DatasetCreate,
    DatasetVersionMetadata,
    DatasetVersionRegister,
    DeploymentCreate,
    EvaluationCreate,
    ModelCardUpdate,
    ModelVersionCreate,
    RunCreate,
)

#: The held-out set the benchmarks ran on.
HOLDOUT = {"name": "faq-holdout", "revision": "2026-11"}

#: The engineer who trains the run and develops the model (never an approver).
ENGINEER = "eli"
#: The release pipeline that runs the evaluations: evidence counts only from someone who
#: did not build the model.
EVALUATOR = "release-bot"


#: Who attests the governance facts (independent of the engineer; not the approvers).
FACT_OFFICER, FACT_RISK = "fact-officer", "fact-risk"


def _attester(session: Any, username: str, role: str) -> None:
    if session.exec(select(User).where(User.username == username)).first() is None:
        create_user(
            session=session, username=username, display_name=username, roles=[role], actor="test"
        )


def attest_model(session: Any, model_id: int, *, domain: str, risk_tier: str) -> None:
    """The owning roles attest a model's domain, tier, validation and monitoring.

    The model is attested as off the EU market: these tests are about approvals, and an
    unattested market would (rightly) apply the EU AI Act pack.
    """
    _attester(session, FACT_OFFICER, "compliance_officer")
    _attester(session, FACT_RISK, "model_risk")
    facts = [
        (FACT_OFFICER, "domain", domain),
        (FACT_OFFICER, "legal_effect", False),
        (FACT_OFFICER, "eu_market", False),
        (FACT_RISK, "risk_tier", risk_tier),
        (FACT_RISK, "validation", "validated"),
        (FACT_RISK, "monitoring", True),
    ]
    for actor, fact, value in facts:
        attest(
            session=session,
            subject_type="model_version",
            subject_id=model_id,
            fact=fact,
            value=value,
            evidence_ref=f"evidence of {fact}",
            justification="reviewed for the test",
            actor=actor,
        )


@dataclass(frozen=True)
class Registry:
    """Ids of the objects the approval tests act on."""

    dataset_version_id: int
    run_id: int
    model_id: int
    deployment_id: int


def build_registry(session: Any, *, name: str = "support-assistant") -> Registry:
    """Register the ready-for-production objects through the registry services."""
    dataset = datasets.create_dataset(
        session=session,
        data=DatasetCreate(name=f"{name}-faq", owner=ENGINEER, purpose="Public product FAQ"),
        actor=ENGINEER,
    )
    version = datasets.register_version(
        session=session,
        dataset_id=dataset.id or 0,
        data=DatasetVersionRegister(
            format=DatasetFormat.OPENAI_CHAT,
            content_sha256="a" * 64,
            storage_uri=f"s3://datasets/{name}-faq.jsonl",
            size_bytes=1024,
            row_count=100,
            contains_pii=False,
            contains_phi=False,
            special_category=False,
            data_subject_regions=["US"],
            residency_region="US",
            provenance_source="our public documentation",
            provenance_licence="CC BY 4.0",
        ),
        actor=ENGINEER,
    )
    # The registrant's "no" is believed only once a data steward confirms it.
    datasets.update_version_metadata(
        session=session,
        version_id=version.id or 0,
        data=DatasetVersionMetadata(contains_pii=False, contains_phi=False, special_category=False),
        actor=FACT_OFFICER,
        justification="public FAQ pages: no personal data",
    )
    run = runs.create_run(
        session=session,
        data=RunCreate(
            name=f"{name}-lora",
            base_model="meta-llama/Llama-3.1-8B-Instruct",
            platform="meta",
            hosting="internal",
            training_region="US",
            method="lora",
            dataset_version_ids=[version.id or 0],
        ),
        actor=ENGINEER,
    )
    model = model_versions.create_model_version(
        session=session,
        data=ModelVersionCreate(
            name=name,
            version="1.0.0",
            run_id=run.id,
            platform="meta",
            developers=[ENGINEER],
        ),
        actor=ENGINEER,
    )
    attest_model(session, model.id or 0, domain="general", risk_tier="high")
    model_versions.set_model_card(
        session=session,
        model_id=model.id or 0,
        data=ModelCardUpdate(
            sections={
                section: f"{section} of {name}, written out." for section in MODEL_CARD_SECTIONS
            }
        ),
        actor=ENGINEER,
    )
    import_evidence(
        session=session,
        model_id=model.id or 0,
        source_format="generic_json",
        content=json.dumps(
            {
                "tool": "faq-eval",
                "tool_version": "1.0",
                "measured_at": utc_now().isoformat(),
                "results": [
                    {"metric": metric, "value": value, "task": "faq", "dataset": HOLDOUT}
                    for metric, value in (
                        ("accuracy", 0.91),
                        ("reasoning_step_validity", 0.85),
                        ("latency_p99_ms", 900),
                    )
                ],
            }
        ).encode(),
        file_name=f"{name}-holdout.json",
        actor=EVALUATOR,
    )
    model_versions.add_evaluation(
        session=session,
        model_id=model.id or 0,
        data=EvaluationCreate(
            kind="red_team",
            name="prompt-injection",
            metrics={"prompts_tried": 400, "failures": 4},
            attack_category="prompt_injection",
            severity="low",
        ),
        actor=EVALUATOR,
    )
    deployment = deployments.create_deployment(
        session=session,
        data=DeploymentCreate(
            model_version_id=model.id or 0,
            endpoint=f"https://staging.internal/{name}",
            access_logging=True,
            monitoring_enabled=True,
        ),
        actor=ENGINEER,
    )
    return Registry(
        dataset_version_id=version.id or 0,
        run_id=run.id or 0,
        model_id=model.id or 0,
        deployment_id=deployment.id or 0,
    )


@pytest.fixture
def registry(engine: sa.Engine) -> Registry:
    """The ready-for-production registry, committed."""
    with session_scope(engine) as session:
        return build_registry(session)


@pytest.fixture
def policy_engine(app: Flask) -> PolicyEngine:
    """The application's policy engine (the real embedded one)."""
    engine: PolicyEngine = app.extensions["gatehouse.policy_engine"]
    return engine


@pytest.fixture
def people(make_actor: Any) -> dict[str, Any]:
    """A pipeline, two compliance officers, a model-risk approver and the engineer."""
    return {
        "pipeline": make_actor("pipeline", username="release-bot"),
        "officer": make_actor("compliance_officer", username="olivia"),
        "officer2": make_actor("compliance_officer", username="oscar"),
        "risk": make_actor("model_risk", username="marcus"),
        "engineer": make_actor("ml_engineer", username=ENGINEER),
    }


def attest_through_api(
    actor: Any, subject_type: str, subject_id: int, fact: str, value: Any, **extra: Any
) -> Any:
    """``actor`` attests a fact through ``POST /api/v1/attestations``; the answer."""
    return actor.post(
        "/api/v1/attestations",
        json={
            "subject_type": subject_type,
            "subject_id": subject_id,
            "fact": fact,
            "value": value,
            "evidence_ref": "MRM-2026-17",
            "justification": "reviewed the evidence",
            **extra,
        },
    )
