"""One webhook request, made so that an agency's URL cannot reach into the server's network.

At each attempt the URL is checked and its name resolved (``destinations.check``); the
connection goes to one of the addresses that check approved (never to the name again, so a
name that resolves elsewhere a moment later cannot slip through), with TLS verified against
the host name. Redirects are not followed (a 3xx is a failed attempt like any non-2xx); the
connection and each read have a timeout, and the whole exchange a deadline; at most
``cap`` bytes of the answer are read.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from competitions.webhooks.destinations import (
    Network,
    Resolver,
    UnsafeDestination,
    check,
    resolve,
)


@dataclass(frozen=True)
class Policy:
    allow: tuple[Network, ...] = ()
    allow_http: bool = False
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    cap: int = 2048  # bytes of the answer read
    resolver: Resolver = resolve


@dataclass(frozen=True)
class Answer:
    """What one attempt got: a status code and the start of the body, or an error."""

    status_code: int | None
    body: bytes
    duration_ms: int
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _Pinned(http.client.HTTPConnection):
    """An HTTP connection to a given address (the host name is only the Host header)."""

    def __init__(
        self, host: str, port: int, address: str, connect_timeout: float, read_timeout: float
    ) -> None:
        super().__init__(host, port, timeout=read_timeout)
        self._address = address
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), self._connect_timeout)
        sock.settimeout(self._read_timeout)
        return sock

    def connect(self) -> None:
        self.sock = self._open()


class _PinnedTLS(_Pinned):
    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._open(), server_hostname=self.host)


def _read(response: http.client.HTTPResponse, cap: int, deadline: float) -> bytes:
    chunks, left = [], cap
    while left > 0 and time.monotonic() < deadline:
        chunk = response.read1(min(left, 1024)) if hasattr(response, "read1") else b""
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _addresses(found: Iterable[object]) -> list[str]:
    return [str(a) for a in found]


def post(url: str, headers: dict[str, str], body: bytes, policy: Policy) -> Answer:
    """POST ``body`` to ``url``; never raises for what the network or the receiver does."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        destination = check(
            url, policy.allow, allow_http=policy.allow_http, resolver=policy.resolver
        )
    except UnsafeDestination as exc:
        return Answer(None, b"", took(), f"refused: {exc}")
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = _PinnedTLS if parts.scheme == "https" else _Pinned
    deadline = started + policy.connect_timeout + 2 * policy.read_timeout
    error = "no address answered"
    for address in _addresses(destination.addresses):
        conn = kind(
            destination.host, destination.port, address, policy.connect_timeout, policy.read_timeout
        )
        try:
            try:
                conn.connect()
            except OSError as exc:
                error = f"could not connect to {address}: {exc}"
                continue
            conn.request(
                "POST",
                target,
                body=body,
                headers={**headers, "Content-Length": str(len(body)), "Connection": "close"},
            )
            response = conn.getresponse()
            data = _read(response, policy.cap, deadline)
            return Answer(response.status, data, took())
        except TimeoutError:
            return Answer(None, b"", took(), "timed out waiting for the answer")
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            return Answer(None, b"", took(), f"{type(exc).__name__}: {exc}"[:500])
        finally:
            conn.close()
    return Answer(None, b"", took(), error[:500])
