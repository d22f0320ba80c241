"""The application served as the web container serves it: gunicorn with the container's
own command (read from ``deploy/base/web.yaml``; only the bind address is loopback), in a
process of its own, configured through the environment as in production.

The load test and ``bench/gate.py`` measure it from outside, so that the client's work
(and its garbage collection) never runs inside the server being measured.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
WEB_MANIFEST = ROOT / "deploy" / "base" / "web.yaml"
#: How long the workers may take to start: each imports the whole application (about
#: 9 s of CPU), and a shared machine gives them a fraction of a core each.
READY_WITHIN_S = 240


class ServerFailedError(RuntimeError):
    """gunicorn exited, or was not ready in time (the message ends with its log)."""


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


@contextmanager
def served(
    database_url: str, work: Path, settings: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """gunicorn as the web container runs it, ready, while the block runs: its URL and its
    master's process id. ``settings`` are further ``GATEHOUSE_*`` variables (the policy
    engine is the embedded one unless they say otherwise). Stopped (SIGTERM, as
    Kubernetes stops a pod) afterwards, whatever happened."""
    port = _free_port()
    multiprocess = work / "prometheus-multiproc"
    multiprocess.mkdir(exist_ok=True)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    environment |= {
        "GATEHOUSE_DATABASE_URL": database_url,
        "GATEHOUSE_SECRET_KEY": "served-secret-key-not-for-production",
        "GATEHOUSE_POLICY_ENGINE": "embedded",
        "GATEHOUSE_STORAGE_DIR": str(work / "storage"),
        "GATEHOUSE_SIGNING_IDENTITY": str(work / "signing" / "identity.p12"),
        "PROMETHEUS_MULTIPROC_DIR": str(multiprocess),
        **(settings or {}),
    }
    log = work / f"gunicorn-{port}.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            web_command(f"127.0.0.1:{port}"),
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=output,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_ready(server, url, log)
        yield url, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_ready(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServerFailedError(f"gunicorn exited {server.returncode}: {_tail(log)}")
        try:
            if requests.get(f"{url}/readyz", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still loading
            pass
        time.sleep(0.25)
    raise ServerFailedError(f"gunicorn not ready within {READY_WITHIN_S} s: {_tail(log)}")


def server_cpu_seconds(master: int) -> float:
    """CPU time (user and system) the gunicorn master and its workers have used so far."""
    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    ticks = 0
    for pid in [master, *map(int, workers)]:
        # utime and stime: the 14th and 15th fields, the 12th and 13th after the command.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
