"""End-to-end gate latency: ``POST /api/v1/gates/production_promotion`` over real HTTP.

Prints p50/p99 (milliseconds) of:

- the gate endpoint with the embedded engine (regopy in process),
- the gate endpoint with the OPA server engine (a real ``opa run --server`` on loopback),
- the bare engine evaluation of the same input document (no HTTP, no database),
- a bare Flask JSON endpoint (``/healthz``) on the same server: the baseline,

and each endpoint's ratio to the baseline. The registry is the demo's (SQLite, seeded
through the services), the subject the credit model's staging deployment: every pack
applies, so all controls are evaluated. Every gate call also stores its decision and
appends a ledger event, as in production.

Run: ``.venv/bin/python bench/gate.py [--requests N]``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.config import Settings, settings_for_tests  # noqa: E402
from app.db import unit_of_work  # noqa: E402
from app.demo.seed import DemoSeed, seed_datasets, seed_people, seed_runs_and_models  # noqa: E402
from app.gates.engine_binding import current_policy_engine  # noqa: E402
from app.gates.input_builder import build_gate_input  # noqa: E402
from app.migrations import upgrade  # noqa: E402
from app.models.base import utc_now  # noqa: E402
from app.policy.opa_checks import find_opa_binary  # noqa: E402
from app.policy.opa_process import start_opa_server  # noqa: E402

GATE = "production_promotion"


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[
        min(len(ordered) - 1, int(len(ordered) * 0.99))
    ] * 1000


def measure(call: Callable[[], object], count: int, warmup: int = 10) -> list[float]:
    """Wall time of ``count`` calls after ``warmup`` unmeasured ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The application on a loopback port in a background thread."""
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def seed(settings: Settings, work: Path) -> DemoSeed:
    """The demo registry (people, datasets, runs, models, deployment)."""
    upgrade(settings.database_url)
    application = create_app(settings)
    seeded = DemoSeed()
    with application.app_context(), unit_of_work() as session:
        seed_people(session, seeded, fast_hash=True)
        seed_datasets(session, settings, work, seeded)
        seed_runs_and_models(session, seeded)
    return seeded


def bare_engine_samples(settings: Settings, subject_id: int, count: int) -> list[float]:
    """The engine alone on the same input document."""
    application = create_app(settings)
    with application.app_context(), unit_of_work() as session:
        document = build_gate_input(
            session=session, gate=GATE, subject_id=subject_id, now=utc_now()
        ).document()
        engine = current_policy_engine()
        return measure(lambda: engine.decide(GATE, document), count)


def endpoint_samples(
    base: str, token: str, subject_id: int, count: int
) -> tuple[list[float], list[float]]:
    """(gate endpoint, bare endpoint) samples over one keep-alive connection each."""
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        gate_url = f"{base}/api/v1/gates/{GATE}"

        def ask() -> None:
            response = http.post(gate_url, json={"subject_id": subject_id}, timeout=30)
            response.raise_for_status()

        gate = measure(ask, count)
        bare = measure(lambda: http.get(f"{base}/healthz", timeout=30).raise_for_status(), count)
    return gate, bare


def report(name: str, samples: list[float], baseline_p99: float) -> None:
    """One line: p50, p99 and the p99 ratio to the bare endpoint."""
    p50, p99 = percentiles(samples)
    print(
        f"{name:<34} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   p99 / bare endpoint p99 {p99 / baseline_p99:6.2f}x"
    )


def main() -> None:
    """Seed, serve, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    arguments = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        settings = settings_for_tests(work)
        seeded = seed(settings, work)
        subject = seeded.ids["credit_deployment"]
        with serving(settings) as base:
            embedded_gate, bare = endpoint_samples(
                base, seeded.pipeline_token, subject, arguments.requests
            )
        engine_only = bare_engine_samples(settings, subject, arguments.requests)
        opa_gate: list[float] | None = None
        binary = find_opa_binary()
        if binary is not None:
            opa = start_opa_server(binary, token="gatehouse-bench-token")
            try:
                with serving(
                    settings.with_overrides(
                        policy_engine="opa",
                        opa_url=opa.url,
                        opa_token="gatehouse-bench-token",
                        policy_timeout_s=10,
                    )
                ) as base:
                    opa_gate, _ = endpoint_samples(
                        base, seeded.pipeline_token, subject, arguments.requests
                    )
            finally:
                opa.kill()
    _, bare_p99 = percentiles(bare)
    print(f"{arguments.requests} requests each, subject deployment {subject}, gate {GATE}")
    report("bare Flask JSON endpoint (/healthz)", bare, bare_p99)
    report("gate endpoint, embedded engine", embedded_gate, bare_p99)
    if opa_gate is not None:
        report("gate endpoint, OPA server engine", opa_gate, bare_p99)
    else:
        print("gate endpoint, OPA server engine    not measured: no OPA binary")
    report("bare embedded engine evaluation", engine_only, bare_p99)
    print("goal: embedded gate endpoint p99 <= 3x the bare endpoint p99")


if __name__ == "__main__":
    main()
