"""A seeded registry with every kind of report generated once per backend.

Rendering and signing take about a second per report, so the registry (the demo seed,
a promotion approved by two people, real fairness and SHAP audits of German Credit
decisions) is built once per backend for this package, each kind of report is generated
from it once, and the tests read those. Tests that change state (downloads, generation through the
API) only add rows, so sharing is safe.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sklearn.ensemble import GradientBoostingClassifier

from app import create_app
from app.approvals import service as approvals
from app.approvals.flows import PROMOTION_FLOW
from app.audits.datasets import load_german
from app.audits.explain import run_explainability_audit
from app.audits.fairness import run_fairness_audit
from app.auth.accounts import create_token
from app.config import Settings, settings_for_tests
from app.db import session_scope
from app.demo.registry import seed_datasets, seed_runs_and_models
from app.demo.seed import DemoSeed, seed_people
from app.demo.workflow import run_demo_workflow
from app.models.base import utc_now
from app.models.evidence import AuditRun, Report
from app.reports import service as report_service
from app.reports.prepared import Period, ReportRequest
from tests.approvals.conftest import build_registry
from tests.conftest import BACKENDS, _admin_execute, _with_database, postgres_admin_url
from tests.reports.conftest import timestamp_authority  # noqa: F401 (a local TSA for B-T tests)

#: Features the audited credit model decides on (German Credit column names).
GERMAN_FEATURES = ["Duration", "Credit-amount", "Installment-rate", "Age", "Existing-credits"]
#: The period of the periodic report: the whole year the tests run in.
PERIOD = Period(date(utc_now().year, 1, 1), date(utc_now().year, 12, 31))
#: Who generates the shared reports (the demo's compliance officer).
GENERATOR = "olivia"


def generate_in_session(
    *,
    session: Any,
    settings: Settings,
    kind: str,
    actor: str,
    subject_id: int | None = None,
    period: Period | None = None,
) -> Report:
    """Generate a report through the service every door uses, inside ``session``."""
    return report_service.generate(
        sessions=lambda: nullcontext(session),
        settings=settings,
        request=ReportRequest(kind, subject_id=subject_id, period=period),
        actor=actor,
    )


@dataclass
class World:
    """The application, the seed's ids, the shared reports and API tokens per user."""

    app: Flask
    settings: Settings
    engine: sa.Engine
    seed: DemoSeed
    ids: dict[str, int]
    reports: dict[str, Report] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def pdf(self, kind: str) -> bytes:
        """The stored PDF of the shared report of ``kind``."""
        return (self.settings.storage_dir / self.reports[kind].storage_path).read_bytes()

    def api(self, username: str) -> tuple[FlaskClient, dict[str, str]]:
        """A client and the bearer header of a seeded user."""
        return self.app.test_client(), {"Authorization": f"Bearer {self.tokens[username]}"}

    def portal(self, username: str) -> FlaskClient:
        """A portal client logged in as a seeded user."""
        client = self.app.test_client()
        response = client.post(
            "/login", data={"username": username, "password": self.seed.passwords[username]}
        )
        assert response.status_code == 302, response.data
        return client


def _german_decisions() -> tuple[pd.DataFrame, GradientBoostingClassifier]:
    """German Credit with a small model's decisions in ``approved``."""
    frame = load_german()
    model = GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=0)
    model.fit(frame[GERMAN_FEATURES], frame["good_credit"])
    frame["approved"] = model.predict(frame[GERMAN_FEATURES])
    return frame, model


def _store_audit(
    session: Any,
    *,
    kind: str,
    model_id: int,
    dataset_version_id: int,
    results: dict[str, Any],
    summary: dict[str, Any],
) -> int:
    """A succeeded AuditRun holding ``results``."""
    audit = AuditRun(
        model_version_id=model_id,
        dataset_version_id=dataset_version_id,
        kind=kind,
        status="succeeded",
        parameters={"y_true": "good_credit", "y_pred": "approved"},
        summary=summary,
        results=results,
        requested_by="marcus",
        started_at=utc_now(),
        finished_at=utc_now(),
    )
    session.add(audit)
    session.flush()
    return audit.id or 0


