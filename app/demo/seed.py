"""Seed the demo registry through the same services the doors use (so it is ledgered)."""

from __future__ import annotations

import secrets
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.auth.accounts import create_token, create_user
from app.config import Settings
from app.demo import files
from app.demo.attestations import seed_attestations
from app.demo.audits import seed_demo_audits
from app.demo.evidence import import_notes_evidence
from app.demo.workflow import run_demo_workflow
from app.models.vocabulary import Domain, FindingSeverity, Hosting, Platform
from app.policy.engine import PolicyEngine
from app.registry import datasets, deployments, model_versions, runs
from app.registry.dataset_ingest import ingest_dataset_file
from app.registry.schemas import (
    DatasetCreate,
    DatasetVersionMetadata,
    DeploymentCreate,
    EvaluationCreate,
    ModelCardUpdate,
    ModelVersionCreate,
    RunCreate,
)
from app.reports import service as report_service
from app.reports.prepared import ReportRequest
from app.storage import stage_file

#: The demo's people: username -> (display name, role).
PEOPLE: dict[str, tuple[str, str]] = {
    "olivia": ("Olivia Officer", "compliance_officer"),
    "marcus": ("Marcus Risk", "model_risk"),
    "eli": ("Eli Engineer", "ml_engineer"),
    "audrey": ("Audrey Auditor", "auditor"),
    "ada": ("Ada Admin", "admin"),
}


@dataclass
class DemoSeed:
    """What the demo created: passwords to print and the ids of interesting objects."""

    passwords: dict[str, str] = field(default_factory=dict)
    pipeline_token: str = ""
    ids: dict[str, int] = field(default_factory=dict)
    #: What happened to each run and deployment, one line each, for the summary.
    story: list[str] = field(default_factory=list)


def _card(model_name: str, domain: str) -> dict[str, str]:
    return {
        "details": f"{model_name}: a fine-tuned language model for {domain} decisions support.",
        "intended_use": "Decision support for trained staff; every output is reviewed by a person.",
        "out_of_scope_use": "Fully automated decisions without human review; use outside the EU/US.",
        "factors": "Sex, age band and foreign-worker status are evaluated as sensitive factors.",
        "metrics": "Accuracy, reasoning-step validity, adverse impact ratio, equalized odds difference.",
        "evaluation_data": "A held-out 20% split of the training data plus a red-team prompt set.",
        "training_data": "Registered dataset versions listed in the lineage section.",
        "quantitative_analyses": "See the fairness and explainability audit reports.",
        "ethical_considerations": "Risk of disparate impact; mitigated by audits and human review.",
        "caveats": "Performance degrades on applicants unlike the training population.",
    }


def _ingest(
    session: Session,
    settings: Settings,
    dataset_id: int,
    path: Path,
    metadata: DatasetVersionMetadata,
    actor: str,
    format: str | None = None,
) -> int:
    stored = stage_file(
        path, root=settings.storage_dir / "datasets", max_bytes=settings.max_upload_bytes
    )
    version, _ = ingest_dataset_file(
        session=session,
        dataset_id=dataset_id,
        stored=stored,
        declared=metadata,
        actor=actor,
        format=format,
    )
    # The file reaches its content address when the version commits; the demo reads it
    # back (audits, reports) in this same session, so commit each version as it comes.
    session.commit()
    return version.id or 0


def seed_people(session: Session, seed: DemoSeed, *, fast_hash: bool = False) -> None:
    """The demo's users (random passwords) and a pipeline token."""
    for username, (display, role) in PEOPLE.items():
        password = secrets.token_urlsafe(12)
        create_user(
            session=session,
            username=username,
            display_name=display,
            roles=[role],
            password=password,
            actor="demo",
            fast_hash=fast_hash,
        )
        seed.passwords[username] = password
    create_user(
        session=session,
        username="release-bot",
        display_name="Release pipeline",
        roles=["pipeline"],
        actor="demo",
    )
    seed.pipeline_token = create_token(
        session=session,
        username="release-bot",
        name="demo pipeline",
        scopes=["read", "write", "gate"],
        actor="demo",
    ).secret


