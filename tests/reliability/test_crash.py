"""Crash safety: ``kill -9`` a real ``gatehouse serve`` during a burst of writes, restart it.

Reproduces issue 14's crash run. A real server process (SQLite, then PostgreSQL) takes a
burst from three client threads at once: registrations (new datasets), votes (a pipeline
asks to promote a deployment, then a compliance officer and a model-risk approver vote)
and report generation (signed PDFs, seconds each). After a delay drawn from a seeded
generator the server is killed with SIGKILL, wherever it is: mid-render, mid-commit,
between staging a PDF and committing its row. It is started again, and every request
that got no answer is sent again with the same ``Idempotency-Key`` and body, as a
pipeline retries; a sample of answered ones is sent again too and must be replayed.

After the last kill the database and storage must be whole:

- ``gatehouse ledger verify`` passes (the hash chain survived every kill);
- nothing was created twice: one dataset per registration, one report per report
  request, one approval request per promotion, one vote per voter, each matching the
  id its (first or replayed) answer named, and one ledger event per record;
- every approval request's state agrees with its votes (quorum) and its deployment's
  state;
- no report row without its file (and the file's SHA-256 is the row's), and after the
  storage sweep (``gatehouse storage sweep``'s, with no grace period) no staged or
  unreferenced file in storage.

Run with ``-s`` to see the figures (kills, requests, retries, replays, duplicates).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import col, select

from app.approvals.service import quorum_met
from app.config import Settings
from app.db import session_scope
from app.models.datasets import Dataset
from app.models.deployments import Deployment
from app.models.evidence import Report
from app.models.governance import ApprovalRequest, ApprovalVote
from app.models.ledger import LedgerEvent
from app.registry.storage_sweep import sweep_storage
from app.storage import INCOMING_PREFIX, STAGED_PREFIX
from tests.approvals.conftest import Registry, build_registry
from tests.conftest import create_actor

GATEHOUSE = Path(sys.executable).parent / "gatehouse"
#: Bounds, not speed checks: a loaded 2-core machine starts a server slowly.
STARTUP_TIMEOUT_S = 240
CALL_TIMEOUT_S = 120
#: Kills per database; each lands at a seeded random time into a burst.
KILLS = 4
SEED = 14
#: Seconds after a burst starts at which the server may be killed.
KILL_WINDOW_S = (0.5, 4.0)
#: Answered calls sent again after each restart, to check they are replayed.
REPLAY_SAMPLE = 4


@dataclass
class Call:
    """One logical POST: its key and body stay the same however often it is sent."""

    kind: str
    path: str
    body: dict[str, Any]
    token: str
    key: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: int | None = None
    answer: Any = None
    sends: int = 0
    #: How the call's answer came after a crash: "replayed" (the effect had committed)
    #: or "ran" (nothing had committed; it ran now).
    after_crash: str | None = None


class Unreachable(Exception):
    """The server did not answer (it was killed, or is not up yet)."""


def _send(url: str, call: Call) -> tuple[int, Any, bool]:
    """(status, JSON answer, replayed) of one send of ``call``."""
    call.sends += 1
    request = urllib.request.Request(
        f"{url}/api/v1{call.path}",
        method="POST",
        data=json.dumps(call.body).encode(),
        headers={
            "Authorization": f"Bearer {call.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": call.key,
        },
    )
    try:
        try:
            with urllib.request.urlopen(request, timeout=CALL_TIMEOUT_S) as response:
                status, raw, headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, headers = error.code, error.read(), error.headers
    except (OSError, http.client.HTTPException) as failure:  # refused, reset, cut half-way
        raise Unreachable(str(failure)) from None
    return status, json.loads(raw), headers.get("Idempotent-Replayed") == "true"


@dataclass
class Chain:
    """A promotion and its two votes, sent one after the other across restarts."""

    registry: Registry
    calls: list[Call] = field(default_factory=list)

    def next_call(self, tokens: dict[str, str]) -> Call | None:
        if not self.calls:
            path = f"/deployments/{self.registry.deployment_id}/promote"
            return Call("promotion", path, {}, tokens["pipeline"])
        last = self.calls[-1]
        if last.status is None:
            return None  # waits for its retry after the restart
        request = (last.answer or {}).get("approval_request") if last.kind == "promotion" else None
        approval_id = request["id"] if request else self.calls[0].answer["approval_request"]["id"]
        voters = ("officer", "risk")
        if len(self.calls) > len(voters) or (last.kind == "promotion" and not request):
            return None
        voter = voters[len(self.calls) - 1]
        return Call(
            "vote", f"/approvals/{approval_id}/votes", {"decision": "approve"}, tokens[voter]
        )


@dataclass
class Workload:
    """Every call made, the ones waiting for a retry, and the figures."""

    tokens: dict[str, str]
    registries: list[Registry]
    version_id: int
    calls: list[Call] = field(default_factory=list)
    unanswered: list[Call] = field(default_factory=list)
    chains: list[Chain] = field(default_factory=list)
    replays_checked: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def _attempt(self, url: str, call: Call) -> bool:
        """Send ``call``; False (and kept for its retry) when the server did not answer."""
        with self.lock:
            self.calls.append(call)
        try:
            call.status, call.answer, _replayed = _send(url, call)
        except Unreachable:
            with self.lock:
                self.unanswered.append(call)
            return False
        return True

    def _name(self) -> str:
        with self.lock:
            self.counter += 1
            return f"crash-{self.counter}"

    def registrations(self, url: str, stop: threading.Event) -> None:
        while not stop.is_set():
            body = {"name": self._name(), "owner": "eli", "purpose": "crash test"}
            if not self._attempt(
                url, Call("registration", "/datasets", body, self.tokens["engineer"])
            ):
                return

    def reports(self, url: str, stop: threading.Event) -> None:
        while not stop.is_set():
            body = {"kind": "dataset_sheet", "subject_id": self.version_id}
            if not self._attempt(url, Call("report", "/reports", body, self.tokens["reporter"])):
                return

    def votes(self, url: str, stop: threading.Event) -> None:
        while not stop.is_set():
            chain = next((c for c in self.chains if c.next_call(self.tokens)), None)
            if chain is None:
                if not self.registries:
                    return
                chain = Chain(self.registries.pop())
                self.chains.append(chain)
            call = chain.next_call(self.tokens)
            assert call is not None
            chain.calls.append(call)
            if not self._attempt(url, call):
                return

    def retry_unanswered(self, url: str) -> int:
        """Send every unanswered call again with its key; how many were retried."""
        retried = 0
        while self.unanswered:
            call = self.unanswered.pop(0)
            status, answer, replayed = _send(url, call)
            call.status, call.answer = status, answer
            call.after_crash = "replayed" if replayed else "ran"
            retried += 1
        return retried

    def check_replays(self, url: str, rng: random.Random) -> None:
        """Answered 2xx calls sent again: replayed, identical, nothing new."""
        answered = [c for c in self.calls if c.status is not None and c.status < 300]
        for call in rng.sample(answered, min(REPLAY_SAMPLE, len(answered))):
            status, answer, replayed = _send(url, call)
            assert (status, answer, replayed) == (call.status, call.answer, True), call
            self.replays_checked += 1


def _environment(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "GATEHOUSE_DATABASE_URL": settings.database_url,
        "GATEHOUSE_SECRET_KEY": settings.secret_key,
        "GATEHOUSE_STORAGE_DIR": str(settings.storage_dir),
        "GATEHOUSE_SIGNING_IDENTITY": str(settings.signing_identity_path),
    }


@contextmanager
def _server(settings: Settings, log_path: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``gatehouse serve`` on ``port``, up and answering; killed on the way out."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(GATEHOUSE), "serve", "--port", str(port)],
            stdout=log,
            stderr=log,
            env=_environment(settings),
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                assert process.poll() is None, log_path.read_text()[-4000:]
                assert time.monotonic() < deadline, "gatehouse serve did not start"
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(20)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _gatehouse(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GATEHOUSE), *arguments],
        env=_environment(settings),
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT_S,
    )


def _burst(workload: Workload, url: str, process: subprocess.Popen[bytes], delay: float) -> None:
    """Run the three client threads; kill the server ``delay`` seconds in."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def guarded(work: Any) -> None:
        try:
            work(url, stop)
        except BaseException as failure:  # a client bug must fail the test, not vanish
            failures.append(failure)

    threads = [
        threading.Thread(target=guarded, args=(work,), daemon=True)
        for work in (workload.registrations, workload.votes, workload.reports)
    ]
    for thread in threads:
        thread.start()
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(20)
    stop.set()
    for thread in threads:
        thread.join(CALL_TIMEOUT_S)
        assert not thread.is_alive()
    assert not failures, failures


