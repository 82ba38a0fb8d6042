"""Signed, expiring tokens for links sent by email (verification, reset, invitations)."""

from __future__ import annotations

import secrets
from typing import Any, Protocol, TypeVar

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from competitions.core import clock
from competitions.core.translate import gettext as _

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


def linked_row(
    purpose: str,
    token: str,
    max_age: int,
    model: type[T],
    key: str,
    *,
    expired: Exception,
    invalid: Exception,
) -> tuple[T | None, dict[str, Any]]:
    """The row of ``model`` a link's token names by ``payload[key]`` (None if there is none),
    and the payload. Raises ``expired`` for a token that timed out and ``invalid`` for any
    other unreadable one; whether the row still matches the payload is the caller's check.
    """
    from competitions.core.extensions import db

    try:
        data = read_token(purpose, token, max_age)
    except InvalidToken as exc:
        raise (expired if exc.expired else invalid) from exc
    if not isinstance(data, dict):
        return None, {}
    return db.session.get(model, data.get(key)), data


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

    max_age = current_app.config["INVITATION_MAX_AGE"]
    expired = DomainError(expired_message)
    invalid = DomainError(_("This invitation link is not valid."))
    row, data = linked_row(purpose, token, max_age, model, "i", expired=expired, invalid=invalid)
    if row is None or getattr(row, "nonce", None) != data.get("n"):
        raise DomainError(_("This invitation link was replaced by a newer one or is not valid."))
    return row
