"""End-to-end gate latency: ``POST /api/v1/gates/production_promotion`` over real HTTP.

The application is served as production serves it: gunicorn with the web container's own
command (``tests/served.py``), in its own processes, configured through the environment,
so the client's work and garbage collection never run inside the server measured.
Prints p50/p99 (milliseconds) of:

- a bare Flask JSON endpoint (``/healthz``) on the same server: the baseline, measured
  in turns with the embedded gate endpoint (one call of each per round) so that load from
  other work on a shared machine falls on both alike;
- the gate endpoint with the embedded engine (the OPA-compiled policy in process) and
  with the OPA server engine (a real ``opa run --server`` on loopback, locked down);
- the server's CPU time per request (its processes' user and system time over a block of
  requests of one kind), which a shared machine's load disturbs far less than wall time;
- the same gate call from 8 concurrent clients (each its own connection), with the
  throughput;
- each engine alone on the same input document (no HTTP, no database);
- the write path: a run's submission (``request_approval``) through the approvals
  service (gate decision stored, run moved, approval request opened, every step
  ledgered, committed) on fresh draft runs, as calls per second and ledger events per
  second,

and each endpoint's ratio to the baseline, with the load average beside the figures (a
shared machine's load inflates every p99). The p99 comes from 1,000 requests by default
(the 10th slowest, not the 2nd of 200), after 50 unmeasured calls of each endpoint, and
the ratio is also printed per block of 200 so its spread shows. The registry is the whole demo's (SQLite, seeded
through the services as ``gatehouse demo`` seeds it), the subject the demo deployment
whose production_promotion input is the largest. Every gate call also stores its decision and
appends a ledger event, as in production.

Run: ``.venv/bin/python bench/gate.py [--requests N] [--workflow-calls N]``; with
``--embedded-only``, only the embedded gate endpoint and the bare one (a quick run).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from sqlmodel import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.approvals.flows import RUN_FLOW  # noqa: E402
from app.approvals.service import request_approval  # noqa: E402
from app.config import Settings, settings_for_tests  # noqa: E402
from app.db import unit_of_work  # noqa: E402
from app.demo.seed import DemoSeed, seed_demo  # noqa: E402
from app.gates.engine_binding import current_policy_engine  # noqa: E402
from app.gates.input_builder import build_gate_input  # noqa: E402
from app.migrations import upgrade  # noqa: E402
from app.models.base import encode_json, utc_now  # noqa: E402
from app.models.deployments import Deployment  # noqa: E402
from app.models.ledger import LedgerEvent  # noqa: E402
from app.policy.opa_checks import find_opa_binary  # noqa: E402
from app.policy.opa_process import start_opa_server  # noqa: E402
from app.registry import runs  # noqa: E402
from app.registry.runs import RunCreate  # noqa: E402
from tests.served import served, server_cpu_seconds  # noqa: E402

GATE = "production_promotion"
CLIENTS = 8
#: Unmeasured calls of each endpoint before the measured ones (caches, pools, the engine).
WARMUP = 50
#: Requests per block whose p99 ratio is printed, to show the spread.
BLOCK = 200


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[
        min(len(ordered) - 1, int(len(ordered) * 0.99))
    ] * 1000


def measure(call: Callable[[], object], count: int, warmup: int = WARMUP) -> list[float]:
    """Wall time of ``count`` calls after ``warmup`` unmeasured ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def load_average() -> str:
    """The 1-minute load average and the CPU count, for the record beside the figures."""
    return f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"


def measure_in_turns(
    calls: tuple[Callable[[], object], ...], count: int, warmup: int = WARMUP
) -> list[list[float]]:
    """``measure`` for several calls taking turns (one of each per round), so that a burst
    of load from other processes on a shared machine falls on all of them alike."""
    for _ in range(warmup):
        for call in calls:
            call()
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(count):
        for call, taken in zip(calls, samples, strict=True):
            start = time.perf_counter()
            call()
            taken.append(time.perf_counter() - start)
    return samples


def seed(settings: Settings, work: Path) -> DemoSeed:
    """The whole demo registry, seeded as ``gatehouse demo`` seeds it: people, datasets,
    runs, models, deployments, audits, evaluations, the approval workflow and reports."""
    upgrade(settings.database_url)
    with create_app(settings).app_context(), unit_of_work() as session:
        return seed_demo(
            session=session, settings=settings, engine=current_policy_engine(), work=work
        )


def largest_demo_input(settings: Settings) -> tuple[int, dict[str, Any]]:
    """The demo deployment whose production_promotion input document is the largest (the
    most evidence to read and judge), and that document."""
    with create_app(settings).app_context(), unit_of_work() as session:
        documents = {
            deployment_id: build_gate_input(
                session=session, gate=GATE, subject_id=deployment_id, now=utc_now()
            ).document()
            for deployment_id in session.exec(select(Deployment.id)).all()
        }
    subject = max(documents, key=lambda key: len(encode_json(documents[key])))
    return subject, documents[subject]


