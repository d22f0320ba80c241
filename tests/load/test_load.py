"""Fifty locust users against gunicorn and PostgreSQL for a minute: nothing fails, nothing is lost.

The server is started as the web container of ``deploy/base/web.yaml`` starts it (its
gunicorn command, read from the manifest; only the bind address is loopback) on a
database of its own on the suite's PostgreSQL server, with the embedded policy engine.
The registry is the approval-ready one of the approval tests with many staging
deployments, each with a pending promotion request. Locust (headless, loopback, its own
process) runs three kinds of user from ``tests/load/locustfile.py``: pipelines asking
the gates, auditors reading the registry, and approvers voting.

Asserted: no request failed (no 5xx, no refused connection, no status a request of its
kind should not get), the ledger verifies afterwards, and every decision and vote a
client saw answered is in the ledger exactly once, as is every decision and vote row.
The figures (throughput, p50/p99 per kind of request, the CPU time gunicorn and locust
spent per request, ledger events before and after) are printed in the session summary;
nothing about speed is asserted. On a shared machine latency mostly measures the wait
for a CPU; the CPU time per request changes much less with the machine's load.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import func, select

from app.approvals import service
from app.approvals.flows import PROMOTION_FLOW
from app.db import session_scope
from app.ledger.progress import verify_fully
from app.models.governance import ApprovalVote, PolicyDecision
from app.models.ledger import LedgerEvent
from app.registry import deployments
from app.registry.schemas import DeploymentCreate
from tests.approvals.conftest import ENGINEER, build_registry
from tests.conftest import create_actor
from tests.load.conftest import LOAD_FIGURES
from tests.served import READY_WITHIN_S, served, server_cpu_seconds, web_command

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
USERS = 50
LOAD_SECONDS = 60
#: Staging deployments, each with a pending promotion request for the approvers.
DEPLOYMENTS = 300
#: Approvers of each role (each approver user of the load takes one identity).
APPROVERS_PER_ROLE = 5
PIPELINE = "release-bot"


@dataclass(frozen=True)
class Plan:
    """What the load acts on (written as JSON for the locust process)."""

    run_id: int
    model_id: int
    deployment_ids: list[int]
    pipeline_token: str
    reader_token: str
    approvers: list[dict[str, str]]


def seed(app: Flask, engine: sa.Engine) -> Plan:
    """The approval-ready registry, ``DEPLOYMENTS`` staging deployments of its model with a
    pending promotion request each, and the people (with tokens) of the load."""
    policy_engine = app.extensions["gatehouse.policy_engine"]
    with session_scope(engine) as session:
        registry = build_registry(session)
        deployment_ids = [registry.deployment_id]
        for number in range(1, DEPLOYMENTS):
            created = deployments.create_deployment(
                session=session,
                data=DeploymentCreate(
                    model_version_id=registry.model_id,
                    endpoint=f"https://staging.internal/support-assistant-{number}",
                    access_logging=True,
                    monitoring_enabled=True,
                ),
                actor=ENGINEER,
            )
            deployment_ids.append(created.id or 0)
    pipeline = create_actor(app, engine, "pipeline", PIPELINE)
    for deployment_id in deployment_ids:
        with session_scope(engine) as session:
            opened = service.request_approval(
                session=session,
                engine=policy_engine,
                flow=PROMOTION_FLOW,
                subject_id=deployment_id,
                actor=PIPELINE,
            )
            assert opened.request is not None, opened.decision.violations
    approvers = [
        create_actor(app, engine, role, f"{role}-{number}")
        for number in range(APPROVERS_PER_ROLE)
        for role in ("compliance_officer", "model_risk")
    ]
    return Plan(
        run_id=registry.run_id,
        model_id=registry.model_id,
        deployment_ids=deployment_ids,
        pipeline_token=pipeline.token,
        reader_token=create_actor(app, engine, "auditor", "audra").token,
        approvers=[{"username": a.username, "role": a.role, "token": a.token} for a in approvers],
    )


def _ledger_length(engine: sa.Engine) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(LedgerEvent)).one())


def _ledgered(engine: sa.Engine) -> tuple[Counter[int], Counter[int], int, int]:
    """How often each decision id and each vote id is named by a ledger event, and how many
    decision and vote rows there are."""
    decisions: Counter[int] = Counter()
    votes: Counter[int] = Counter()
    with session_scope(engine) as session:
        events = session.exec(
            select(LedgerEvent.action, LedgerEvent.payload).where(
                sa.or_(
                    LedgerEvent.action.like("gate.%"),  # type: ignore[attr-defined]
                    LedgerEvent.action.like("approval.vote_%"),  # type: ignore[attr-defined]
                )
            )
        ).all()
        for action, payload in events:
            if action.startswith("gate."):
                decisions[payload["decision_id"]] += 1
            else:
                votes[payload["vote_id"]] += 1
        decision_rows = int(session.exec(select(func.count()).select_from(PolicyDecision)).one())
        vote_rows = int(session.exec(select(func.count()).select_from(ApprovalVote)).one())
    return decisions, votes, decision_rows, vote_rows


@dataclass(frozen=True)
class Figures:
    """Locust's final counts for one kind of request (or all of them)."""

    name: str
    requests: int
    failures: int
    per_second: float
    p50_ms: int
    p99_ms: int

    def line(self) -> str:
        """One row of the printed table."""
        return (
            f"  {self.name:<28} {self.requests:>7} {self.per_second:>7.1f} {self.p50_ms:>7} "
            f"{self.p99_ms:>7} {self.failures:>5}"
        )


