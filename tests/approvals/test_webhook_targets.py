"""Webhooks reach public addresses only, unless the operator allows a network.

Found by the security tester: an admin could subscribe ``http://127.0.0.1:…``,
``http://[::ffff:127.0.0.1]:…``, ``http://2130706433:…``, ``http://localhost:…`` or the
cloud's metadata address, and the delivery log told what answered there (an internal port
scanner sending signed POSTs). These tests use the suite's default settings, which allow
no extra network; ``tests/approvals/test_webhooks.py`` has the deliveries.
"""

from __future__ import annotations

import socket
from ipaddress import ip_address, ip_network
from typing import Any

import pytest
import sqlalchemy as sa

from app.approvals import webhook_targets, webhooks
from app.approvals.webhook_targets import WebhookTargets
from app.config import settings_from_environment
from app.db import session_scope
from app.errors import ConfigurationError, ValidationError

#: A public address for names the tests resolve themselves (the suite runs without DNS).
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.mark.parametrize(
    ("host", "answer"),
    [
        ("127.0.0.1", "127.0.0.1, a loopback address"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1 (127.0.0.1), a loopback address"),
        ("2130706433", "127.0.0.1, a loopback address"),
        ("localhost", "a loopback address"),
        ("169.254.169.254", "169.254.169.254, a link-local address"),
        ("10.0.0.1", "10.0.0.1, a private address"),
        ("[::1]", "::1, a loopback address"),
        ("0.0.0.0", "0.0.0.0, an unspecified address"),
        ("100.64.0.1", "100.64.0.1, a shared (carrier-grade NAT) address"),
    ],
)
def test_an_internal_address_is_refused_when_subscribing(
    make_actor: Any, host: str, answer: str
) -> None:
    """Each form the tester used (resolved by the real resolver, as a delivery would) is a
    422 problem naming the host, what it resolves to and the setting; nothing is stored."""
    admin = make_actor("admin", username="ada")
    refused = admin.post("/api/v1/webhooks", json={"url": f"http://{host}:8181/v1/data"})
    assert refused.status_code == 422, refused.json
    assert refused.mimetype == "application/problem+json"
    detail = refused.json["detail"]
    assert f"webhook host '{host.strip('[]')}' resolves to " in detail
    assert answer in detail
    assert detail.endswith("; allow it with GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS")
    assert admin.get("/api/v1/webhooks").json["items"] == []


def test_one_internal_answer_among_public_ones_is_refused(
    make_actor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection may use any of a name's addresses, so every one must pass."""
    answers = {
        "hooks.example.org": [PUBLIC_ADDRESS, "10.1.2.3"],
        "ok.example.org": [PUBLIC_ADDRESS],
    }
    monkeypatch.setattr(webhook_targets, "resolve", lambda host, _port: answers[host])
    admin = make_actor("admin", username="ada")
    refused = admin.post("/api/v1/webhooks", json={"url": "https://hooks.example.org/hook"})
    assert refused.status_code == 422
    assert "'hooks.example.org' resolves to 10.1.2.3, a private address" in refused.json["detail"]
    created = admin.post("/api/v1/webhooks", json={"url": "https://ok.example.org/hook"})
    assert created.status_code == 201, created.json


def test_a_name_that_does_not_resolve_is_refused(
    make_actor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_such_name(_host: str, _port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhook_targets, "resolve", no_such_name)
    admin = make_actor("admin", username="ada")
    refused = admin.post("/api/v1/webhooks", json={"url": "https://hooks.nowhere.invalid/x"})
    assert refused.status_code == 422
    assert "webhook host 'hooks.nowhere.invalid' does not resolve" in refused.json["detail"]


def test_an_allowed_network_is_reachable_and_only_it(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the operator allows (``GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS``) may be
    subscribed, in any spelling of its addresses; the rest stays refused."""
    targets = WebhookTargets((ip_network("10.20.0.0/16"), ip_network("::1/128")))
    answers = {"hooks.corp.internal": ["10.20.3.4"], "db.corp.internal": ["10.21.0.1"]}
    real_resolve = webhook_targets.resolve
    monkeypatch.setattr(
        webhook_targets,
        "resolve",
        lambda host, port: answers.get(host) or real_resolve(host, port),
    )
    with session_scope(engine) as session:
        for url in (
            "http://hooks.corp.internal/hook",
            "http://10.20.0.1:8080/hook",
            "http://[::ffff:10.20.0.1]/hook",
            "http://[::1]:9000/hook",
        ):
            webhooks.create_subscription(
                session=session, url=url, events=["approval.expired"], actor="ada", targets=targets
            )
        for url, refusal in (
            ("http://db.corp.internal/", "10.21.0.1, a private address"),
            ("http://127.0.0.1/", "127.0.0.1, a loopback address"),
        ):
            with pytest.raises(ValidationError, match=refusal):
                webhooks.create_subscription(
                    session=session,
                    url=url,
                    events=["approval.expired"],
                    actor="ada",
                    targets=targets,
                )


@pytest.mark.parametrize(
    ("address", "refusal"),
    [
        ("8.8.8.8", None),
        ("2606:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),
        ("127.0.0.53", "127.0.0.53, a loopback address"),
        ("0.0.0.0", "0.0.0.0, an unspecified address"),
        ("::", "::, an unspecified address"),
        ("172.16.0.1", "172.16.0.1, a private address"),
        ("192.168.1.1", "192.168.1.1, a private address"),
        ("fc00::1", "fc00::1, a private address"),
        ("fe80::1%eth0", "fe80::1%eth0, a link-local address"),
        ("fec0::1", "fec0::1, a site-local address"),
        ("224.0.0.1", "224.0.0.1, a multicast address"),
        ("ff02::1", "ff02::1, a multicast address"),
        ("240.0.0.1", "240.0.0.1, a reserved address"),
        ("255.255.255.255", "255.255.255.255, a reserved address"),
        ("100.127.255.254", "100.127.255.254, a shared (carrier-grade NAT) address"),
        ("192.0.2.1", "192.0.2.1, a private address"),
        ("2001:db8::1", "2001:db8::1, a private address"),
        (
            "::ffff:169.254.169.254",
            "::ffff:169.254.169.254 (169.254.169.254), a link-local address",
        ),
        ("::7f00:1", "::7f00:1 (127.0.0.1), a loopback address"),
        ("2002:a00:1::1", "2002:a00:1::1 (10.0.0.1), a private address"),
        ("64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe (169.254.169.254), a link-local address"),
        (
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2, a private address",
        ),
    ],
)
def test_only_public_unicast_addresses_pass_by_default(address: str, refusal: str | None) -> None:
    """IPv6 forms carrying an IPv4 address (mapped, compatible, 6to4, NAT64) are judged as
    that IPv4 address; Python's ``is_global`` alone passes some of them and multicast."""
    assert WebhookTargets().refusal(ip_address(address)) == refusal


def test_the_allowed_networks_are_read_from_the_environment() -> None:
    env = {"GATEHOUSE_SECRET_KEY": "k"}
    assert settings_from_environment(env).webhook_allowed_networks == ()
    settings = settings_from_environment(
        env | {"GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS": " 10.20.0.0/16, 127.0.0.1/32,,fd00::/8 "}
    )
    assert settings.webhook_allowed_networks == (
        ip_network("10.20.0.0/16"),
        ip_network("127.0.0.1/32"),
        ip_network("fd00::/8"),
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("10.20.0.0/16,intranet", "'intranet' does not appear to be an IPv4 or IPv6 network"),
        ("10.20.0.1/16", "10.20.0.1/16 has host bits set"),
        ("10.0.0.0/33", "'10.0.0.0/33' does not appear to be an IPv4 or IPv6 network"),
    ],
)
def test_a_network_that_is_not_one_stops_the_start_naming_the_variable(text: str, why: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        settings_from_environment(
            {"GATEHOUSE_SECRET_KEY": "k", "GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS": text}
        )
    message = str(raised.value)
    assert message.startswith("GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS must be comma-separated")
    assert why in message
