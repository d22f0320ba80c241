"""Shared fixtures: a fresh application and database per test, on SQLite and PostgreSQL.

Each backend is migrated once per session into a template (a file for SQLite, a
template database for PostgreSQL) and copied per test, so every test starts from a
real, migrated, empty schema in milliseconds. PostgreSQL comes from
``GATEHOUSE_TEST_POSTGRES_URL`` (``scripts/test`` starts a server and sets it); without
it the PostgreSQL half of the suite fails rather than silently skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from werkzeug.serving import make_server

from app import create_app
from app.approvals.webhooks import wait_for_deliveries
from app.auth.accounts import create_token, create_user
from app.config import Settings, settings_for_tests
from app.db import session_scope
from app.migrations import upgrade

# The suite's property tests draw the same examples on every run, so a green run means
# the same thing twice and a failure reproduces; HYPOTHESIS_PROFILE=explore draws fresh
# examples on each run to look for new counter-examples (see CONTRIBUTING.md). Neither
# fails a test because drawing examples was slow: on a shared 2-core machine that says
# how busy the machine was, not whether the code holds (seen once in tests/gates).
_PATIENT = {"print_blob": True, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("suite", derandomize=True, **_PATIENT)
settings.register_profile("explore", derandomize=False, **_PATIENT)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

BACKENDS = ("sqlite", "postgresql")
TEST_PASSWORD = "correct horse battery staple"


def postgres_admin_url() -> str:
    """URL of the PostgreSQL server the suite may create databases on."""
    url = os.environ.get("GATEHOUSE_TEST_POSTGRES_URL")
    if not url:
        pytest.fail(
            "GATEHOUSE_TEST_POSTGRES_URL is not set: run the suite with scripts/test, which "
            "starts PostgreSQL on loopback, or point it at a server you may create databases on"
        )
    return url


def _with_database(url: str, name: str) -> str:
    return str(sa.make_url(url).set(database=name).render_as_string(hide_password=False))


def _admin_execute(statement: str) -> None:
    engine = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file to copy for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL template database; dropped at the end."""
    name = f"gh_template_{uuid.uuid4().hex[:8]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    upgrade(_with_database(postgres_admin_url(), name))
    yield name
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database for one test."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "gatehouse.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"gh_test_{uuid.uuid4().hex[:10]}"
    _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    yield _with_database(postgres_admin_url(), name)
    # A webhook sender still running in the background would write to a dropped database.
    wait_for_deliveries(30)
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Test settings on this test's database."""
    return settings_for_tests(tmp_path, database_url)


@pytest.fixture
def public_webhook_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every webhook host name resolves to one public address (the suite needs no DNS),
    for tests of something else than where a webhook may go
    (``tests/approvals/test_webhook_targets.py``). Nothing is delivered to it."""
    from app.approvals import webhook_targets

    monkeypatch.setattr(webhook_targets, "resolve", lambda _host, _port: ["93.184.215.14"])


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """The application under test."""
    application = create_app(settings)
    yield application
    application.extensions["gatehouse.engine"].dispose()


@pytest.fixture
def engine(app: Flask) -> sa.Engine:
    """The application's engine (for service-level tests)."""
    return app.extensions["gatehouse.engine"]  # type: ignore[no-any-return]


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[Any]:
    """A session that commits at the end of the test body (like a door's unit of work)."""
    with session_scope(engine) as db:
        yield db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client (no credentials)."""
    return app.test_client()


@dataclass
class Actor:
    """A user of one role with an API token, for calling the API as that role."""

    username: str
    role: str
    token: str
    client: FlaskClient

    def headers(self) -> dict[str, str]:
        """Bearer header for this actor."""
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET as this actor."""
        return self.client.get(path, headers=self.headers(), **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        """POST as this actor."""
        return self.client.post(path, headers=self.headers(), **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        """PATCH as this actor."""
        return self.client.patch(path, headers=self.headers(), **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        """PUT as this actor."""
        return self.client.put(path, headers=self.headers(), **kwargs)


def create_actor(
    app: Flask,
    engine: sa.Engine,
    role: str,
    username: str,
    scopes: tuple[str, ...] = ("read", "write", "gate", "approve"),
) -> Actor:
    """A user of ``role`` with an API token, in the database behind ``engine``."""
    with session_scope(engine) as db:
        create_user(
            session=db,
            username=username,
            display_name=username.title(),
            roles=[role],
            password=None if role == "pipeline" else TEST_PASSWORD,
            actor="test",
            fast_hash=True,
        )
        issued = create_token(
            session=db,
            username=username,
            name="test",
            scopes=list(scopes),
            actor="test",
            expires_in=timedelta(days=1),
        )
    return Actor(username=username, role=role, token=issued.secret, client=app.test_client())


@pytest.fixture
def make_actor(app: Flask, engine: sa.Engine) -> Any:
    """Factory: ``make_actor("compliance_officer")`` creates a user with that role and a token."""
    counter = {"n": 0}

    def build(
        role: str,
        *,
        username: str | None = None,
        scopes: tuple[str, ...] = ("read", "write", "gate", "approve"),
    ) -> Actor:
        counter["n"] += 1
        return create_actor(app, engine, role, username or f"{role}-{counter['n']}", scopes)

    return build


@pytest.fixture
def login(app: Flask, make_actor: Any) -> Any:
    """Factory: a portal client logged in with a new user of ``role``."""

    def build(role: str) -> tuple[FlaskClient, Actor]:
        actor = make_actor(role)
        portal = app.test_client()
        response = portal.post(
            "/login", data={"username": actor.username, "password": TEST_PASSWORD}
        )
        assert response.status_code == 302, response.data
        return portal, actor

    return build


@contextmanager
def serving(application: Flask) -> Iterator[str]:
    """``application`` served on a free loopback port while the block runs; its URL."""
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The application served on a free loopback port for the duration of a test (for the
    CLI commands that are HTTP clients of a running Gatehouse)."""
    with serving(app) as url:
        yield url


class SilentServer:
    """A TCP server that accepts connections and never answers (a hung OPA)."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        #: Set once a caller has connected (and is now waiting for an answer).
        self.called = threading.Event()
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                self._accepted.append(self._listener.accept()[0])
            except TimeoutError:
                continue
            self.called.set()

    def close(self) -> None:
        """Stop accepting and close every connection: waiting callers get an error."""
        self._stop.set()
        self._thread.join()
        for connection in self._accepted:
            connection.close()
        self._listener.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """A TCP server that accepts connections and never answers."""
    server = SilentServer()
    yield server
    server.close()
