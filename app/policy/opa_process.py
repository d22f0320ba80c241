"""Start and stop a local ``opa run --server`` (tests, benchmarks and local set-ups).

Production runs OPA as a sidecar or service; this helper exists so that everything that
needs a real server on this machine starts it the same way: on a loopback port, silent,
and returned only once ``/health`` answers.

Given a token, the server is started locked down exactly as the README's production
command does: ``--authentication=token --authorization=basic`` with the shipped
authorization policy, and the token's sha256 (never the token) in its environment as
``GATEHOUSE_OPA_TOKEN_SHA256``. Without one it is started open, which tests use to play
a misconfigured server or an attacker with access to it.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from opa_client import OpaClient

from app.config import OPA_AUTHZ_POLICY
from app.policy.errors import OpaStartError

__all__ = ["OpaProcess", "start_opa_server", "token_sha256"]


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


def token_sha256(token: str) -> str:
    """The hex sha256 of a token, as the authorization policy compares it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_opa_server(
    binary: Path,
    *,
    port: int | None = None,
    timeout_s: float = 20.0,
    token: str | None = None,
    authz_policy: Path = OPA_AUTHZ_POLICY,
) -> OpaProcess:
    """Start ``opa run --server`` on 127.0.0.1 and wait until it is healthy.

    With ``token`` the server only lets that token's bearer write and query (see
    ``authz_policy``); without, anyone may do anything.
    """
    port = port or _free_port()
    command = [
        str(binary),
        "run",
        "--server",
        "--addr",
        f"127.0.0.1:{port}",
        "--log-level",
        "error",
    ]
    environment = dict(os.environ)
    # OPA's environment is readable through opa.runtime(): it never gets the token itself.
    for name in ("GATEHOUSE_OPA_TOKEN", "GATEHOUSE_OPA_TOKEN_SHA256"):
        environment.pop(name, None)
    if token is not None:
        command += ["--authentication=token", "--authorization=basic", str(authz_policy)]
        environment["GATEHOUSE_OPA_TOKEN_SHA256"] = token_sha256(token)
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    with OpaClient(host="127.0.0.1", port=port, timeout=0.5, retries=0) as probe:
        while time.monotonic() < deadline:
            if probe.check_health():  # anyone may ask /health, even on a locked server
                return OpaProcess(process=process, url=url)
            time.sleep(0.05)
    process.kill()
    raise OpaStartError(
        f"opa run --server did not become healthy on {url} within {timeout_s:.0f} s"
    )