def seed_datasets(session: Session, settings: Settings, work: Path, seed: DemoSeed) -> None:
    """Healthcare (raw PHI and de-identified), EU triage, credit (German Credit) and more."""
    actor = "eli"
    hipaa = {
        "phi_fields": [
            {"name": "diagnosis", "purpose": "summary of the condition"},
            {"name": "medication", "purpose": "current treatment"},
        ],
        "retention_until": date(2029, 12, 31),
        "provenance_source": "synthetic notes generated by the demo",
        "provenance_licence": "CC0",
    }
    gdpr_credit = {
        "contains_pii": True,
        "special_category": False,
        "retention_until": date(2030, 1, 1),
        "controller": "Gatehouse Demo Bank AG",
        "processing_purpose": "credit decision support",
        "data_categories": ["financial", "demographic"],
        "provenance_source": "UCI Machine Learning Repository, Statlog (German Credit Data), Hofmann 1994",
        "provenance_licence": "CC BY 4.0",
    }
    # Each dataset and its versions: the seed id, its file (written now), the declared
    # classification and, when detection should not guess, the format.
    catalogue: list[tuple[DatasetCreate, list[tuple[str, Path, dict[str, Any], str | None]]]] = [
        (
            DatasetCreate(
                name="clinical-notes",
                owner=actor,
                purpose="Summarise clinical notes for physicians",
                domain=Domain.HEALTHCARE,
            ),
            [
                (
                    "notes_raw",
                    files.clinical_notes(work / "notes-raw.jsonl", deidentified=False),
                    {**hipaa, "deidentification_method": "none"},
                    None,
                ),
                (
                    "notes_deid",
                    files.clinical_notes(work / "notes-deid.jsonl", deidentified=True),
                    {**hipaa, "contains_phi": True, "deidentification_method": "safe_harbor"},
                    None,
                ),
            ],
        ),
        (
            DatasetCreate(
                name="eu-patient-triage",
                owner=actor,
                purpose="Triage advice for EU patients",
                domain=Domain.HEALTHCARE,
            ),
            [
                (
                    "triage",
                    files.eu_triage(work / "triage.jsonl"),
                    {
                        "contains_pii": True,
                        "special_category": True,
                        "consent_ref": "CONSENT-FORM-v4",
                        "deidentification_method": "pseudonymised",
                        "retention_until": date(2028, 6, 30),
                        "controller": "Gatehouse Demo Clinics GmbH",
                        "processing_purpose": "triage advice model",
                        "data_categories": ["health"],
                    },
                    None,
                )
            ],
        ),
        (
            DatasetCreate(
                name="german-credit",
                owner=actor,
                purpose="Credit decisions audit data (UCI Statlog, CC BY 4.0)",
                domain=Domain.CREDIT,
            ),
            [
                (
                    "german_credit",
                    files.german_credit_csv(work / "german-credit.csv"),
                    gdpr_credit,
                    "tabular",
                )
            ],
        ),
        (
            DatasetCreate(
                name="credit-explanations",
                owner=actor,
                purpose="Explain credit decisions with principal reasons",
                domain=Domain.CREDIT,
            ),
            [
                (
                    "credit_explanations",
                    files.credit_explanations(work / "credit-explanations.jsonl"),
                    gdpr_credit,
                    None,
                )
            ],
        ),
        (
            DatasetCreate(
                name="radiology-findings",
                owner=actor,
                purpose="Describe chest X-ray findings",
                domain=Domain.HEALTHCARE,
            ),
            [
                (
                    "radiology",
                    files.radiology_gemini(work / "radiology.jsonl"),
                    {
                        "contains_phi": True,
                        "deidentification_method": "expert_determination",
                        "phi_fields": [{"name": "image", "purpose": "finding description"}],
                        "retention_until": date(2029, 1, 1),
                    },
                    None,
                )
            ],
        ),
    ]
    for created, versions in catalogue:
        dataset = datasets.create_dataset(session=session, data=created, actor=actor)
        for key, path, declared, format in versions:
            seed.ids[key] = _ingest(
                session,
                settings,
                dataset.id or 0,
                path,
                DatasetVersionMetadata.model_validate(declared),
                actor,
                format=format,
            )


def _release(
    session: Session,
    seed: DemoSeed,
    key: str,
    model: ModelVersionCreate,
    card: dict[str, str],
    evaluations: tuple[EvaluationCreate, ...] = (),
    **deployment: Any,
) -> None:
    """Register ``model`` with ``card`` and ``evaluations`` and deploy it to staging; the
    ids are kept as ``<key>_model`` and ``<key>_deployment``."""
    actor = "eli"
    model_id = model_versions.create_model_version(session=session, data=model, actor=actor).id or 0
    seed.ids[f"{key}_model"] = model_id
    model_versions.set_model_card(
        session=session, model_id=model_id, data=ModelCardUpdate(sections=card), actor=actor
    )
    for evaluation in evaluations:
        model_versions.add_evaluation(
            session=session, model_id=model_id, data=evaluation, actor=actor
        )
    seed.ids[f"{key}_deployment"] = (
        deployments.create_deployment(
            session=session,
            data=DeploymentCreate(model_version_id=model_id, **deployment),
            actor=actor,
        ).id
        or 0
    )


