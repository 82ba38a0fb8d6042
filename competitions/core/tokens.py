"""Signed, expiring tokens for links sent by email (verification, reset, invitations)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from competitions.core import clock


class ClockSigner(TimestampSigner):
    """Timestamps from ``clock.now()`` so tests can move time across an expiry."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


class InvalidToken(Exception):
    """The token is malformed, tampered with, for another purpose, or expired."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"tandem.{purpose}", signer=ClockSigner
    )


def make_token(purpose: str, payload: Any) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int) -> Any:
    """Return the payload, or raise ``InvalidToken`` (with ``expired`` set when it timed out)."""
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidToken(expired=True) from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise InvalidToken() from exc


def new_nonce() -> str:
    """A random value stored with an invitation; replacing it invalidates older links."""
    return secrets.token_urlsafe(16)