def bare_engine_samples(settings: Settings, document: dict[str, Any], count: int) -> list[float]:
    """The engine alone on the same input document."""
    with create_app(settings).app_context():
        engine = current_policy_engine()
        return measure(lambda: engine.decide(GATE, document), count)


@dataclass
class EndpointFigures:
    """The gate and bare endpoints' wall times (in turns) and the server's CPU ms per call."""

    gate: list[float]
    bare: list[float]
    gate_cpu_ms: float
    bare_cpu_ms: float


def endpoint_samples(
    base: str, master: int, token: str, subject_id: int, count: int
) -> EndpointFigures:
    """Gate and bare endpoint over one client session: wall times in turns, then the
    server's CPU time per call in a block of each kind."""
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        gate_url = f"{base}/api/v1/gates/{GATE}"

        def ask() -> None:
            response = http.post(gate_url, json={"subject_id": subject_id}, timeout=30)
            response.raise_for_status()

        def bare() -> None:
            http.get(f"{base}/healthz", timeout=30).raise_for_status()

        gate, baseline = measure_in_turns((ask, bare), count)
        return EndpointFigures(
            gate=gate,
            bare=baseline,
            gate_cpu_ms=cpu_per_request(master, ask, count),
            bare_cpu_ms=cpu_per_request(master, bare, count),
        )


def cpu_per_request(master: int, call: Callable[[], object], count: int) -> float:
    """The server's CPU time (ms) per call over ``count`` calls of one kind."""
    before = server_cpu_seconds(master)
    for _ in range(count):
        call()
    return (server_cpu_seconds(master) - before) * 1000 / count


