"""Start and stop a local ``opa run --server`` (tests, benchmarks and local set-ups).

Production runs OPA as a sidecar or service; this helper exists so that everything that
needs a real server on this machine starts it the same way: on a loopback port, silent,
and returned only once ``/health`` answers.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from app.policy.errors import PolicyError

__all__ = ["OpaProcess", "OpaStartError", "start_opa_server"]


class OpaStartError(PolicyError):
    """The OPA server did not become healthy in time."""


@dataclass
class OpaProcess:
    """A running ``opa run --server`` on a loopback port."""

    process: subprocess.Popen[bytes]
    url: str

    def kill(self) -> None:
        """Kill the server outright (SIGKILL) and reap it."""
        self.process.kill()
        self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_opa_server(
    binary: Path, *, port: int | None = None, timeout_s: float = 20.0
) -> OpaProcess:
    """Start ``opa run --server`` on 127.0.0.1 and wait until it is healthy."""
    port = port or _free_port()
    process = subprocess.Popen(
        [str(binary), "run", "--server", "--addr", f"127.0.0.1:{port}", "--log-level", "error"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=0.5).status_code == 200:
                return OpaProcess(process=process, url=url)
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise OpaStartError(
        f"opa run --server did not become healthy on {url} within {timeout_s:.0f} s"
    )
