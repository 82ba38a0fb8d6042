"""Sign-in throttling per account that nobody can turn against the account's owner.

OWASP's device cookies ("Slow Down Online Guessing Attacks with Device Cookies"):

- a browser that signs in to an account receives a signed *device cookie* naming that account
  and a random nonce (one cookie holds up to ``MAX_DEVICES`` accounts, renewed at each sign-in;
  ``remember_device``);
- an attempt from a browser whose device cookie names the account counts against that device
  (``RATELIMIT_LOGIN_DEVICE``): the failures of others never lock the owner out, and a stolen
  copy of the cookie is limited along with it;
- an attempt from any other client counts against the account for *unknown* clients
  (``RATELIMIT_LOGIN_ACCOUNT``), keyed by the typed address, so an address without an account
  is answered exactly like one with an account;
- only failures count (``failed``); while a budget is spent, its attempts are refused before
  the password is even checked (``check`` raises ``Throttled``);
- the limits per client address (``RATELIMIT_LOGIN``, on the view) stay in front of all this.

The counters live in the rate-limit storage (memory, or Redis in production), like every other
limit. Following an emailed reset link proves control of the address: that browser becomes a
known device too.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from limits import RateLimitItem, parse_many

from competitions.core import clock
from competitions.core.errors import DomainError
from competitions.core.extensions import limiter
from competitions.core.tokens import new_nonce
from competitions.core.translate import gettext as _

COOKIE_NAME = "tandem_device"
MAX_DEVICES = 5  # accounts one browser is a known device for
MAX_COOKIE = 2000  # longer than five entries can be: not ours
LIFETIME = timedelta(days=365)


@dataclass(frozen=True)
class Device:
    """One account this browser signed in to: the account, a nonce, when (epoch seconds)."""

    user_id: int
    nonce: str
    issued: int


class Throttled(DomainError):
    """Too many failed attempts for this account from this kind of client."""

    def __init__(self, message: str, retry_after: int, known_device: bool) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.known_device = known_device


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="tandem.device-cookie")


def read_devices(cookie: str | None) -> list[Device]:
    """The entries of a device cookie still valid; nothing for a missing or forged one."""
    if not cookie or len(cookie) > MAX_COOKIE:
        return []
    try:
        data: Any = _serializer().loads(cookie)
    except (BadSignature, ValueError, TypeError):
        return []
    oldest = (clock.now() - LIFETIME).timestamp()
    devices = []
    for entry in data if isinstance(data, list) else []:
        if (
            isinstance(entry, list)
            and len(entry) == 3
            and isinstance(entry[0], int)
            and isinstance(entry[1], str)
            and isinstance(entry[2], int)
            and entry[2] >= oldest
        ):
            devices.append(Device(*entry))
    return devices[:MAX_DEVICES]


def remember_device(devices: Sequence[Device], user_id: int) -> str:
    """The device cookie after ``user_id`` signed in: a new nonce for that account, first."""
    fresh = Device(user_id, new_nonce(), int(clock.now().timestamp()))
    kept = [d for d in devices if d.user_id != user_id][: MAX_DEVICES - 1]
    return str(_serializer().dumps([[d.user_id, d.nonce, d.issued] for d in [fresh, *kept]]))


def device_for(devices: Sequence[Device], user_id: int | None) -> Device | None:
    if user_id is None:
        return None
    return next((d for d in devices if d.user_id == user_id), None)


def _budget(device: Device | None, address: str) -> tuple[list[RateLimitItem], tuple[str, str]]:
    cfg = current_app.config
    if device is not None:
        return parse_many(cfg["RATELIMIT_LOGIN_DEVICE"]), ("login-device", device.nonce)
    return parse_many(cfg["RATELIMIT_LOGIN_ACCOUNT"]), ("login-account", address[:320])


def check(address: str, device: Device | None) -> None:
    """Raise ``Throttled`` when the budget of this attempt's kind of client is spent.

    ``address`` is the normalized typed address; ``device`` this browser's entry for the
    account (``None``: an unknown client).
    """
    if not limiter.enabled:
        return
    items, key = _budget(device, address)
    strategy = limiter.limiter
    for item in items:
        if not strategy.test(item, *key):
            # The storage counts in real time, whatever the application's clock says.
            reset = strategy.get_window_stats(item, *key).reset_time
            raise Throttled(
                _("You have tried this too many times. Wait a little and try again."),
                retry_after=max(1, int(reset - time.time())),
                known_device=device is not None,
            )


def failed(address: str, device: Device | None) -> None:
    """Count a failed attempt against its kind of client."""
    if not limiter.enabled:
        return
    items, key = _budget(device, address)
    for item in items:
        limiter.limiter.hit(item, *key)