def concurrent_samples(
    base: str, token: str, subject_id: int, count: int
) -> tuple[list[float], float]:
    """Gate calls from ``CLIENTS`` threads, ``count`` in all: samples and calls per second."""

    def client(calls: int) -> list[float]:
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {token}"
            url = f"{base}/api/v1/gates/{GATE}"
            return measure(
                lambda: http.post(
                    url, json={"subject_id": subject_id}, timeout=60
                ).raise_for_status(),
                calls,
                warmup=2,
            )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(client, [count // CLIENTS] * CLIENTS))
    elapsed = time.perf_counter() - started
    samples = [sample for result in results for sample in result]
    return samples, (len(samples) + 2 * CLIENTS) / elapsed


def workflow_rate(settings: Settings, seeded: DemoSeed, count: int) -> tuple[list[float], float]:
    """Submissions of fresh draft runs, one transaction each: samples and ledger events/s."""
    application = create_app(settings)
    with application.app_context():
        with unit_of_work() as session:
            run_ids = [
                runs.create_run(
                    session=session,
                    data=RunCreate(
                        name=f"bench-submit-{n}",
                        base_model="meta-llama/Llama-3.1-8B-Instruct",
                        platform="meta",
                        hosting="internal",
                        training_region="DE",
                        method="lora",
                        dataset_version_ids=[seeded.ids["credit_explanations"]],
                    ),
                    actor="eli",
                ).id
                or 0
                for n in range(count)
            ]
        engine = current_policy_engine()

        def events() -> int:
            with unit_of_work() as session:
                return int(session.exec(select(func.count()).select_from(LedgerEvent)).one())

        before = events()
        samples = []
        for run_id in run_ids:
            started = time.perf_counter()
            with unit_of_work() as session:
                request_approval(
                    session=session,
                    engine=engine,
                    flow=RUN_FLOW,
                    subject_id=run_id,
                    actor="release-bot",
                )
            samples.append(time.perf_counter() - started)
        ledgered = events() - before
    return samples, ledgered / sum(samples)


def report(name: str, samples: list[float], baseline_p99: float) -> None:
    """One line: p50, p99 and the p99 ratio to the bare endpoint."""
    p50, p99 = percentiles(samples)
    print(
        f"{name:<40} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   p99 / bare endpoint p99 {p99 / baseline_p99:6.2f}x"
    )


def main() -> None:
    """Seed, serve, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--workflow-calls", type=int, default=50)
    parser.add_argument(
        "--embedded-only",
        action="store_true",
        help="only the embedded gate endpoint against the bare one (a quick run)",
    )
    arguments = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    figures: dict[str, list[float]] = {}
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        settings = settings_for_tests(work)
        seeded = seed(settings, work)
        subject, document = largest_demo_input(settings)
        loads = [load_average()]
        with served(settings.database_url, work) as (base, master):
            embedded = endpoint_samples(
                base, master, seeded.pipeline_token, subject, arguments.requests
            )
            figures["gate endpoint, embedded engine"], figures["bare"] = (
                embedded.gate,
                embedded.bare,
            )
            cpu = {"bare endpoint": embedded.bare_cpu_ms, "embedded gate": embedded.gate_cpu_ms}
            loads.append(load_average())
            if not arguments.embedded_only:
                concurrent, rates["embedded"] = concurrent_samples(
                    base, seeded.pipeline_token, subject, arguments.requests
                )
                figures[f"gate endpoint, embedded, {CLIENTS} clients"] = concurrent
        workflow: list[float] = []
        binary = None
        if not arguments.embedded_only:
            figures["embedded engine alone"] = bare_engine_samples(
                settings, document, arguments.requests
            )
            workflow, rates["ledger events/s"] = workflow_rate(
                settings, seeded, arguments.workflow_calls
            )
            binary = find_opa_binary()
        if binary is not None:
            opa = start_opa_server(binary, token="gatehouse-bench-token")
            opa_settings = settings.with_overrides(
                policy_engine="opa",
                opa_url=opa.url,
                opa_token="gatehouse-bench-token",
                policy_timeout_s=10,
            )
            environment = {
                "GATEHOUSE_POLICY_ENGINE": "opa",
                "GATEHOUSE_OPA_URL": opa.url,
                "GATEHOUSE_OPA_TOKEN": "gatehouse-bench-token",
                "GATEHOUSE_POLICY_TIMEOUT_S": "10",
            }
            try:
                with served(settings.database_url, work, environment) as (base, master):
                    through_opa = endpoint_samples(
                        base, master, seeded.pipeline_token, subject, arguments.requests
                    )
                    figures["gate endpoint, OPA server engine"] = through_opa.gate
                    cpu["OPA server gate"] = through_opa.gate_cpu_ms
                    concurrent, rates["opa"] = concurrent_samples(
                        base, seeded.pipeline_token, subject, arguments.requests
                    )
                    figures[f"gate endpoint, OPA server, {CLIENTS} clients"] = concurrent
                figures["OPA server engine alone"] = bare_engine_samples(
                    opa_settings, document, arguments.requests
                )
            finally:
                opa.kill()
    bare = figures.pop("bare")
    _, bare_p99 = percentiles(bare)
    print(
        f"{arguments.requests} requests each, gate {GATE}, subject deployment {subject} "
        f"(input {len(encode_json(document))} bytes, {len(document['evaluations'])} evaluations, "
        f"{len(document['audits'])} audits)"
    )
    print(f"embedded endpoint measured from {loads[0]} to {loads[1]}")
    report("bare Flask JSON endpoint (/healthz)", bare, bare_p99)
    for name, samples in figures.items():
        report(name, samples, bare_p99)
    if binary is None and not arguments.embedded_only:
        print("OPA server engine: not measured (no OPA binary)")
    if "embedded" in rates:
        print(
            f"throughput with {CLIENTS} clients: embedded {rates['embedded']:.0f} gate calls/s"
            + (f", OPA server {rates['opa']:.0f} gate calls/s" if "opa" in rates else "")
        )
    print(
        "server CPU time per request (gunicorn's processes, a block of one kind): "
        + ", ".join(f"{name} {ms:.2f} ms" for name, ms in cpu.items())
        + f"; embedded gate / bare {cpu['embedded gate'] / cpu['bare endpoint']:.1f}x"
    )
    if workflow:
        p50, p99 = percentiles(workflow)
        print(
            f"workflow: submit_run (decision, transition, approval request, ledger, commit) "
            f"p50 {p50:.2f} ms p99 {p99:.2f} ms, {1000 / p50:.0f} calls/s, "
            f"{rates['ledger events/s']:.0f} ledger events/s"
        )
    embedded = figures["gate endpoint, embedded engine"]
    blocks = [
        percentiles(embedded[n : n + BLOCK])[1] / percentiles(bare[n : n + BLOCK])[1]
        for n in range(0, len(bare) - BLOCK + 1, BLOCK)
    ]
    print(
        f"p99 ratio per block of {BLOCK} paired requests: "
        + " ".join(f"{ratio:.2f}x" for ratio in blocks)
    )
    _, embedded_p99 = percentiles(embedded)
    verdict = "met" if embedded_p99 <= 3 * bare_p99 else "NOT met"
    print(
        f"goal: embedded gate endpoint p99 <= 3x the bare endpoint p99: "
        f"{embedded_p99 / bare_p99:.2f}x, {verdict} ({loads[0]} at the start)"
    )


if __name__ == "__main__":
    main()