def _audits(session: Any, *, model_id: int, dataset_version_id: int) -> dict[str, int]:
    """Real fairness and SHAP audits of a model's German Credit decisions.

    The SHAP result is stored twice: as the audit library's ``to_dict()`` (decisions
    listed with feature values) and as the audit service keeps it (decisions keyed by
    id, without the applicant's values).
    """
    frame, model = _german_decisions()
    fairness = run_fairness_audit(
        frame,
        y_true="good_credit",
        y_pred="approved",
        sensitive=["sex", "age_band"],
        bootstrap=50,
        seed=0,
    ).to_dict()
    headline = fairness["headline"]
    explained = run_explainability_audit(
        model,
        frame[GERMAN_FEATURES].head(200),
        decision_ids=[f"app-{index:04d}" for index in range(200)],
        sensitive=frame[["sex"]].head(200),
    )
    keyed = explained.to_dict(include_decisions=False)
    keyed["decisions"] = {
        decision.decision_id: {
            "output": decision.output,
            "reasons": [
                {"feature": reason.feature, "contribution": reason.contribution}
                for reason in decision.reasons
            ],
        }
        for decision in explained.decisions()
    }
    common = {"model_id": model_id, "dataset_version_id": dataset_version_id}
    return {
        "audit": _store_audit(
            session,
            kind="fairness",
            results=fairness,
            summary={
                "adverse_impact_ratio": headline["adverse_impact_ratio"]["value"],
                "equalized_odds_difference": headline["equalized_odds_difference"]["value"],
            },
            **common,
        ),
        "shap_audit": _store_audit(
            session,
            kind="explainability",
            results=explained.to_dict(),
            summary={"principal_reasons_available": True},
            **common,
        ),
        "shap_audit_keyed": _store_audit(
            session,
            kind="explainability",
            results=keyed,
            summary={"principal_reasons_available": True},
            **common,
        ),
    }


def _approve_promotion(app: Flask, engine: sa.Engine, deployment_id: int) -> int:
    """Request promotion of the ready deployment and approve it as officer and model risk."""
    policy = app.extensions["gatehouse.policy_engine"]
    with session_scope(engine) as session:
        outcome = approvals.request_approval(
            session=session,
            engine=policy,
            flow=PROMOTION_FLOW,
            subject_id=deployment_id,
            actor="release-bot",
        )
        assert outcome.request is not None, outcome.decision.violations
        request_id = outcome.request.id or 0
    for voter, role, comment in (
        ("olivia", "compliance_officer", "Card, data and approvals reviewed; go."),
        ("marcus", "model_risk", "Independent validation VAL-2026-117 complete."),
    ):
        with session_scope(engine) as session:
            approvals.vote(
                session=session,
                engine=policy,
                request_id=request_id,
                voter=voter,
                role=role,
                decision="approve",
                comment=comment,
            )
    return request_id


@pytest.fixture(scope="package", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The seeded registry on one backend, with one report of each kind generated."""
    tmp = tmp_path_factory.mktemp(f"reports-{request.param}")
    postgres_name = None
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, tmp / "gatehouse.db")
        url = f"sqlite:///{tmp / 'gatehouse.db'}"
    else:
        template_name: str = request.getfixturevalue("postgres_template")
        postgres_name = f"gh_reports_{uuid.uuid4().hex[:10]}"
        _admin_execute(f'CREATE DATABASE "{postgres_name}" TEMPLATE "{template_name}"')
        url = _with_database(postgres_admin_url(), postgres_name)
    settings = settings_for_tests(tmp, url)
    app = create_app(settings)
    engine: sa.Engine = app.extensions["gatehouse.engine"]
    seed = DemoSeed()
    work = tmp / "work"
    work.mkdir()
    with session_scope(engine) as session:
        seed_people(session, seed, fast_hash=True)
        seed_datasets(session=session, settings=settings, work=work, seed=seed)
        seed_runs_and_models(session=session, seed=seed)
        run_demo_workflow(
            session=session,
            settings=settings,
            engine=app.extensions["gatehouse.policy_engine"],
            seed=seed,
        )
        ready = build_registry(session)
        ids = dict(seed.ids)
        ids["ready_deployment"] = ready.deployment_id
        ids["ready_model"] = ready.model_id
        ids |= _audits(
            session, model_id=ids["credit_model"], dataset_version_id=ids["german_credit"]
        )
        tokens = {
            username: create_token(
                session=session,
                username=username,
                name="reports tests",
                scopes=["read", "write"],
                actor="test",
                expires_in=timedelta(hours=2),
            ).secret
            for username in ("olivia", "marcus", "eli", "audrey", "ada", "release-bot")
        }
    ids["promotion_request"] = _approve_promotion(app, engine, ids["ready_deployment"])
    world = World(app=app, settings=settings, engine=engine, seed=seed, ids=ids, tokens=tokens)
    subjects: dict[str, dict[str, Any]] = {
        "model_card": {"subject_id": ids["credit_model"]},
        "dataset_sheet": {"subject_id": ids["notes_raw"]},
        "audit_report": {"subject_id": ids["audit"]},
        "promotion_evidence": {"subject_id": ids["ready_deployment"]},
        "periodic_compliance": {"period": PERIOD},
    }
    for kind, subject in subjects.items():
        with session_scope(engine) as session:
            world.reports[kind] = generate_in_session(
                session=session, settings=settings, kind=kind, actor=GENERATOR, **subject
            )
    yield world
    engine.dispose()
    if postgres_name is not None:
        _admin_execute(f'DROP DATABASE IF EXISTS "{postgres_name}" WITH (FORCE)')
