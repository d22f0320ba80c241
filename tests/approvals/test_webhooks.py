"""Webhooks against a real local receiver: HMAC verified, retries after a 500, delivery log."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.approvals import webhooks
from app.db import session_scope
from app.jobs.definitions import JOBS, JobContext, SchedulerOptions
from app.jobs.runner import execute_job
from app.ledger import canonical_json
from app.models.base import utc_now
from app.models.webhooks import WebhookDelivery
from tests.approvals.conftest import Registry


@dataclass
class Receiver:
    """A local HTTP endpoint that fails the first ``failures`` POSTs with 500."""

    url: str
    failures: int
    received: list[dict[str, Any]] = field(default_factory=list)
    secret: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Starts the receiver; tests set ``failures`` and ``secret``."""
    state = Receiver(url="", failures=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(state.secret.encode(), body, hashlib.sha256).hexdigest()
            signature = self.headers.get(webhooks.SIGNATURE_HEADER, "")
            state.received.append(
                {
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

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hook"
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
    engine: sa.Engine, url: str, policy: webhooks.DeliveryPolicy
) -> tuple[int, str]:
    """Subscribe ``url`` to ``approval.expired`` and queue one such event: the delivery's id
    and the subscription's secret."""
    with session_scope(engine) as session:
        _subscription, secret = webhooks.create_subscription(
            session=session, url=url, events=["approval.expired"], actor="ada"
        )
        (queued,) = webhooks.enqueue_event(
            session=session, event="approval.expired", data={"request_id": 7}, policy=policy
        )
        return int(queued.id or 0), secret


def _outcome(engine: sa.Engine, delivery_id: int) -> tuple[str, int, int | None, str | None]:
    """Once every delivery has finished: the delivery's status, attempts, last response
    code and last error."""
    assert webhooks.wait_for_deliveries(30)
    with session_scope(engine) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        return delivery.status, delivery.attempts, delivery.response_code, delivery.last_error


def test_delivery_gives_up_after_its_bounded_attempts(
    engine: sa.Engine, receiver: Receiver
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
    app: Any, engine: sa.Engine, settings: Any, receiver: Receiver
) -> None:
    # Issue 14: the docs promised a scheduled resend, but no job did it.
    assert JOBS["webhook-redelivery"].trigger(SchedulerOptions()) is not None
    receiver.failures = 0
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
    engine: sa.Engine, redirecting_receiver: tuple[str, list[str]]
) -> None:
    """A redirect would turn the signed POST into a GET without its body (and send it where
    the receiver points): it is never followed, and the delivery is not marked delivered."""
    url, seen = redirecting_receiver
    policy = webhooks.DeliveryPolicy(max_attempts=2, first_delay_s=0.05, max_delay_s=0.1)
    delivery_id, _secret = _one_expiry_delivery(engine, url, policy)
    assert _outcome(engine, delivery_id) == ("failed", 2, 302, "receiver answered HTTP 302")
    assert seen == ["POST /hook", "POST /hook"]


def test_the_ledger_keeps_a_webhook_urls_origin_not_its_secret_path(
    engine: sa.Engine, make_actor: Any
) -> None:
    """A chat service's incoming-webhook URL is a secret (its path, user info or query):
    the ledger, which auditors read and bundles export, keeps its origin and its digest."""
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
