"""Webhooks against a real local receiver: HMAC verified, retries after a 500, delivery log.

The receivers listen on loopback, which webhooks may not reach by default: these tests'
settings allow ``127.0.0.0/8`` (``GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS``), and the tests of
that rule itself pass their own (``tests/approvals/test_webhook_targets.py`` has the
default's refusals).
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import os
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.approvals import webhook_targets, webhooks
from app.approvals.webhook_targets import WebhookTargets
from app.config import Settings
from app.db import session_scope
from app.jobs.definitions import JOBS, JobContext, SchedulerOptions
from app.jobs.runner import execute_job
from app.ledger import canonical_json
from app.models.base import utc_now
from app.models.webhooks import WebhookDelivery
from tests.approvals.conftest import Registry

#: What these tests' settings allow webhooks to reach: the loopback receivers below.
LOOPBACK = ip_network("127.0.0.0/8")
#: A public address for names the tests resolve themselves (the suite runs without DNS).
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, allowing webhooks to the loopback receivers."""
    return settings.with_overrides(webhook_allowed_networks=(LOOPBACK,))


@pytest.fixture
def in_the_application(app: Any) -> Iterator[None]:
    """Service calls made inside the application, as its doors make them: they read the
    application's settings (loopback allowed)."""
    with app.app_context():
        yield


@dataclass
class Receiver:
    """A local HTTP endpoint that fails the first ``failures`` POSTs with 500."""

    url: str
    failures: int
    port: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    secret: str = ""


