"""Where a webhook may be delivered: agencies type the URLs, so a delivery must not become a
way into the server's own network (SSRF).

``check(url, allow)`` runs at each delivery (a name may resolve elsewhere tomorrow) and gives
the addresses the request may connect to: HTTPS only (plain HTTP only where ``allow_http``, for
development), no credentials in the URL, and every address the name resolves to outside
loopback, private, link-local (cloud metadata, 169.254.169.254), shared, multicast, reserved
and unspecified ranges, unless ``allow`` (a setting) names a network that contains it. The
caller connects to one of the returned addresses (not to the name again), with redirects off.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


class UnsafeDestination(Exception):
    """The URL may not be delivered to; the message says why (shown in the delivery log)."""


@dataclass(frozen=True)
class Destination:
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """The allow-list setting: networks such as ``127.0.0.1/32`` (the tests' receiver)."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def _internal(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _internal(address.ipv4_mapped)
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check(
    url: str,
    allow: Iterable[Network] = (),
    *,
    allow_http: bool = False,
    resolver: Resolver = resolve,
) -> Destination:
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise UnsafeDestination("only https:// addresses are delivered to")
    if parts.username or parts.password:
        raise UnsafeDestination("credentials in the address are not allowed")
    host = parts.hostname
    if not host:
        raise UnsafeDestination("the address has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeDestination("the address's port is not valid") from exc
    try:
        found = {ipaddress.ip_address(a.split("%")[0]) for a in resolver(host, port)}
    except (OSError, ValueError) as exc:
        raise UnsafeDestination(f"the host {host} could not be resolved") from exc
    if not found:
        raise UnsafeDestination(f"the host {host} could not be resolved")
    allowed = tuple(allow)
    for address in sorted(found, key=str):
        if _internal(address) and not any(address in net for net in allowed):
            raise UnsafeDestination(f"{host} resolves to {address}, an internal address")
    return Destination(host, port, tuple(sorted(found, key=str)))
