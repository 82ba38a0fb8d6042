"""Each user's personal calendar feed: a secret address, made and revoked by its owner.

The secret is ``cal_`` + 43 URL-safe characters (256 random bits); only its SHA-256 is kept
(as for API tokens, ``api.tokens``), so the address is shown once, when it is made. Making a
new one replaces the hash in place: the old address answers 404 from that moment. Every
change is an audit event of the account.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from competitions.accounts.models import User
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import PermissionDenied
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.formats.models import CalendarFeed

PREFIX = "cal_"
TOUCH_EVERY = timedelta(hours=1)  # calendar apps poll often; last use is written at most hourly


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Issued:
    """The feed and its secret: the only moment the secret exists outside the caller."""

    feed: CalendarFeed
    secret: str
    replaced: bool


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def _own(actor: Actor, user: User) -> None:
    if actor.user is None or actor.user.id != user.id:
        raise PermissionDenied(_("Only you can manage your calendar feed."), obj=user)


def issue(actor: Actor, user: User) -> Issued:
    """A new secret address for ``user``'s feed; an existing address stops working."""
    _own(actor, user)
    secret = PREFIX + secrets.token_urlsafe(32)
    feed = feed_of(user)
    replaced = feed is not None
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.prefix = secret[: len(PREFIX) + 6]
    feed.secret_hash = digest(secret)
    feed.created_at, feed.last_used_at = clock.now(), None
    db.session.flush()
    action = "account.calendar_feed_replaced" if replaced else "account.calendar_feed_created"
    audit.record(actor, action, obj=user, after={"starts_with": feed.prefix})
    return Issued(feed, secret, replaced)


def revoke(actor: Actor, user: User) -> bool:
    """Turn the feed off; whether there was one."""
    _own(actor, user)
    feed = feed_of(user)
    if feed is None:
        return False
    audit.record(
        actor, "account.calendar_feed_revoked", obj=user, before={"starts_with": feed.prefix}
    )
    db.session.delete(feed)
    return True


def usable(secret: str) -> CalendarFeed | None:
    """The feed ``secret`` opens, or None (unknown, replaced, revoked, or its owner's account
    is disabled)."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.secret_hash == digest(secret)))
    if feed is None or feed.user.disabled_at is not None:
        return None
    return feed


def touch(feed: CalendarFeed, now: datetime) -> bool:
    """Record that the feed was read (at most hourly); whether anything changed."""
    if feed.last_used_at is not None and now - feed.last_used_at < TOUCH_EVERY:
        return False
    feed.last_used_at = now
    return True
