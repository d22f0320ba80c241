"""Outgoing webhooks for approval events: HMAC-signed POSTs, retried with backoff, logged.

Delivery works like an outbox. :func:`enqueue_event` writes one ``WebhookDelivery`` row
per matching subscription inside the caller's transaction, so an event is recorded if
and only if the approval change that caused it commits. When that transaction commits,
a daemon thread of the same process sends those rows (:func:`deliver`): up to
``max_attempts`` POSTs with exponential backoff, each attempt written to the row
(attempts, response code, last error). Rows left ``pending`` (the process stopped
mid-way) are picked up by :func:`deliver_abandoned`, which the scheduler's
``webhook-redelivery`` job calls every minute.

Receivers verify ``X-Gatehouse-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw
body under the subscription's secret (see :func:`signature`).

A webhook reaches public addresses only, and the networks the operator allows
(``app.approvals.webhook_targets``): its host is checked when subscribing and again before
every POST, which then connects to the addresses checked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.approvals.webhook_targets import (
    CheckedAddressHandler,
    WebhookTargets,
    configured_targets,
)
from app.db import session_scope
from app.errors import ValidationError
from app.ledger import append_record_event, canonical_json
from app.models.base import utc_now
from app.models.webhooks import WebhookDelivery, WebhookSubscription
from app.registry.records import get_record, write_record

__all__ = [
    "APPROVAL_EVENTS",
    "MONITORING_EVENTS",
    "SIGNATURE_HEADER",
    "DeliveryPolicy",
    "create_subscription",
    "deactivate_subscription",
    "deliver",
    "deliver_abandoned",
    "deliver_due",
    "enqueue_event",
    "signature",
    "wait_for_deliveries",
]

#: The events a subscription may ask for.
APPROVAL_EVENTS: tuple[str, ...] = ("approval.requested", "approval.decided", "approval.expired")
#: Events of production monitoring (app.evaluations.monitoring).
MONITORING_EVENTS: tuple[str, ...] = ("deployment.needs_review", "deployment.suspended")
#: Header carrying ``sha256=<hex HMAC of the body>``.
SIGNATURE_HEADER = "X-Gatehouse-Signature"


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard to try one delivery: bounded in attempts and in time."""

    #: POSTs before the delivery is marked failed.
    max_attempts: int = 5
    #: Wait before the second attempt; doubles after each failure.
    first_delay_s: float = 0.5
    #: Longest wait between two attempts.
    max_delay_s: float = 30.0
    #: Socket timeout of one POST.
    timeout_s: float = 5.0

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.first_delay_s * 2 ** (attempt - 1), self.max_delay_s))

    def abandoned_after(self) -> timedelta:
        """How long a pending delivery's next attempt may stay overdue while its sender lives.

        A live sender moves ``next_attempt_at`` forward after every attempt, so a row
        overdue by more than one attempt's timeout plus the longest wait (twice that, for
        a slow or paused process) has no sender left: its process stopped.
        """
        return timedelta(seconds=2 * (self.timeout_s + self.max_delay_s))


DEFAULT_POLICY = DeliveryPolicy()

_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


