"""Which addresses a webhook may reach: public ones, and the networks the operator allows.

An admin chooses a webhook's URL, and Gatehouse POSTs to it from inside the deployment.
Without a rule, a URL naming ``127.0.0.1``, a private address or the cloud's metadata
address (``169.254.169.254``) has Gatehouse send signed requests to services only it can
reach, and the delivery log tells the admin what answered: an internal port scanner.

So every address a webhook's host resolves to must be a public unicast address or lie in
``GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS`` (:attr:`WebhookTargets.allowed_networks`). The
rule is checked when a subscription is created and again before every delivery (a DNS
answer can change after subscribing), and the delivery connects to the addresses it
checked, not to a second DNS answer (``app.approvals.webhooks``).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any
from urllib.parse import urlparse

from app.config import webhook_allowed_networks_from_environment
from app.errors import ValidationError

__all__ = [
    "CheckedAddressHandler",
    "WebhookTargets",
    "configured_targets",
    "resolve",
]

IPAddress = IPv4Address | IPv6Address

#: The setting that allows more networks, named in every refusal.
ALLOWED_NETWORKS_SETTING = "GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS"

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Carrier-grade NAT (RFC 6598): inside a provider's network, never on the internet.
_SHARED_ADDRESS_SPACE = IPv4Network("100.64.0.0/10")
#: IPv4-compatible IPv6 addresses (RFC 4291, deprecated): ``::a.b.c.d``.
_IPV4_COMPATIBLE = IPv6Network("::/96")
#: The well-known NAT64 prefix (RFC 6052): a NAT64 gateway connects to the IPv4 inside.
_NAT64 = IPv6Network("64:ff9b::/96")


def resolve(host: str, port: int) -> list[str]:
    """The addresses a TCP connection to ``host`` would try, in the resolver's order
    (``socket.getaddrinfo``: a numeric form such as ``2130706433`` is 127.0.0.1)."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


def _ipv4_inside(address: IPAddress) -> IPv4Address | None:
    """The IPv4 address a connection to an IPv6 ``address`` ends up at, when it carries one:
    IPv4-mapped (``::ffff:a.b.c.d``), IPv4-compatible, 6to4 (``2002::/16``) or NAT64."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address: IPAddress) -> str | None:
    """What makes ``address`` not a public unicast address, or None when it is one."""
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if isinstance(address, IPv6Address) and address.is_site_local:
        return "a site-local address"
    if address in _SHARED_ADDRESS_SPACE:
        return "a shared (carrier-grade NAT) address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


@dataclass(frozen=True)
class WebhookTargets:
    """The rule every address of a webhook's host must pass before Gatehouse connects."""

    #: Networks webhooks may reach besides public addresses
    #: (``GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS``).
    allowed_networks: tuple[IPv4Network | IPv6Network, ...] = ()

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` may not be reached (``"127.0.0.1, a loopback address"``), or
        None when it may: it is public, or it (or the IPv4 address inside it) lies in an
        allowed network."""
        inside = _ipv4_inside(address)
        judged = inside or address
        if any(a in network for a in (address, judged) for network in self.allowed_networks):
            return None
        # An IPv6 form of an IPv4 address is judged as that address: the mapped form of a
        # public address is public, the NAT64 form of 10.0.0.1 is private.
        kind = _kind(judged)
        if kind is None:
            return None
        if inside is None:
            return f"{address}, {kind}"
        shown = str(address)
        if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
            # Spelled as resolvers print it (Python before 3.13 prints ::ffff:7f00:1).
            shown = f"::ffff:{inside}"
        return f"{shown} ({inside}), {kind}"

    def checked_addresses(self, url: str) -> list[str]:
        """The addresses ``url``'s host resolves to, every one of them allowed.

        A ValidationError naming the host and why when the URL has no host, its host does
        not resolve, or any address it resolves to is refused (one bad answer among good
        ones could be the one a connection uses).
        """
        parsed = urlparse(url)
        host = parsed.hostname
        try:
            port = parsed.port or _DEFAULT_PORTS.get(parsed.scheme, 80)
        except ValueError as error:
            raise ValidationError(f"webhook url has no valid port: {error}") from error
        if not host:
            raise ValidationError(f"webhook url names no host: '{url}'")
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as error:
            raise ValidationError(
                f"webhook host '{host}' does not resolve ({error}); a webhook must name a "
                "host Gatehouse can look up"
            ) from error
        if not addresses:
            raise ValidationError(f"webhook host '{host}' resolves to no address")
        for text in addresses:
            refusal = self.refusal(ipaddress.ip_address(text))
            if refusal is not None:
                raise ValidationError(
                    f"webhook host '{host}' resolves to {refusal}; allow it with "
                    f"{ALLOWED_NETWORKS_SETTING}"
                )
        return addresses


def configured_targets() -> WebhookTargets:
    """The rule of this process: the running application's settings inside an application
    context (a request, a ``gatehouse`` command), else ``GATEHOUSE_WEBHOOK_ALLOWED_NETWORKS``
    from the environment, which the scheduler's job threads (no application context) built
    their own settings from."""
    # Imported here: the services importing this module load no Flask until they send.
    from flask import current_app, has_app_context

    if has_app_context():
        return WebhookTargets(current_app.config["GATEHOUSE"].webhook_allowed_networks)
    return WebhookTargets(webhook_allowed_networks_from_environment())


def _connect_to_checked(
    addresses: Sequence[str], where: tuple[str, int], timeout: Any, source: Any
) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers on ``where``'s port (in
    order, as ``socket.create_connection`` tries a name's addresses), never to a name
    looked up again."""
    failure: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((address, where[1]), timeout, source)
        except OSError as error:
            failure = error
    raise failure


class _CheckedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to the checked addresses of its host."""

    def __init__(self, host: str, *, addresses: Sequence[str], **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        # http.client opens its socket through this attribute; ``self.host`` stays the
        # name, so the Host header (and, over HTTPS, SNI and the certificate check) use it.
        self._create_connection = partial(_connect_to_checked, tuple(addresses))


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to the checked addresses of its host; the certificate must
    still be the host name's."""

    def __init__(self, host: str, *, addresses: Sequence[str], **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self._create_connection = partial(_connect_to_checked, tuple(addresses))


class CheckedAddressHandler(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """Opens ``http`` and ``https`` URLs on the addresses a :class:`WebhookTargets` check
    returned; over HTTPS the certificate is verified for the host name as usual."""

    def __init__(self, addresses: Sequence[str]) -> None:
        super().__init__()
        self._addresses = tuple(addresses)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        """Open an ``http`` request on the checked addresses."""
        return self.do_open(partial(_CheckedHTTPConnection, addresses=self._addresses), req)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        """Open an ``https`` request on the checked addresses."""
        return self.do_open(partial(_CheckedHTTPSConnection, addresses=self._addresses), req)
