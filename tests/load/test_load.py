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
The figures (throughput, p50/p99 per kind of request, ledger events before and after)
are printed in the session summary; nothing about speed is asserted.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
import yaml
from flask import Flask
from sqlmodel import func, select

from app.approvals import service
from app.db import session_scope
from app.ledger.progress import verify_fully
from app.models.governance import ApprovalVote, PolicyDecision
from app.models.ledger import LedgerEvent
from app.registry import deployments
from app.registry.schemas import DeploymentCreate
from tests.approvals.conftest import ENGINEER, build_registry
from tests.conftest import create_actor
from tests.load.conftest import LOAD_FIGURES

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
WEB_MANIFEST = ROOT / "deploy" / "base" / "web.yaml"
USERS = 50
LOAD_SECONDS = 60
#: Staging deployments, each with a pending promotion request for the approvers.
DEPLOYMENTS = 300
#: Approvers of each role (each approver user of the load takes one identity).
APPROVERS_PER_ROLE = 5
PIPELINE = "release-bot"
#: How long three workers may take to start: each imports the whole application (about
#: 9 s of CPU), and a shared machine gives them a fraction of a core each.
READY_WITHIN_S = 240


def web_command(bind: str) -> list[str]:
    """The gunicorn command of the web container in ``deploy/base/web.yaml``, bound to ``bind``."""
    documents = yaml.safe_load_all(WEB_MANIFEST.read_text())
    web = next(d for d in documents if d["kind"] == "Deployment")
    container = next(c for c in web["spec"]["template"]["spec"]["containers"] if c["name"] == "web")
    # The container runs `sh -c "... && exec gunicorn ..."`: take what it execs.
    arguments = shlex.split(container["command"][-1].split("exec ", 1)[1])
    assert arguments[0] == "gunicorn", arguments
    return [
        sys.executable,
        "-m",
        "gunicorn",
        *(f"--bind={bind}" if a.startswith("--bind=") else a for a in arguments[1:]),
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
            opened = service.request_promotion(
                session=session,
                engine=policy_engine,
                deployment_id=deployment_id,
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


def _serve(database_url: str, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn as the web container runs it, ready; its URL."""
    port = _free_port()
    multiprocess = work / "prometheus-multiproc"
    multiprocess.mkdir()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    environment |= {
        "GATEHOUSE_DATABASE_URL": database_url,
        "GATEHOUSE_SECRET_KEY": "load-test-secret-key",
        "GATEHOUSE_POLICY_ENGINE": "embedded",
        "GATEHOUSE_STORAGE_DIR": str(work / "storage"),
        "GATEHOUSE_SIGNING_IDENTITY": str(work / "signing" / "identity.p12"),
        "PROMETHEUS_MULTIPROC_DIR": str(multiprocess),
    }
    log = (work / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        web_command(f"127.0.0.1:{port}"), cwd=ROOT, env=environment, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited {server.returncode}: {_tail(work / 'gunicorn.log')}")
        try:
            if requests.get(f"{url}/readyz", timeout=10).status_code == 200:
                return server, url
        except requests.RequestException:  # not listening yet, or still loading
            pass
        time.sleep(0.25)
    server.kill()
    pytest.fail(f"gunicorn not ready within {READY_WITHIN_S} s: {_tail(work / 'gunicorn.log')}")


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _stats(prefix: Path) -> list[dict[str, str]]:
    with Path(f"{prefix}_stats.csv").open(newline="") as table:
        return list(csv.DictReader(table))


def _figure_lines(stats: list[dict[str, str]]) -> list[str]:
    lines = [f"  {'request':<28} {'count':>7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'fail':>5}"]
    for row in stats:
        lines.append(
            f"  {row['Name']:<28} {row['Request Count']:>7} {float(row['Requests/s']):>7.1f} "
            f"{row['50%']:>7} {row['99%']:>7} {row['Failure Count']:>5}"
        )
    return lines


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
    prefix = tmp_path / "locust"

    server, url = _serve(database_url, tmp_path)
    try:
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
                f"--csv={prefix}",
                "--loglevel=WARNING",
            ],
            cwd=tmp_path,
            env=os.environ
            | {"GATEHOUSE_LOAD_PLAN": str(plan_file), "GATEHOUSE_LOAD_ANSWERS": str(answers_file)},
            capture_output=True,
            text=True,
            timeout=LOAD_SECONDS + 120,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    assert answers_file.exists(), f"locust wrote no answers: {load.stderr[-3000:]}"
    stats = _stats(prefix)
    answered = json.loads(answers_file.read_text())
    total = next(row for row in stats if row["Name"] == "Aggregated")

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
            *_figure_lines(stats),
            f"  {total['Request Count']} requests, {float(total['Requests/s']):.1f} req/s, "
            f"p50 {total['50%']} ms, p99 {total['99%']} ms, {total['Failure Count']} errors",
            f"  answered: {len(answered['decisions'])} decisions {answered['outcomes']}, "
            f"{len(answered['votes'])} votes ({len(set(answered['votes']))} distinct; "
            f"{answered['votes_refused']} refused with 409: the request closed or already voted)",
            f"  ledger: {events_before} events before, {events_after} after "
            f"(+{events_after - events_before}), verified: {verified.broken is None}; answered "
            f"decisions or votes missing from it: {len(missing)}, ledgered twice: {len(duplicated)}",
        ]
    )
    print("\n".join(LOAD_FIGURES))

    failures = Path(f"{prefix}_failures.csv").read_text()
    assert int(total["Failure Count"]) == 0, failures
    assert int(total["Request Count"]) > 0 and answered["decisions"] and answered["votes"]
    assert verified.broken is None, verified.broken
    assert missing == [] and duplicated == []
    # Every decision and vote row is ledgered once (those the seed and quorum made too).
    assert sum(decisions.values()) == decision_rows and sum(votes.values()) == vote_rows