def _answered_ids(workload: Workload, kind: str, read: Any) -> list[int]:
    return [
        read(c.answer)
        for c in workload.calls
        if c.kind == kind and c.status is not None and c.status < 300 and read(c.answer)
    ]


def _check_database(workload: Workload, engine: sa.Engine) -> dict[str, int]:
    """Nothing twice, votes agree with states; the figures."""
    with session_scope(engine) as session:
        datasets = session.exec(
            select(Dataset.id).where(col(Dataset.name).startswith("crash-"))
        ).all()
        reports = session.exec(select(Report)).all()
        approvals = session.exec(select(ApprovalRequest)).all()
        votes = session.exec(select(ApprovalVote)).all()
        events = Counter(session.exec(select(LedgerEvent.action)).all())
        deployments = {d.id: d for d in session.exec(select(Deployment)).all()}

        registered = _answered_ids(workload, "registration", lambda a: a["id"])
        assert sorted(registered) == sorted(d or 0 for d in datasets)
        generated = _answered_ids(workload, "report", lambda a: a["id"])
        assert sorted(generated) == sorted(r.id or 0 for r in reports)
        assert events["report.generated"] == len(reports)
        opened = _answered_ids(
            workload, "promotion", lambda a: (a.get("approval_request") or {}).get("id")
        )
        assert sorted(opened) == sorted(a.id or 0 for a in approvals)
        named = {
            vote["id"]
            for call in workload.calls
            if call.kind == "vote" and call.status == 200
            for vote in call.answer["votes"]
        }
        assert len(votes) == len({(v.request_id, v.voter) for v in votes})
        assert named == {v.id for v in votes}

        for approval in approvals:
            ballots = [v for v in votes if v.request_id == approval.id]
            met = quorum_met(approval.required_approvals, ballots)
            state = deployments[approval.subject_id].state
            if approval.status == "approved":
                assert met and state == "production", (approval, ballots, state)
            else:
                assert approval.status == "pending" and not met, (approval, ballots)
                assert state == "promotion_requested", (approval, state)
        return {
            "datasets": len(datasets),
            "reports": len(reports),
            "approvals": len(approvals),
            "approved": sum(a.status == "approved" for a in approvals),
            "votes": len(votes),
        }


