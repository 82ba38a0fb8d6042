"""Standard Webhooks signatures.

A secret is ``whsec_`` followed by base64 of 32 random bytes (shown once to the agency). Each
delivery carries three headers:

- ``webhook-id``: the message's id, the same on every retry (receivers use it to drop
  duplicates);
- ``webhook-timestamp``: Unix seconds when this attempt was signed;
- ``webhook-signature``: ``v1,`` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")),
  several separated by spaces while a rotated secret's old value is still honoured.

``verify`` is what a receiver does (the tests' receiver uses it): it also refuses a timestamp
further than ``TOLERANCE`` from its clock, so that a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

PREFIX = "whsec_"
TOLERANCE = 5 * 60  # seconds


class InvalidSignature(Exception):
    pass


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _key(secret: str) -> bytes:
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret.removeprefix(PREFIX), validate=True)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,…`` signature of one attempt."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(
    secrets_in_use: Iterable[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The headers of one attempt, signed with each secret in use (the new one first while a
    rotation lets the old one be honoured a little longer)."""
    signatures = " ".join(sign(s, message_id, timestamp, body) for s in secrets_in_use)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }


def verify(secret: str, received: dict[str, str], body: bytes, now: int) -> None:
    """Raise ``InvalidSignature`` unless one of the signatures is ``secret``'s and the
    timestamp is recent. Header names are matched case-insensitively."""
    h = {k.lower(): v for k, v in received.items()}
    try:
        message_id, stamp = h["webhook-id"], int(h["webhook-timestamp"])
        offered = h["webhook-signature"].split()
    except (KeyError, ValueError) as exc:
        raise InvalidSignature("missing or malformed webhook headers") from exc
    if abs(now - stamp) > TOLERANCE:
        raise InvalidSignature("timestamp too far from now")
    expected = sign(secret, message_id, stamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise InvalidSignature("no signature matches")
