"""The demo's audits of ``credit-risk-assistant``: a stand-in model, a nightly schedule, first runs.

The demo's credit model is a fine-tuned LLM that cannot run on a laptop. What an audit
of such a model reads is its decisions on an evaluation set, so the demo stands in for
it with a small scikit-learn gradient boosting model trained on the UCI German Credit
data (``data/german.data``, CC BY 4.0): its decisions on a held-out evaluation split
play the fine-tune's decisions. The model card says so.

Seeding registers the evaluation split as a ``tabular`` version of ``german-credit``
(with the derived ``sex``, ``age_band`` and ``good_credit`` columns the audit groups by),
stores the model content-addressed as the model version's artefact, registers nightly
fairness and explainability schedules, runs both audits once, and asks the promotion
gate again so the decision log shows what the policy makes of the figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sqlmodel import Session

from app.audits.datasets import load_german
from app.audits.parameters import AuditParameters
from app.audits.schedules import AuditScheduleCreate, upsert_schedule
from app.audits.service import record_model_artifact, run_audit
from app.config import Settings
from app.demo.ingest import ingest_and_commit
from app.models.datasets import DatasetVersion
from app.policy.engine import PolicyEngine
from app.registry.model_versions import set_model_card
from app.registry.records import get_record
from app.registry.schemas import DatasetVersionMetadata, ModelCardUpdate
from app.storage import stage_file
from app.storage_commit import promote_on_commit

__all__ = [
    "DEMO_FAIRNESS",
    "DEMO_FEATURES",
    "NIGHTLY_CRON",
    "build_evaluation_set",
    "seed_demo_audits",
    "train_stand_in_model",
]

#: Columns of german.data the stand-in model decides from (Status/sex, a proxy for sex, is left out).
DEMO_FEATURES: tuple[str, ...] = (
    "Checking-Account",
    "Duration",
    "Credit-history",
    "Purpose",
    "Credit-amount",
    "Savings-account",
    "Present-employment",
    "Installment-rate",
    "Other-debtors",
    "Present-residence",
    "Property",
    "Age",
    "Other-installment",
    "Housing",
    "Existing-credits",
    "Job",
    "liable",
    "Telephone",
    "Foreign-worker",
)
#: The demo's fairness parameters: approval (good_credit = 1) by sex and age band.
DEMO_FAIRNESS = AuditParameters(
    y_true="good_credit", sensitive=("sex", "age_band"), bootstrap=200, seed=0
)
#: Explainability: principal reasons keyed by application id, importance by sex and age band.
DEMO_EXPLAINABILITY = AuditParameters(
    sensitive=("sex", "age_band"), id_column="application_id", top_k=4, seed=0
)
#: Nightly at 02:00 UTC (fairness) and 02:30 UTC (explainability).
NIGHTLY_CRON = "0 2 * * *"
_EXPLAIN_CRON = "30 2 * * *"
# Share of German Credit held out as the evaluation set.
_EVALUATION_SHARE = 0.3
_ACTOR = "marcus"


def build_evaluation_set() -> tuple[pd.DataFrame, pd.DataFrame]:
    """German Credit split into (training rows, evaluation rows), seeded and stratified."""
    frame = load_german()
    frame["age_band"] = frame["age_band"].astype(str)
    frame.insert(0, "application_id", [f"APP-{n:04d}" for n in range(1, len(frame) + 1)])
    training, evaluation = train_test_split(
        frame, test_size=_EVALUATION_SHARE, random_state=0, stratify=frame["good_credit"]
    )
    return training, evaluation


def train_stand_in_model(training: pd.DataFrame) -> Pipeline:
    """One-hot categorical codes + 100 depth-3 boosted trees, predicting good credit (1)."""
    features = training[list(DEMO_FEATURES)]
    categorical = [
        name for name in DEMO_FEATURES if not pd.api.types.is_numeric_dtype(features[name])
    ]
    model = Pipeline(
        [
            (
                "encode",
                ColumnTransformer(
                    [("categorical", OneHotEncoder(handle_unknown="ignore"), categorical)],
                    remainder="passthrough",
                ),
            ),
            ("classify", GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0)),
        ]
    )
    return model.fit(features, training["good_credit"])


def _evaluation_version(
    session: Session, settings: Settings, work: Path, german_version_id: int
) -> int:
    """Register the evaluation split as the next version of the german-credit dataset."""
    _, evaluation = build_evaluation_set()
    path = work / "german-credit-evaluation.csv"
    columns = ["application_id", *DEMO_FEATURES, "sex", "age_band", "good_credit"]
    evaluation[columns].to_csv(path, index=False)
    original = get_record(session=session, model=DatasetVersion, record_id=german_version_id)
    declared = DatasetVersionMetadata(
        **{
            name: getattr(original, name)
            for name in DatasetVersionMetadata.model_fields
            if hasattr(original, name)
        }
    )
    return ingest_and_commit(
        session=session,
        settings=settings,
        dataset_id=original.dataset_id,
        path=path,
        declared=declared,
        actor=_ACTOR,
        format="tabular",
    )


def _store_model(session: Session, settings: Settings, work: Path, model_id: int) -> None:
    """Train the stand-in, stage it and record it as the artefact (promoted on commit)."""
    training, _ = build_evaluation_set()
    path = work / "credit-risk-assistant.joblib"
    joblib.dump(train_stand_in_model(training), path)
    stored = stage_file(
        path, root=settings.storage_dir / "models", max_bytes=settings.max_upload_bytes
    )
    promote_on_commit(session=session, staged=stored)
    record_model_artifact(
        session=session,
        model_version_id=model_id,
        artifact_uri=stored.uri,
        sha256=stored.sha256,
        actor="eli",
    )
    set_model_card(
        session=session,
        model_id=model_id,
        data=ModelCardUpdate(
            sections={
                "evaluation_data": (
                    "A seeded, stratified 30% hold-out of UCI Statlog German Credit (300 "
                    "applications), registered as a tabular version of 'german-credit'. In "
                    "this demo the fine-tuned model's decisions are stood in for by a "
                    "scikit-learn gradient boosting model trained on the other 70%: audits "
                    "read a model's decisions on an evaluation set, whatever produced them."
                ),
                "quantitative_analyses": (
                    "Nightly fairness audit (selection rate, error rates and adverse impact "
                    "by sex and age band, bootstrap CIs) and explainability audit (SHAP, "
                    "principal reasons per application); see the Audits page."
                ),
            }
        ),
        actor="eli",
    )


def seed_demo_audits(
    session: Session, *, settings: Settings, engine: PolicyEngine, work: Path, seed: Any
) -> None:
    """Give the demo's credit model an artefact, nightly schedules and its first audits.

    ``seed`` is the :class:`app.demo.seed.DemoSeed` being built: the ids of what is
    created are added to ``seed.ids``.
    """
    model_id = seed.ids["credit_model"]
    _store_model(session, settings, work, model_id)
    dataset_id = _evaluation_version(session, settings, work, seed.ids["german_credit"])
    seed.ids["german_credit_evaluation"] = dataset_id
    for kind, cron, parameters in (
        ("fairness", NIGHTLY_CRON, DEMO_FAIRNESS),
        ("explainability", _EXPLAIN_CRON, DEMO_EXPLAINABILITY),
    ):
        schedule = upsert_schedule(
            session=session,
            data=AuditScheduleCreate(
                model_version_id=model_id,
                dataset_version_id=dataset_id,
                kind=kind,  # type: ignore[arg-type]
                cron=cron,
                parameters=parameters,
            ),
            actor=_ACTOR,
        )
        seed.ids[f"{kind}_schedule"] = schedule.id or 0
        audit = run_audit(
            session=session,
            engine=engine,
            model_version_id=model_id,
            dataset_version_id=dataset_id,
            kind=kind,
            parameters=parameters,
            actor=_ACTOR,
            schedule=cron,
        )
        seed.ids[f"{kind}_audit"] = audit.id or 0