def signature(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=`` + hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def url_for_the_ledger(url: str) -> dict[str, str]:
    """What the ledger keeps of a webhook URL: its origin and the SHA-256 of the whole URL.

    The rest often is the receiver's secret (a chat service's incoming webhook is a secret
    path; user info and query keys are credentials), and the ledger is read by auditors and
    exported in evidence bundles; whoever holds the URL can still match it by its digest.
    """
    parsed = urlparse(url)
    port = f":{parsed.port}" if parsed.port else ""
    return {
        "url": f"{parsed.scheme}://{parsed.hostname}{port}/…",
        "url_sha256": hashlib.sha256(url.encode()).hexdigest(),
    }


def create_subscription(
    *,
    session: Session,
    url: str,
    events: list[str],
    actor: str,
    description: str = "",
    targets: WebhookTargets | None = None,
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its generated secret (returned here once, never again).

    Its host must resolve to addresses ``targets`` allows (this process's configured rule
    when omitted): a URL reaching loopback, a private network or the cloud's metadata
    address is a ValidationError naming the host and why.
    """
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError(f"webhook url must be an absolute http(s) URL, got '{url}'")
    unknown = sorted(set(events) - set(APPROVAL_EVENTS) - set(MONITORING_EVENTS))
    if unknown or not events:
        raise ValidationError(
            f"events must be some of {', '.join(APPROVAL_EVENTS + MONITORING_EVENTS)}; got {', '.join(unknown) or 'none'}"
        )
    (targets or configured_targets()).checked_addresses(url)
    secret = secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        url=url,
        secret=secret,
        events=sorted(set(events)),
        description=description,
        created_by=actor,
    )
    write_record(
        session=session,
        record=subscription,
        action="webhook.subscribed",
        actor=actor,
        payload={**url_for_the_ledger(url), "events": subscription.events},
    )
    return subscription, secret


def deactivate_subscription(
    *, session: Session, subscription_id: int, actor: str
) -> WebhookSubscription:
    """Stop sending to a subscription (its delivery log stays)."""
    subscription = get_record(session=session, model=WebhookSubscription, record_id=subscription_id)
    subscription.active = False
    session.add(subscription)
    append_record_event(
        session=session, record=subscription, action="webhook.deactivated", actor=actor
    )
    return subscription


def enqueue_event(
    *,
    session: Session,
    event: str,
    data: dict[str, Any],
    policy: DeliveryPolicy = DEFAULT_POLICY,
    targets: WebhookTargets | None = None,
) -> list[WebhookDelivery]:
    """Record ``event`` for every active subscriber; they are sent after the commit, to the
    addresses ``targets`` allows (this process's configured rule when omitted)."""
    subscribers = [
        s
        for s in session.exec(
            select(WebhookSubscription).where(col(WebhookSubscription.active).is_(True))
        ).all()
        if event in s.events
    ]
    deliveries = []
    for subscription in subscribers:
        body = canonical_json(
            {
                "id": str(uuid.uuid4()),
                "event": event,
                "occurred_at": utc_now().isoformat(),
                "data": data,
            }
        ).decode()
        delivery = WebhookDelivery(subscription_id=subscription.id or 0, event=event, body=body)
        session.add(delivery)
        deliveries.append(delivery)
    if deliveries:
        session.flush()
        # Read now: the sending thread runs outside the caller's application context.
        rule = targets or configured_targets()
        _send_after_commit(session, [d.id or 0 for d in deliveries], policy, rule)
    return deliveries


def _send_after_commit(
    session: Session, delivery_ids: list[int], policy: DeliveryPolicy, targets: WebhookTargets
) -> None:
    engine = session.get_bind()

    def start(_session: Any) -> None:
        thread = threading.Thread(
            target=_deliver_all,
            args=(engine, delivery_ids, policy, targets),
            name="gatehouse-webhooks",
            daemon=True,
        )
        with _threads_lock:
            _threads.add(thread)
        thread.start()

    # once=True: a session used for several transactions sends each batch once.
    sa_event.listen(session, "after_commit", start, once=True)


def _deliver_all(
    engine: Engine, delivery_ids: list[int], policy: DeliveryPolicy, targets: WebhookTargets
) -> None:
    try:
        for delivery_id in delivery_ids:
            deliver(engine=engine, delivery_id=delivery_id, policy=policy, targets=targets)
    finally:
        with _threads_lock:
            _threads.discard(threading.current_thread())


def wait_for_deliveries(timeout_s: float = 60.0) -> bool:
    """Wait for background deliveries of this process; True when none is left running."""
    deadline = time.monotonic() + timeout_s
    while True:
        with _threads_lock:
            running = list(_threads)
        if not running:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        running[0].join(remaining)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Refuse every redirect: following one turns the signed POST into a GET without its
    body (or sends it where the receiver points), so a 3xx is the receiver's answer."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


def _post(
    url: str, body: bytes, headers: dict[str, str], timeout_s: float, targets: WebhookTargets
) -> int:
    """POST ``body`` to ``url`` on the addresses its host resolves to now, each allowed by
    ``targets`` (a ValidationError, before any connection, when one is not)."""
    # Only http(s) URLs get here: create_subscription refuses every other scheme.
    addresses = targets.checked_addresses(url)
    # The connection goes to the addresses just checked, never through a proxy from the
    # environment (which would look the name up again) and never after a redirect.
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _NoRedirects,
        CheckedAddressHandler(addresses),
    )
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with opener.open(request, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _attempt(
    engine: Engine, delivery_id: int, policy: DeliveryPolicy, targets: WebhookTargets
) -> tuple[bool, bool]:
    """One POST; returns (finished, delivered)."""
    with session_scope(engine) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != "pending":
            return True, delivery is not None and delivery.status == "delivered"
        subscription = session.get(WebhookSubscription, delivery.subscription_id)
        if subscription is None or not subscription.active:
            delivery.status = "failed"
            delivery.last_error = "subscription deactivated"
            return True, False
        url, secret, body, event = (
            subscription.url,
            subscription.secret,
            delivery.body,
            delivery.event,
        )
    raw = body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Gatehouse-Webhooks/1",
        "X-Gatehouse-Event": event,
        "X-Gatehouse-Delivery": str(delivery_id),
        SIGNATURE_HEADER: signature(secret, raw),
    }
    code: int | None = None
    error: str | None = None
    try:
        code = _post(url, raw, headers, policy.timeout_s, targets)
        if not 200 <= code < 300:
            error = f"receiver answered HTTP {code}"
    except ValidationError as refused:
        # Not sent: the host resolves to an address no webhook may reach (or not at all).
        error = f"not sent: {refused}"[:1000]
    except (OSError, ValueError) as failure:
        error = f"{type(failure).__name__}: {failure}"[:1000]
    with session_scope(engine) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return True, False
        delivery.attempts += 1
        delivery.response_code = code
        delivery.last_error = error
        now = utc_now()
        if error is None:
            delivery.status = "delivered"
            delivery.delivered_at = now
            return True, True
        if delivery.attempts >= policy.max_attempts:
            delivery.status = "failed"
            return True, False
        delivery.next_attempt_at = now + timedelta(seconds=policy.delay_after(delivery.attempts))
        return False, False


def deliver(
    *,
    engine: Engine,
    delivery_id: int,
    policy: DeliveryPolicy = DEFAULT_POLICY,
    targets: WebhookTargets | None = None,
) -> bool:
    """Send one delivery until it succeeds or its attempts run out; True when delivered.

    Every attempt checks the host's addresses against ``targets`` (this process's
    configured rule when omitted) first: a refused one fails the attempt unsent."""
    rule = targets or configured_targets()
    while True:
        finished, delivered = _attempt(engine, delivery_id, policy, rule)
        if finished:
            return delivered
        with session_scope(engine) as session:
            delivery = get_record(session=session, model=WebhookDelivery, record_id=delivery_id)
            wait = (delivery.next_attempt_at - utc_now()).total_seconds()
        if wait > 0:
            time.sleep(wait)


def deliver_due(
    *,
    engine: Engine,
    now: datetime | None = None,
    policy: DeliveryPolicy = DEFAULT_POLICY,
    targets: WebhookTargets | None = None,
) -> int:
    """Send every pending delivery whose next attempt is due; how many were tried."""
    return len(_deliver_pending_since(engine, now or utc_now(), policy, targets))


def deliver_abandoned(
    *,
    engine: Engine,
    now: datetime | None = None,
    policy: DeliveryPolicy = DEFAULT_POLICY,
    targets: WebhookTargets | None = None,
) -> dict[str, list[int]]:
    """Send the pending deliveries no live process is sending any more (the scheduler's
    ``webhook-redelivery`` job): those overdue by more than ``policy.abandoned_after()``,
    so a delivery its own process is still retrying is not sent twice at once.
    Returns the ids ``delivered`` and ``failed`` (attempts used up) by this sweep."""
    outcome = _deliver_pending_since(
        engine, (now or utc_now()) - policy.abandoned_after(), policy, targets
    )
    return {
        "delivered": [i for i, delivered in outcome.items() if delivered],
        "failed": [i for i, delivered in outcome.items() if not delivered],
    }


def _deliver_pending_since(
    engine: Engine, due_by: datetime, policy: DeliveryPolicy, targets: WebhookTargets | None
) -> dict[int, bool]:
    rule = targets or configured_targets()
    with session_scope(engine) as session:
        due = session.exec(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.status == "pending")
            .where(col(WebhookDelivery.next_attempt_at) <= due_by)
            .order_by(col(WebhookDelivery.id))
        ).all()
    return {
        delivery_id: deliver(engine=engine, delivery_id=delivery_id, policy=policy, targets=rule)
        for delivery_id in (int(i or 0) for i in due)
    }