def _receiving(state: Receiver) -> type[http.server.BaseHTTPRequestHandler]:
    """A request handler recording each POST in ``state`` and failing the first
    ``state.failures`` of them."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(state.secret.encode(), body, hashlib.sha256).hexdigest()
            signature = self.headers.get(webhooks.SIGNATURE_HEADER, "")
            state.received.append(
                {
                    "host": self.headers["Host"],
                    "event": self.headers["X-Gatehouse-Event"],
                    "verified": hmac.compare_digest(signature, expected),
                    "body": json.loads(body),
                }
            )
            failing = len(state.received) <= state.failures
            self.send_response(500 if failing else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Starts the receiver; tests set ``failures`` and ``secret``."""
    state = Receiver(url="", failures=1)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _receiving(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.port = server.server_port
    state.url = f"http://127.0.0.1:{state.port}/hook"
    yield state
    server.shutdown()


def test_signed_events_are_retried_after_a_500(
    engine: sa.Engine,
    registry: Registry,
    people: dict[str, Any],
    make_actor: Any,
    receiver: Receiver,
) -> None:
    admin = make_actor("admin", username="ada")
    created = admin.post("/api/v1/webhooks", json={"url": receiver.url})
    assert created.status_code == 201, created.json
    receiver.secret = created.json["secret"]

    promoted = people["pipeline"].post(f"/api/v1/deployments/{registry.deployment_id}/promote")
    request_id = promoted.json["approval_request"]["id"]
    assert webhooks.wait_for_deliveries(30)

    # The first POST got a 500; the retry after the backoff got through, same signed body.
    assert [(r["event"], r["verified"]) for r in receiver.received] == [
        ("approval.requested", True),
        ("approval.requested", True),
    ]
    first, retry = receiver.received
    assert first["body"] == retry["body"]
    assert first["body"]["data"]["request_id"] == request_id
    assert first["body"]["data"]["requester"] == "release-bot"
    log = admin.get(f"/api/v1/webhooks/{created.json['id']}/deliveries").json["items"]
    assert [(d["event"], d["status"], d["attempts"], d["response_code"]) for d in log] == [
        ("approval.requested", "delivered", 2, 200)
    ]

    people["risk"].post(
        f"/api/v1/approvals/{request_id}/votes",
        json={"decision": "reject", "comment": "not yet"},
    )
    assert webhooks.wait_for_deliveries(30)
    decided = receiver.received[-1]
    assert decided["event"] == "approval.decided" and decided["verified"]
    assert decided["body"]["data"]["status"] == "rejected"
    assert "not yet" in decided["body"]["data"]["reason"]


def _one_expiry_delivery(
    engine: sa.Engine,
    url: str,
    policy: webhooks.DeliveryPolicy,
    targets: WebhookTargets | None = None,
) -> tuple[int, str]:
    """Subscribe ``url`` to ``approval.expired`` and queue one such event, sent to what
    ``targets`` allows (the application's settings when omitted): the delivery's id and the
    subscription's secret."""
    with session_scope(engine) as session:
        _subscription, secret = webhooks.create_subscription(
            session=session, url=url, events=["approval.expired"], actor="ada", targets=targets
        )
    return _queue_expiry(engine, policy, targets), secret


def _queue_expiry(
    engine: sa.Engine, policy: webhooks.DeliveryPolicy, targets: WebhookTargets | None = None
) -> int:
    """Queue one ``approval.expired`` event for the one subscriber: its delivery's id."""
    with session_scope(engine) as session:
        (queued,) = webhooks.enqueue_event(
            session=session,
            event="approval.expired",
            data={"request_id": 7},
            policy=policy,
            targets=targets,
        )
        return int(queued.id or 0)


def _outcome(engine: sa.Engine, delivery_id: int) -> tuple[str, int, int | None, str | None]:
    """Once every delivery has finished: the delivery's status, attempts, last response
    code and last error."""
    assert webhooks.wait_for_deliveries(30)
    with session_scope(engine) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        return delivery.status, delivery.attempts, delivery.response_code, delivery.last_error


def test_delivery_gives_up_after_its_bounded_attempts(
    engine: sa.Engine, receiver: Receiver, in_the_application: None
) -> None:
    receiver.failures = 100
    policy = webhooks.DeliveryPolicy(max_attempts=3, first_delay_s=0.05, max_delay_s=0.1)
    delivery_id, receiver.secret = _one_expiry_delivery(engine, receiver.url, policy)
    with session_scope(engine) as session:
        # Not subscribed to this event: nothing queued.
        assert webhooks.enqueue_event(session=session, event="approval.decided", data={}) == []
    assert _outcome(engine, delivery_id) == ("failed", 3, 500, "receiver answered HTTP 500")
    assert len(receiver.received) == 3 and all(r["verified"] for r in receiver.received)
    assert policy.delay_after(1) == 0.05 and policy.delay_after(5) == 0.1


def test_signature_covers_the_body() -> None:
    body = b'{"event":"approval.decided"}'
    signed = webhooks.signature("s3cret", body)
    assert signed == webhooks.signature("s3cret", body)
    assert signed != webhooks.signature("s3cret", body.replace(b"decided", b"expired"))
    assert signed != webhooks.signature("other", body)


def _left_pending(subscription_id: int, request_id: int, overdue: timedelta) -> WebhookDelivery:
    """A delivery as its process left it: queued, tried once, next attempt ``overdue``."""
    body = canonical_json(
        {
            "id": f"left-{request_id}",
            "event": "approval.expired",
            "occurred_at": utc_now().isoformat(),
            "data": {"request_id": request_id},
        }
    ).decode()
    return WebhookDelivery(
        subscription_id=subscription_id,
        event="approval.expired",
        body=body,
        attempts=1,
        last_error="URLError: connection refused",
        next_attempt_at=utc_now() - overdue,
    )


def test_the_scheduler_sends_what_a_stopped_process_left_pending(
    app: Any,
    engine: sa.Engine,
    settings: Any,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Issue 14: the docs promised a scheduled resend, but no job did it.
    assert JOBS["webhook-redelivery"].trigger(SchedulerOptions()) is not None
    receiver.failures = 0
    # The scheduler's job threads run outside any application: they read the allowed
    # networks from the environment its settings came from.
    monkeypatch.setenv("GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS", str(LOOPBACK))
    with session_scope(engine) as session:
        subscription, receiver.secret = webhooks.create_subscription(
            session=session, url=receiver.url, events=["approval.expired"], actor="ada"
        )
        abandoned = _left_pending(subscription.id or 0, 7, timedelta(minutes=10))
        # Overdue by seconds only: its own process may still be retrying it.
        in_flight = _left_pending(subscription.id or 0, 8, timedelta(seconds=5))
        session.add_all([abandoned, in_flight])
    context = JobContext(
        engine=engine, settings=settings, policy_engine=app.extensions["gatehouse.policy_engine"]
    )
    run = execute_job(context, "webhook-redelivery")
    assert run is not None and run.outcome == "succeeded", run
    assert run.details["delivered_ids"] == [abandoned.id] and run.details["failed_ids"] == []
    assert run.details["runner"] == f"{socket.gethostname()}:{os.getpid()}"
    assert [(r["event"], r["verified"], r["body"]["id"]) for r in receiver.received] == [
        ("approval.expired", True, "left-7")
    ]
    with session_scope(engine) as session:
        sent = session.get(WebhookDelivery, abandoned.id)
        waiting = session.get(WebhookDelivery, in_flight.id)
        assert sent is not None and waiting is not None
        assert (sent.status, sent.attempts, sent.response_code) == ("delivered", 2, 200)
        assert (waiting.status, waiting.attempts) == ("pending", 1)


@pytest.fixture
def redirecting_receiver() -> Iterator[tuple[str, list[str]]]:
    """An endpoint that answers every POST with a 302 to a path that answers GET with 200
    (a receiver that moved, or an address sending the hook elsewhere): its URL and the
    requests it saw, as ``METHOD path``."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(f"POST {self.path}")
            self.send_response(302)
            self.send_header("Location", "/moved")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            seen.append(f"GET {self.path}")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", seen
    server.shutdown()


def test_a_redirect_is_not_a_delivery(
    engine: sa.Engine, redirecting_receiver: tuple[str, list[str]], in_the_application: None
) -> None:
    """A redirect would turn the signed POST into a GET without its body (and send it where
    the receiver points): it is never followed, and the delivery is not marked delivered."""
    url, seen = redirecting_receiver
    policy = webhooks.DeliveryPolicy(max_attempts=2, first_delay_s=0.05, max_delay_s=0.1)
    delivery_id, _secret = _one_expiry_delivery(engine, url, policy)
    assert _outcome(engine, delivery_id) == ("failed", 2, 302, "receiver answered HTTP 302")
    assert seen == ["POST /hook", "POST /hook"]


def test_the_ledger_keeps_a_webhook_urls_origin_not_its_secret_path(
    engine: sa.Engine, make_actor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chat service's incoming-webhook URL is a secret (its path, user info or query):
    the ledger, which auditors read and bundles export, keeps its origin and its digest."""
    # The receiver's name resolves to a public address here (the suite runs without DNS).
    monkeypatch.setattr(webhook_targets, "resolve", lambda _host, _port: [PUBLIC_ADDRESS])
    url = "https://user:pa55@hooks.example.org:8443/services/T0/B0/s3cr3tT0ken?key=k3y"
    admin = make_actor("admin", username="ada")
    created = admin.post("/api/v1/webhooks", json={"url": url})
    assert created.status_code == 201, created.json
    with session_scope(engine) as session:
        payloads = (
            session.execute(
                sa.text("SELECT payload FROM ledger_event WHERE action = 'webhook.subscribed'")
            )
            .scalars()
            .all()
        )
    (payload,) = [json.loads(p) if isinstance(p, str) else p for p in payloads]
    assert payload["url"] == "https://hooks.example.org:8443/…"
    assert payload["url_sha256"] == hashlib.sha256(url.encode()).hexdigest()
    for secret in ("pa55", "s3cr3tT0ken", "k3y", "services"):
        assert secret not in json.dumps(payload)
    # The admin who manages it still reads the whole URL.
    assert admin.get("/api/v1/webhooks").json["items"][0]["url"] == url


def test_the_loopback_forms_are_allowed_once_loopback_is(
    make_actor: Any, receiver: Receiver
) -> None:
    """With ``127.0.0.0/8`` allowed, every spelling of a loopback address the security
    tester used may be subscribed; addresses outside the allowed network still may not."""
    admin = make_actor("admin", username="ada")
    port = receiver.port
    for host in ("127.0.0.1", "[::ffff:127.0.0.1]", "2130706433", "127.1"):
        created = admin.post("/api/v1/webhooks", json={"url": f"http://{host}:{port}/hook"})
        assert created.status_code == 201, (host, created.json)
    for host, kind in (("169.254.169.254", "link-local"), ("10.0.0.1", "private")):
        refused = admin.post("/api/v1/webhooks", json={"url": f"http://{host}/latest"})
        assert refused.status_code == 422, refused.json
        assert f"resolves to {host}, a {kind} address" in refused.json["detail"]


def test_a_name_that_resolves_elsewhere_by_delivery_time_is_not_sent(
    engine: sa.Engine,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: the name was public when subscribed and answers loopback when the
    event is sent. Nothing allows loopback here, so no attempt connects; each one fails
    with the reason on the delivery."""
    lookups: list[str] = []

    def rebinding(host: str, _port: int) -> list[str]:
        lookups.append(host)
        return [PUBLIC_ADDRESS] if len(lookups) == 1 else ["127.0.0.1"]

    monkeypatch.setattr(webhook_targets, "resolve", rebinding)
    url = f"http://hooks.rebinding.test:{receiver.port}/hook"
    policy = webhooks.DeliveryPolicy(max_attempts=2, first_delay_s=0.05, max_delay_s=0.1)
    delivery_id, _secret = _one_expiry_delivery(engine, url, policy, WebhookTargets())
    reason = (
        "not sent: webhook host 'hooks.rebinding.test' resolves to 127.0.0.1, a loopback "
        "address; allow it with GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS"
    )
    assert _outcome(engine, delivery_id) == ("failed", 2, None, reason)
    assert receiver.received == []
    # Subscribing, then before each attempt.
    assert lookups == ["hooks.rebinding.test"] * 3


def test_a_delivery_connects_to_the_address_it_checked(
    engine: sa.Engine, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The POST goes to the address the check approved, not to a second DNS answer: the
    name (``.test`` never resolves for real) reaches the receiver only through the checked
    address, and the Host header still names it."""
    lookups: list[str] = []

    def resolve(host: str, _port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(webhook_targets, "resolve", resolve)
    receiver.failures = 0
    port = receiver.port
    policy = webhooks.DeliveryPolicy(max_attempts=1)
    delivery_id, receiver.secret = _one_expiry_delivery(
        engine, f"http://receiver.pinned.test:{port}/hook", policy, WebhookTargets((LOOPBACK,))
    )
    assert _outcome(engine, delivery_id) == ("delivered", 1, 200, None)
    assert [(r["host"], r["verified"]) for r in receiver.received] == [
        (f"receiver.pinned.test:{port}", True)
    ]
    # Once when subscribing, once before the POST; the connection looked nothing up.
    assert lookups == ["receiver.pinned.test", "receiver.pinned.test"]


def _self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    """A certificate for ``name`` (and its key), signed by itself: the PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "receiver.pem", folder / "receiver.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_an_https_delivery_reaches_the_checked_address_as_the_named_host(
    engine: sa.Engine, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Over HTTPS the connection goes to the checked address while TLS still speaks to the
    name: SNI is the name, and the certificate must be the name's: refused until trusted
    (here through ``SSL_CERT_FILE``), so pinning the address weakens no certificate check."""
    name = "receiver.pinned.test"
    cert_path, key_path = _self_signed(tmp_path, name)
    server_names: list[str | None] = []
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_path, key_path)
    tls.sni_callback = lambda _socket, server_name, _context: server_names.append(server_name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _receiving(receiver))
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(webhook_targets, "resolve", lambda _host, _port: ["127.0.0.1"])
    receiver.failures = 0
    url = f"https://{name}:{server.server_port}/hook"
    once = webhooks.DeliveryPolicy(max_attempts=1)
    try:
        untrusted, receiver.secret = _one_expiry_delivery(
            engine, url, once, WebhookTargets((LOOPBACK,))
        )
        status, attempts, code, error = _outcome(engine, untrusted)
        assert (status, attempts, code) == ("failed", 1, None)
        assert error is not None and "CERTIFICATE_VERIFY_FAILED" in error
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
        trusted = _queue_expiry(engine, once, WebhookTargets((LOOPBACK,)))
        assert _outcome(engine, trusted) == ("delivered", 1, 200, None)
    finally:
        server.shutdown()
    assert server_names == [name, name]
    assert [(r["host"], r["verified"]) for r in receiver.received] == [
        (f"{name}:{server.server_port}", True)
    ]
