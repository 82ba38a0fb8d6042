"""Webhook destinations: only HTTPS to public addresses, checked on what the name resolves to
at delivery time; internal ranges only when the allow-list setting names them."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest

from competitions.webhooks.destinations import UnsafeDestination, check, networks


def resolver(*addresses: str) -> Callable[[str, int], list[str]]:
    return lambda host, port: list(addresses)


PUBLIC = resolver("93.184.215.14")


def test_https_to_a_public_address_is_delivered_to() -> None:
    d = check("https://hooks.example.org/tandem", resolver=PUBLIC)
    assert d.host == "hooks.example.org" and d.port == 443
    assert d.addresses == (ipaddress.ip_address("93.184.215.14"),)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.5",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space
        "0.0.0.0",  # noqa: S104
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",  # a cloud's metadata over IPv6
        "::ffff:127.0.0.1",  # loopback wrapped in IPv6
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    with pytest.raises(UnsafeDestination, match="internal address"):
        check("https://hooks.example.org/", resolver=resolver(address))


def test_one_internal_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(UnsafeDestination):
        check("https://mixed.example.org/", resolver=resolver("93.184.215.14", "10.0.0.1"))


def test_the_allow_list_lets_named_networks_through() -> None:
    allow = networks(["127.0.0.1/32", " "])
    d = check("http://127.0.0.1:8123/hook", allow, allow_http=True, resolver=resolver("127.0.0.1"))
    assert d.port == 8123
    with pytest.raises(UnsafeDestination):
        check("https://x.example/", allow, resolver=resolver("127.0.0.2"))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.org/", "only https"),
        ("ftp://hooks.example.org/", "only https"),
        ("https://user:pw@hooks.example.org/", "credentials"),
        ("https:///nohost", "no host"),
    ],
)
def test_what_is_refused_before_resolving(url: str, reason: str) -> None:
    with pytest.raises(UnsafeDestination, match=reason):
        check(url, resolver=PUBLIC)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    def fails(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(UnsafeDestination, match="could not be resolved"):
        check("https://nowhere.invalid/", resolver=fails)
    with pytest.raises(UnsafeDestination, match="port"):
        check("https://hooks.example.org:99999/", resolver=PUBLIC)
