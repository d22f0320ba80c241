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
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.config import settings_for_tests  # noqa: E402
from app.db import build_engine, session_scope  # noqa: E402
from app.demo.seed import DemoSeed, seed_people  # noqa: E402
from app.ledger.progress import verify_fully  # noqa: E402
from app.migrations import upgrade  # noqa: E402
from app.policy.catalogue import load_catalogue  # noqa: E402
from bench.ledger import seed as seed_ledger  # noqa: E402
from bench.seeding import Scale, seed_registry  # noqa: E402

RUNS = 10_000
MODELS = 1_000
DECISIONS = 10_000
REQUESTS = 2_000
DATASETS = 100
LEDGER_EVENTS = 100_000
GOAL_MS = 300.0


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
        now = dt.datetime.now(dt.UTC)
        scale = Scale(
            runs=RUNS,
            models=MODELS,
            decisions=DECISIONS,
            requests=REQUESTS,
            datasets=DATASETS,
            start=now,
            end=now,
        )
        seed_registry(engine, scale, controls)
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
