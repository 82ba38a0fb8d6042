"""API tokens: created by an agency's admins, shown once, stored as a SHA-256 hash, scoped
(read or write, one agency), expiring, revocable; every change is audited.

A token is ``tdm_`` + 43 URL-safe characters (256 random bits): a hash without a salt is
enough for a secret that cannot be guessed, and lets a request find its token in one look-up.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from competitions.agencies.models import Agency
from competitions.agencies.permissions import can_manage_agency
from competitions.api.models import SCOPES, ApiToken
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.translate import gettext as _

PREFIX = "tdm_"
LIFETIMES = (7, 30, 90, 365)  # days a new token may last
TOUCH_EVERY = timedelta(minutes=1)  # last-used time is written at most this often


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    name: str
    scope: str
    days: int


@dataclass(frozen=True)
class Issued:
    """The token and its secret: the only moment the secret exists outside the caller."""

    token: ApiToken
    secret: str


def _check(data: NewToken) -> NewToken:
    name = " ".join((data.name or "").split())
    if not name:
        raise DomainError(_("Give the token a name, such as the system that will use it."), "name")
    if len(name) > 80:
        raise DomainError(_("Use at most 80 characters."), "name")
    if data.scope not in SCOPES:
        raise DomainError(_("Choose what the token may do."), "scope")
    if data.days not in LIFETIMES:
        raise DomainError(_("Choose how long the token lasts."), "days")
    return NewToken(name, data.scope, data.days)


def create_token(actor: Actor, agency: Agency, data: NewToken) -> Issued:
    """A new token of ``agency``, for its admins (and platform admins) only."""
    if not can_manage_agency(actor.user, agency):
        raise PermissionDenied(_("Only the agency's admins manage its API tokens."), obj=agency)
    data = _check(data)
    secret = PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken(
        agency_id=agency.id,
        created_by_id=actor.user_id,
        name=data.name,
        prefix=secret[: len(PREFIX) + 6],
        secret_hash=digest(secret),
        scope=data.scope,
        created_at=now,
        expires_at=now + timedelta(days=data.days),
    )
    audit.created(
        actor,
        "api_token.created",
        token,
        after={"name": data.name, "scope": data.scope, "expires_at": token.expires_at},
    )
    return Issued(token, secret)


def revoke_token(actor: Actor, token: ApiToken) -> None:
    if not can_manage_agency(actor.user, token.agency):
        raise PermissionDenied(_("Only the agency's admins manage its API tokens."), obj=token)
    if token.revoked_at is not None:
        return
    token.revoked_at, token.revoked_by_id = clock.now(), actor.user_id
    audit.record(actor, "api_token.revoked", obj=token, agency_id=token.agency_id)


def agency_tokens(agency: Agency) -> list[ApiToken]:
    """Newest first, revoked and expired ones included (what was issued stays visible)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.agency_id == agency.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def get_token(agency: Agency, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.agency_id != agency.id:
        raise NotFound(_("No such token."))
    return token


def usable(secret: str, now: datetime) -> ApiToken | None:
    """The active token ``secret`` names, or None (unknown, revoked, expired, or its creator
    is no longer an admin of its agency: a token never does more than its creator could)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.secret_hash == digest(secret)))
    if token is None or not token.is_active(now) or token.created_by is None:
        return None
    if not can_manage_agency(token.created_by, token.agency):
        return None
    return token


def touch(token: ApiToken, now: datetime) -> bool:
    """Record that the token was used (at most once a minute); whether anything changed."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return False
    token.last_used_at = now
    return True
