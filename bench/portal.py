"""Benchmark: server time of every portal page on a registry at scale.

Seeds a fresh, migrated SQLite database (or ``--database-url``, e.g. PostgreSQL) by bulk
Core inserts (seconds, not the hour the services would take) with 10,000 runs, 1,000
model versions and their deployments, 10,000 gate decisions (each with every control of
the catalogue and the violations of the failing ones), 2,000 approval requests (half
pending), 100 datasets and 100,000 chained ledger events, then verifies the ledger once
as the daily job does. It then logs in as a compliance officer and asks each portal page
through the application in process (no HTTP: server time only), once and then
``--repeat`` times, and prints each page's first, median and worst time and the response
size, with its ratio to a bare ``/healthz`` asked the same way in the same run. Goal:
every page's median at most 300 ms.

Run: ``.venv/bin/python bench/portal.py [--repeat N] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.config import settings_for_tests  # noqa: E402
from app.db import build_engine, session_scope, table_of  # noqa: E402
from app.demo.seed import DemoSeed, seed_people  # noqa: E402
from app.ledger.progress import verify_fully  # noqa: E402
from app.migrations import upgrade  # noqa: E402
from app.models.datasets import Dataset, DatasetVersion  # noqa: E402
from app.models.deployments import Deployment  # noqa: E402
from app.models.governance import ApprovalRequest, PolicyDecision  # noqa: E402
from app.models.model_versions import ModelVersion  # noqa: E402
from app.models.runs import FineTuneRun, RunDataset  # noqa: E402
from app.models.vocabulary import (  # noqa: E402
    ApprovalStatus,
    DecisionOutcome,
    Domain,
    GateName,
    GateSubject,
    Platform,
)
from app.policy.catalogue import load_catalogue  # noqa: E402
from bench.ledger import seed as seed_ledger  # noqa: E402

RUNS = 10_000
MODELS = 1_000
DECISIONS = 10_000
REQUESTS = 2_000
DATASETS = 100
LEDGER_EVENTS = 100_000
GOAL_MS = 300.0
_RUN_STATES = ("draft", "submitted", "approved", "rejected", "succeeded", "failed", "cancelled")


def _insert(connection: sa.Connection, model: type[SQLModel], rows: list[SQLModel]) -> None:
    """Rows of ``model`` by one executemany INSERT (ids included, so others can refer)."""
    connection.execute(sa.insert(table_of(model)), [row.model_dump() for row in rows])


def _decision(
    index: int, subject_type: str, subject_id: int, controls: list[str]
) -> PolicyDecision:
    """A decision shaped like the engine's: every control's outcome, two failing in three."""
    failing = controls[index % len(controls)] if index % 3 else None
    outcomes = [
        {
            "control_id": control,
            "status": "fail" if control == failing else "pass",
            "reason": "synthetic outcome for the benchmark",
        }
        for control in controls
    ]
    violations = (
        [
            {
                "control": failing,
                "regulation": failing.split("-")[0],
                "citation": "benchmark citation",
                "severity": "high",
                "message": f"{subject_type} {subject_id} fails {failing}",
            }
        ]
        if failing
        else []
    )
    digest = hashlib.sha256(f"decision {index}".encode()).hexdigest()
    return PolicyDecision(
        id=index,
        gate=GateName.TRAINING_LAUNCH
        if subject_type == GateSubject.RUN
        else GateName.PRODUCTION_PROMOTION,
        subject_type=GateSubject(subject_type),
        subject_id=subject_id,
        input_sha256=digest,
        evidence_sha256=digest,
        bundle_sha256="b" * 64,
        engine="embedded",
        allow=failing is None,
        outcome=DecisionOutcome.ALLOWED if failing is None else DecisionOutcome.DENIED,
        result={
            "allow": failing is None,
            "controls": outcomes,
            "required_approvals": [{"role": "compliance_officer", "count": 1}],
            "evidence": {"audit_ids": []},
        },
        violations=violations,
        latency_ms=1.5,
        actor="release-bot",
    )


def seed_registry(engine: sa.Engine, controls: list[str]) -> None:
    """The registry at scale, by bulk inserts."""
    now = dt.datetime.now(dt.UTC)
    datasets = [
        Dataset(id=i, name=f"dataset-{i}", owner="eli", domain=Domain.HEALTHCARE, created_by="eli")
        for i in range(1, DATASETS + 1)
    ]
    versions = [
        DatasetVersion(
            id=i,
            dataset_id=i,
            version=1,
            content_sha256=hashlib.sha256(f"v{i}".encode()).hexdigest(),
            format="openai_chat",
            contains_phi=i % 2 == 0,
            created_by="eli",
        )
        for i in range(1, DATASETS + 1)
    ]
    runs = [
        FineTuneRun(
            id=i,
            name=f"run-{i:05d}",
            base_model="meta-llama/Llama-3.1-8B-Instruct",
            platform=Platform.META,
            method="lora",
            state=_RUN_STATES[i % len(_RUN_STATES)],
            requester="eli",
            authors=["eli"],
        )
        for i in range(1, RUNS + 1)
    ]
    links = [
        RunDataset(run_id=i, dataset_version_id=(i % DATASETS) + 1) for i in range(1, RUNS + 1)
    ]
    models = [
        ModelVersion(
            id=i,
            name=f"model-{i:04d}",
            version="1.0.0",
            platform=Platform.META,
            run_id=i * 10,
            developers=["eli"],
            created_by="eli",
        )
        for i in range(1, MODELS + 1)
    ]
    deployments = [
        Deployment(
            id=i,
            model_version_id=i,
            endpoint=f"https://staging.internal/model-{i}",
            state="staging",
            created_by="release-bot",
        )
        for i in range(1, MODELS + 1)
    ]
    decisions = [
        _decision(i, "run", (i % RUNS) + 1, controls)
        if i % 5
        else _decision(i, "deployment", (i % MODELS) + 1, controls)
        for i in range(1, DECISIONS + 1)
    ]
    requests = [
        ApprovalRequest(
            id=i,
            gate=GateName.TRAINING_LAUNCH,
            subject_type=GateSubject.RUN,
            subject_id=i,
            decision_id=i,
            required_approvals=[{"role": "compliance_officer", "count": 1}],
            input_sha256="c" * 64,
            status=ApprovalStatus.PENDING if i % 2 else ApprovalStatus.APPROVED,
            requester="eli",
            excluded_approvers=["eli"],
            created_at=now,
            expires_at=now + dt.timedelta(days=14),
        )
        for i in range(1, REQUESTS + 1)
    ]
    with engine.begin() as connection:
        for model, rows in (
            (Dataset, datasets),
            (DatasetVersion, versions),
            (FineTuneRun, runs),
            (RunDataset, links),
            (ModelVersion, models),
            (Deployment, deployments),
            (PolicyDecision, decisions),
            (ApprovalRequest, requests),
        ):
            _insert(connection, model, rows)  # type: ignore[arg-type]


def main() -> None:
    """Seed, verify the ledger once, time each page, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        settings = settings_for_tests(Path(work))
        if arguments.database_url:
            settings = settings.with_overrides(database_url=arguments.database_url)
        upgrade(settings.database_url)
        engine = build_engine(settings.database_url)
        controls = [c.id for c in load_catalogue(policy_dir=settings.policy_dir)]
        started = time.perf_counter()
        seed_ledger(engine, LEDGER_EVENTS)
        seed_registry(engine, controls)
        seeded = time.perf_counter() - started
        seed = DemoSeed()
        with session_scope(engine) as session:
            seed_people(session, seed, fast_hash=True)
        with session_scope(engine) as session:
            started = time.perf_counter()
            verify_fully(session=session)
            verified = time.perf_counter() - started
        engine.dispose()
        app = create_app(settings)
        client = app.test_client()
        answer = client.post(
            "/login", data={"username": "olivia", "password": seed.passwords["olivia"]}
        )
        assert answer.status_code == 302, answer.status_code
        pages = [
            "/",
            "/datasets",
            "/datasets/1",
            "/runs",
            f"/runs/{RUNS // 2}",
            "/models",
            f"/models/{MODELS // 2}",
            "/deployments",
            "/decisions",
            f"/decisions/{DECISIONS // 2}",
            "/controls",
            "/approvals",
            "/approvals/1",
            "/audits",
            "/findings",
            "/reports",
            "/ledger",
        ]
        results: list[tuple[str, float, float, float, int]] = []
        for path in ["/healthz", *pages]:
            begun = time.perf_counter()
            response = client.get(path)
            first = (time.perf_counter() - begun) * 1000
            assert response.status_code == 200, (path, response.status_code)
            times = []
            for _ in range(arguments.repeat):
                begun = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - begun) * 1000)
            results.append((path, first, statistics.median(times), max(times), len(response.data)))
    backend = sa.make_url(settings.database_url).get_backend_name()
    load = os.getloadavg()[0]
    print(
        f"backend: {backend}; {RUNS:,} runs, {MODELS:,} models and deployments, "
        f"{DECISIONS:,} decisions, {REQUESTS:,} approval requests, {LEDGER_EVENTS:,} ledger events"
    )
    print(f"bulk seeding {seeded:.1f} s; first full ledger verification {verified:.2f} s")
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs; {arguments.repeat} requests per page")
    baseline, *results = results
    print(f"baseline: bare /healthz through the same application, {baseline[2]:.1f} ms median")
    print(f"{'page':<22} {'first ms':>9} {'median ms':>10} {'worst ms':>10} {'KiB':>8} ratio")
    for path, first, median, worst, size in results:
        flag = "" if median <= GOAL_MS else "  over the goal"
        print(
            f"{path:<22} {first:>9.1f} {median:>10.1f} {worst:>10.1f} {size / 1024:>8.1f}"
            f" {median / baseline[2]:>5.0f}x{flag}"
        )
    slowest = max(results, key=lambda row: row[2])
    print(
        f"slowest page {slowest[0]} at {slowest[2]:.1f} ms median: "
        f"{'goal met' if slowest[2] <= GOAL_MS else 'goal NOT met'} (<= {GOAL_MS:.0f} ms each; "
        "the first request of a page also draws its charts and reads the policy catalogue)"
    )


if __name__ == "__main__":
    main()
