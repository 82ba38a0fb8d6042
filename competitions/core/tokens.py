"""Signed, expiring tokens for links sent by email (verification, reset, invitations)."""

from __future__ import annotations

import secrets
from typing import Any, Protocol, TypeVar

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from competitions.core import clock

T = TypeVar("T")


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


class Invitable(Protocol):
    id: int
    nonce: str


def invitation_token(purpose: str, row: Invitable) -> str:
    """A link token naming ``row`` and its current nonce (a new nonce voids older links)."""
    return make_token(purpose, {"i": row.id, "n": row.nonce})


def invitation_from_token(purpose: str, token: str, model: type[T], expired_message: str) -> T:
    """The invitation row a link points to, or ``DomainError`` saying why the link is unusable.

    Whether the invitation is still open is for the caller to decide (its rules differ).
    """
    from competitions.core.errors import DomainError
    from competitions.core.extensions import db

    try:
        data = read_token(purpose, token, current_app.config["INVITATION_MAX_AGE"])
    except InvalidToken as exc:
        if exc.expired:
            raise DomainError(expired_message) from exc
        raise DomainError(_("This invitation link is not valid.")) from exc
    row = db.session.get(model, data.get("i")) if isinstance(data, dict) else None
    if row is None or getattr(row, "nonce", None) != data.get("n"):
        raise DomainError(_("This invitation link was replaced by a newer one or is not valid."))
    return row
