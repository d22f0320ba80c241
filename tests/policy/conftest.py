"""Fixtures for the policy tests: the real OPA binary and server, the two engines.

The embedded engine runs the committed compiled policy (``compiled-policy/``); a stale
one fails its construction, and ``test_compiled.py`` says so by name.

The OPA servers run locked down as documented (token authentication, the shipped
authorization policy) with a token made for the test session, unless a test asks for
an open one. A missing OPA binary fails these tests with a message saying how to get
it; nothing here is skipped.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.config import OPA_AUTHZ_POLICY
from app.policy.bundle import PolicyBundle, load_bundle
from app.policy.embedded import EmbeddedEngine
from app.policy.errors import OpaStartError
from app.policy.factory import build_engine
from app.policy.opa_checks import find_opa_binary
from app.policy.opa_process import OpaProcess
from app.policy.opa_process import start_opa_server as start_opa
from app.policy.opa_server import OpaServerEngine

POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"

#: Gatehouse's OPA token for this test session.
OPA_TOKEN = secrets.token_urlsafe(32)
#: The text of the shipped authorization policy, which a locked server holds.
AUTHZ_SOURCE = OPA_AUTHZ_POLICY.read_text(encoding="utf-8")


OpaServer = OpaProcess


@pytest.fixture(scope="session")
def opa_binary() -> Path:
    """The OPA binary (GATEHOUSE_OPA_BINARY, PATH or ~/go/bin/opa); missing = failure."""
    binary = find_opa_binary()
    if binary is None:
        pytest.fail(
            "OPA binary not found: set GATEHOUSE_OPA_BINARY, put opa on PATH, or run "
            "`go install github.com/open-policy-agent/opa@v1.22.3`"
        )
    return binary


def start_opa_server(binary: Path, port: int | None = None, *, locked: bool = True) -> OpaServer:
    """Start ``opa run --server`` on loopback; a server that never gets healthy fails the test.

    Locked (the default) means the documented production flags with ``OPA_TOKEN``.
    """
    try:
        return start_opa(binary, port=port, token=OPA_TOKEN if locked else None)
    except OpaStartError as error:
        pytest.fail(str(error))


def opa_engine_for(bundle: PolicyBundle, url: str, **options: Any) -> OpaServerEngine:
    """An OPA server engine that presents the session's token and knows the authz policy."""
    return OpaServerEngine(
        bundle=bundle, url=url, token=OPA_TOKEN, system_sources=(AUTHZ_SOURCE,), **options
    )


@pytest.fixture(scope="session")
def opa_server(opa_binary: Path) -> Iterator[OpaServer]:
    """One locked-down OPA server for the session."""
    server = start_opa_server(opa_binary)
    yield server
    server.kill()


@pytest.fixture(scope="session")
def bundle() -> PolicyBundle:
    """The project's policy bundle."""
    return load_bundle(policy_dir=POLICY_DIR)


@pytest.fixture(scope="session")
def embedded_engine(bundle: PolicyBundle) -> Iterator[EmbeddedEngine]:
    """The embedded engine, with a generous deadline (the machine is shared)."""
    engine = build_engine(kind="embedded", policy_dir=POLICY_DIR, timeout_s=30)
    assert isinstance(engine, EmbeddedEngine)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def opa_engine(bundle: PolicyBundle, opa_server: OpaServer) -> Iterator[OpaServerEngine]:
    """The OPA server engine over the session's server."""
    engine = opa_engine_for(bundle, opa_server.url, timeout_s=30)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def rego_test_inputs(opa_binary: Path) -> dict[str, dict[str, Any]]:
    """Every ``input_*`` rule of every ``_test`` package, by "package.rule" name.

    These are the documents the Rego tests feed the controls; the conformance test
    runs them through both engines.
    """
    done = subprocess.run(
        [str(opa_binary), "eval", "--data", str(POLICY_DIR), "--format", "json", "data"],
        capture_output=True,
        text=True,
        check=True,
    )
    root = json.loads(done.stdout)["result"][0]["expressions"][0]["value"]
    found: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any], path: list[str]) -> None:
        for key, value in node.items():
            if path and path[-1].endswith("_test") and key.startswith("input_"):
                found[".".join([*path, key])] = value
            elif isinstance(value, dict) and key != "gatehouse":
                walk(value, [*path, key])

    walk(root, [])
    return found