def _check_storage(settings: Settings, engine: sa.Engine) -> dict[str, int]:
    """Every report row has its file; after the sweep nothing else is left."""
    with session_scope(engine) as session:
        reports = session.exec(select(Report)).all()
    for report in reports:
        data = (settings.storage_dir / report.storage_path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == report.pdf_sha256, report
    root = settings.storage_dir / "reports"
    leftovers = [p for p in root.rglob("*") if p.name.startswith((STAGED_PREFIX, INCOMING_PREFIX))]
    with session_scope(engine) as session:
        sweep_storage(
            session=session, storage_dir=settings.storage_dir, actor="test", grace=timedelta(0)
        )
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert sorted(settings.storage_dir / r.storage_path for r in reports) == files
    return {"staged_leftovers_swept": len(leftovers)}


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_kill_9_during_writes_loses_and_duplicates_nothing(
    app: Flask, engine: sa.Engine, settings: Settings, tmp_path: Path, backend: str
) -> None:
    people = {
        "engineer": ("ml_engineer", "eli"),
        "pipeline": ("pipeline", "release-bot"),
        "officer": ("compliance_officer", "olivia"),
        "risk": ("model_risk", "marcus"),
        "reporter": ("compliance_officer", "oscar"),
    }
    tokens = {
        name: create_actor(app, engine, role, username).token
        for name, (role, username) in people.items()
    }
    with session_scope(engine) as session:
        registries = [build_registry(session, name=f"assistant-{n}") for n in range(2 * KILLS)]
    workload = Workload(
        tokens=tokens, registries=registries, version_id=registries[0].dataset_version_id
    )
    rng = random.Random(f"{SEED}-{backend}")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    retried = 0
    # Drawn first, so the kill times repeat whatever the bursts did.
    delays = [rng.uniform(*KILL_WINDOW_S) for _ in range(KILLS)]
    for delay in delays:
        with _server(settings, log_path, port) as process:
            retried += workload.retry_unanswered(url)
            workload.check_replays(url, rng)
            _burst(workload, url, process, delay)
    with _server(settings, log_path, port):
        retried += workload.retry_unanswered(url)
        workload.check_replays(url, rng)

    verified = _gatehouse(settings, "ledger", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    figures = _check_database(workload, engine)
    figures |= _check_storage(settings, engine)
    after = Counter(c.after_crash for c in workload.calls if c.after_crash)
    kinds = Counter(c.kind for c in workload.calls)
    print(
        f"\ncrash ({backend}): {KILLS} kills at {', '.join(f'{d:.1f}' for d in delays)} s "
        f"into a burst; {sum(c.sends for c in workload.calls)} sends of {len(workload.calls)} "
        f"calls ({dict(kinds)}); {retried} retried after a restart with their key "
        f"({after['replayed']} replayed: effect had committed; {after['ran']} ran: nothing "
        f"had); {workload.replays_checked} answered calls replayed identically; recorded "
        f"{figures}; duplicates found: 0; ledger verified"
    )
    assert retried > 0
