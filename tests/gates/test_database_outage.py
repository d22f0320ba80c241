"""PostgreSQL stopped for about ten seconds under a running application, then started again.

The test runs its own PostgreSQL server (``scripts/start-postgres``), so stopping it
disturbs nothing else. While it is down every API request answers 503 with a problem
body (never 500), a gate answers ``"outcome": "indeterminate"`` and allows nothing,
``/readyz`` says the database is unreachable, and ``gatehouse gate check`` exits 3.
Once it is back the same application (no restart) answers again, decides, and its ledger
verifies. The test prints its figures.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from app.cli import cli
from app.config import settings_for_tests
from app.db import session_scope
from app.ledger.progress import verify_fully
from app.migrations import upgrade
from tests.approvals.conftest import build_registry
from tests.conftest import create_actor

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
OUTAGE_S = 10.0


def _pg_ctl(data_dir: Path, *args: str) -> None:
    """Run pg_ctl on the test's own server (as the postgres user when we are root)."""
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "--pgdata", str(data_dir / "data"), "--wait", *args],
        check=True,
        capture_output=True,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def own_postgres() -> Iterator[tuple[str, Path]]:
    """A PostgreSQL server for this test alone: (admin URL, data directory)."""
    data_dir = Path("/tmp") / f"gatehouse-outage-{uuid.uuid4().hex[:8]}"
    url = subprocess.run(
        [str(SCRIPTS / "start-postgres"), str(data_dir), str(_free_port())],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    yield url, data_dir
    subprocess.run([str(SCRIPTS / "stop-postgres"), str(data_dir)], check=False)


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_stopped_for_ten_seconds_denies_then_recovers_without_restart(
    own_postgres: tuple[str, Path], tmp_path: Path
) -> None:
    url, data_dir = own_postgres
    upgrade(url)
    application = create_app(settings_for_tests(tmp_path, url))
    engine = application.extensions["gatehouse.engine"]
    with session_scope(engine) as session:
        registry = build_registry(session)
    bot = create_actor(application, engine, "pipeline", "release-bot")
    ask = {"subject_id": registry.run_id}
    before = bot.post("/api/v1/gates/training_launch", json=ask)
    assert before.status_code == 200 and before.json["outcome"] in ("allowed", "denied")

    _pg_ctl(data_dir, "--mode", "fast", "stop")
    stopped_at = time.monotonic()
    statuses: Counter[int] = Counter()
    gate_answers: list[dict[str, Any]] = []
    while time.monotonic() - stopped_at < OUTAGE_S:
        read = bot.get(f"/api/v1/runs/{registry.run_id}")
        gate = bot.post("/api/v1/gates/training_launch", json=ask)
        statuses.update([read.status_code, gate.status_code])
        for response in (read, gate):
            assert response.mimetype == "application/problem+json"
            assert response.json["title"] == "Database unavailable"
        gate_answers.append(gate.json)
        time.sleep(0.2)
    ready = bot.client.get("/readyz")
    checked = application.test_cli_runner().invoke(
        cli, ["gate", "check", "training_launch", "--subject", str(registry.run_id)]
    )
    port = url.rsplit(":", 1)[1].split("/")[0]
    # The options scripts/start-postgres started it with (pg_ctl start does not keep them).
    _pg_ctl(
        data_dir,
        "--log",
        str(data_dir / "server.log"),
        "--options",
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={data_dir}"
        " -c fsync=off",
        "start",
    )
    restarted_at = time.monotonic()

    assert set(statuses) == {503}
    assert all(a["outcome"] == "indeterminate" and a["allow"] is False for a in gate_answers)
    assert ready.status_code == 503 and "unreachable" in ready.json["database"]
    assert checked.exit_code == 3 and "database unavailable" in checked.output

    # The same application, not restarted: the first request after the start answers.
    first = bot.get(f"/api/v1/runs/{registry.run_id}")
    recovered_s = time.monotonic() - restarted_at
    assert first.status_code == 200, first.get_data(as_text=True)
    after = bot.post("/api/v1/gates/training_launch", json=ask)
    assert after.status_code == 200 and after.json["outcome"] == before.json["outcome"]
    assert bot.client.get("/readyz").status_code == 200
    with session_scope(engine) as session:
        _state, verified = verify_fully(session=session)
    assert verified.broken is None
    engine.dispose()
    print(
        f"\nPostgreSQL outage: stopped {OUTAGE_S:.0f} s; {sum(statuses.values())} requests "
        f"during it, {statuses[503]} answered 503 with a problem body, 0 other; "
        f"{len(gate_answers)} gate calls all indeterminate; first request after the start "
        f"answered in {recovered_s:.2f} s, no restart; ledger verified "
        f"({verified.events_checked} events)"
    )