def _percentile(times: Counter[int], share: float) -> int:
    """The response time (ms, as locust rounds it) within which ``share`` of requests ended."""
    needed, seen = share * sum(times.values()), 0
    for milliseconds in sorted(times):
        seen += times[milliseconds]
        if seen >= needed:
            return milliseconds
    return 0


def load_figures(report: Path) -> list[Figures]:
    """Each kind of request's figures, then all together, from locust's final JSON report
    (written after the last user stopped, so the requests in flight at the stop count)."""
    entries = json.loads(report.read_text())
    seconds = max(e["last_request_timestamp"] for e in entries) - min(
        e["start_time"] for e in entries
    )
    rows, everything = [], Counter[int]()
    for entry in sorted(entries, key=lambda e: str(e["name"])):
        times = Counter({int(ms): count for ms, count in entry["response_times"].items()})
        everything += times
        rows.append(
            Figures(
                name=entry["name"],
                requests=entry["num_requests"],
                failures=entry["num_failures"],
                per_second=entry["num_requests"] / seconds,
                p50_ms=_percentile(times, 0.5),
                p99_ms=_percentile(times, 0.99),
            )
        )
    requests = sum(row.requests for row in rows)
    rows.append(
        Figures(
            name="all",
            requests=requests,
            failures=sum(row.failures for row in rows),
            per_second=requests / seconds,
            p50_ms=_percentile(everything, 0.5),
            p99_ms=_percentile(everything, 0.99),
        )
    )
    return rows


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(LOAD_SECONDS + READY_WITHIN_S + 600)
@pytest.mark.parametrize("backend", ["postgresql"])
def test_fifty_users_for_a_minute_fail_nothing_and_lose_nothing(
    app: Flask, engine: sa.Engine, database_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    plan = seed(app, engine)
    seeded_s = time.monotonic() - started
    plan_file, answers_file = tmp_path / "plan.json", tmp_path / "answers.json"
    plan_file.write_text(json.dumps(plan.__dict__))
    events_before = _ledger_length(engine)
    report = tmp_path / "locust"

    with served(database_url, tmp_path) as (url, master):
        server_cpu = server_cpu_seconds(master)
        locust_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        load = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "--locustfile",
                str(LOCUSTFILE),
                "--headless",
                "--only-summary",
                f"--users={USERS}",
                f"--spawn-rate={USERS}",
                f"--run-time={LOAD_SECONDS}s",
                "--stop-timeout=10",
                f"--host={url}",
                f"--json-file={report}",
                # Only for the failures' messages (locust's CSV tables are written every
                # second, so they may miss the last requests; the figures come from the JSON).
                f"--csv={report}",
                "--loglevel=WARNING",
            ],
            cwd=tmp_path,
            env=os.environ
            | {"GATEHOUSE_LOAD_PLAN": str(plan_file), "GATEHOUSE_LOAD_ANSWERS": str(answers_file)},
            capture_output=True,
            text=True,
            timeout=LOAD_SECONDS + 120,
        )
        server_cpu = server_cpu_seconds(master) - server_cpu
        # Before gunicorn is stopped and reaped: only locust is a finished child yet.
        locust_used = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu_s = (locust_used.ru_utime + locust_used.ru_stime) - (
        locust_cpu.ru_utime + locust_cpu.ru_stime
    )
    assert answers_file.exists(), f"locust wrote no answers: {load.stderr[-3000:]}"
    figures = load_figures(Path(f"{report}.json"))
    answered = json.loads(answers_file.read_text())
    total = figures[-1]

    events_after = _ledger_length(engine)
    with session_scope(engine) as session:
        _state, verified = verify_fully(session=session)
    decisions, votes, decision_rows, vote_rows = _ledgered(engine)
    missing = [d for d in answered["decisions"] if decisions[d] == 0] + [
        v for v in answered["votes"] if votes[v] == 0
    ]
    duplicated = [d for d, n in decisions.items() if n > 1] + [v for v, n in votes.items() if n > 1]

    LOAD_FIGURES.extend(
        [
            f"{USERS} users for {LOAD_SECONDS} s against `{' '.join(web_command('…')[3:])}` "
            f"(deploy/base/web.yaml) on PostgreSQL, embedded engine; seeded in {seeded_s:.0f} s; "
            f"load average {os.getloadavg()[0]:.1f}",
            f"  {'request':<28} {'count':>7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'fail':>5}",
            *(row.line() for row in figures),
            f"  CPU per request (a figure the machine's load changes less than latency): "
            f"gunicorn {1000 * server_cpu / total.requests:.1f} ms (PostgreSQL not counted), "
            f"locust {1000 * locust_cpu_s / total.requests:.1f} ms",
            f"  answered: {len(answered['decisions'])} decisions {answered['outcomes']}, "
            f"{len(answered['votes'])} votes ({len(set(answered['votes']))} distinct; "
            f"{answered['votes_refused']} refused with 409: the request closed or already voted)",
            f"  ledger: {events_before} events before, {events_after} after "
            f"(+{events_after - events_before}), verified: {verified.broken is None}; answered "
            f"decisions or votes missing from it: {len(missing)}, ledgered twice: {len(duplicated)}",
        ]
    )
    print("\n".join(LOAD_FIGURES))

    assert total.failures == 0, Path(f"{report}_failures.csv").read_text()
    assert total.requests > 0 and answered["decisions"] and answered["votes"]
    assert verified.broken is None, verified.broken
    assert missing == [] and duplicated == []
    # Every decision and vote row is ledgered once (those the seed and quorum made too).
    assert sum(decisions.values()) == decision_rows and sum(votes.values()) == vote_rows