def seed_runs_and_models(session: Session, seed: DemoSeed) -> None:
    """Runs on the four platforms of the seed, models with cards, a staging deployment,
    and the attestations of every governance fact the gates read."""
    actor = "eli"
    plans = [
        RunCreate(
            name="notes-o4-mini-sft",
            base_model="o4-mini-2025-04-16",
            platform=Platform.OPENAI,
            hosting=Hosting.EXTERNAL,
            vendor="openai",
            training_region="US",
            method="sft",
            hyperparameters={"n_epochs": 3},
            dataset_version_ids=[seed.ids["notes_raw"]],
        ),
        RunCreate(
            name="notes-claude-sft",
            base_model="claude-3-haiku",
            platform=Platform.ANTHROPIC,
            hosting=Hosting.EXTERNAL,
            vendor="anthropic",
            training_region="US",
            method="sft",
            hyperparameters={"epochs": 2},
            dataset_version_ids=[seed.ids["notes_deid"]],
        ),
        RunCreate(
            name="triage-gemini-sft",
            base_model="gemini-2.0-flash",
            platform=Platform.GOOGLE,
            hosting=Hosting.EXTERNAL,
            vendor="google",
            training_region="NL",
            method="sft",
            dataset_version_ids=[seed.ids["triage"]],
        ),
        RunCreate(
            name="credit-llama-lora",
            base_model="meta-llama/Llama-3.1-8B-Instruct",
            platform=Platform.META,
            hosting=Hosting.INTERNAL,
            training_region="DE",
            method="lora",
            hyperparameters={"r": 16, "alpha": 32, "learning_rate": 0.0002},
            gpu_type="nvidia-a100-80gb",
            gpu_count=2,
            max_hours=6,
            training_command=["python", "-c", "print('training step 1/1 done')"],
            dataset_version_ids=[seed.ids["credit_explanations"]],
        ),
    ]
    for plan in plans:
        seed.ids[plan.name] = runs.create_run(session=session, data=plan, actor=actor).id or 0

    _release(
        session,
        seed,
        "credit",
        ModelVersionCreate(
            name="credit-risk-assistant",
            version="1.0.0",
            run_id=seed.ids["credit-llama-lora"],
            platform=Platform.META,
            developers=["eli"],
        ),
        _card("credit-risk-assistant", "credit"),
        (
            EvaluationCreate(
                kind="benchmark",
                name="holdout-2026-11",
                metrics={
                    "accuracy": 0.84,
                    "reasoning_step_validity": 0.81,
                    "latency_p99_ms": 1450,
                    "cost_per_1k_requests_usd": 0.9,
                },
            ),
            EvaluationCreate(
                kind="red_team",
                name="prompt-injection-suite",
                metrics={"prompts_tried": 400, "failures": 6},
                attack_category="prompt_injection",
                severity=FindingSeverity.MEDIUM,
                open_findings=1,
            ),
        ),
        endpoint="https://staging.internal/credit-risk-assistant",
        access_logging=True,
        monitoring_enabled=True,
    )
    _release(
        session,
        seed,
        "notes",
        ModelVersionCreate(
            name="notes-assistant",
            version="0.9.0",
            run_id=seed.ids["notes-claude-sft"],
            platform=Platform.ANTHROPIC,
            developers=["eli"],
        ),
        {
            k: v
            for k, v in _card("notes-assistant", "healthcare").items()
            if k not in ("caveats", "ethical_considerations")
        },
        endpoint="https://staging.internal/notes-assistant",
    )
    seed_attestations(session, seed)


def seed_demo(
    *, session: Session, settings: Settings, engine: PolicyEngine, work: Path
) -> DemoSeed:
    """Create the whole demo registry; returns what to show the person running it."""
    seed = DemoSeed()
    seed_people(session, seed)
    seed_datasets(session, settings, work, seed)
    seed_runs_and_models(session, seed)
    seed_demo_audits(session, settings=settings, engine=engine, work=work, seed=seed)
    import_notes_evidence(session=session, seed=seed)
    run_demo_workflow(session=session, settings=settings, engine=engine, seed=seed)
    for request in (
        ReportRequest("promotion_evidence", seed.ids["credit_deployment"]),
        ReportRequest("dataset_sheet", seed.ids["notes_raw"]),
    ):
        report_service.generate(
            sessions=lambda: nullcontext(session),
            settings=settings,
            request=request,
            actor="olivia",
        )
    return seed


def summary_lines(seed: DemoSeed, url: str) -> list[str]:
    """What ``gatehouse demo`` prints."""
    lines: list[str] = [
        f"Gatehouse demo at {url}",
        "",
        "Log in as the compliance officer:",
        f"  username: olivia   password: {seed.passwords['olivia']}",
        "Other demo users (same portal):",
    ]
    lines += [
        f"  {name:<8} {PEOPLE[name][1]:<20} password: {password}"
        for name, password in seed.passwords.items()
        if name != "olivia"
    ]
    lines += [
        "Pipeline token (release-bot; read, write, gate):",
        f"  {seed.pipeline_token}",
        "",
        "What happened while seeding (every step is in the ledger):",
    ]
    lines += [f"  {line}" for line in seed.story]
    return lines
