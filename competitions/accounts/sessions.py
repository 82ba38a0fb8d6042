"""Server-side sessions: one ``AccountSession`` row per signed-in browser.

Flask's session cookie and Flask-Login's remember-me cookie carry only ``"<user id>:<key>"``
(``begin``); the row keeps the key's SHA-256, so a copy of the database signs nobody in. A
request is signed in (``resume``) only while its row says so:

- the row exists: signing out, ending it from the list of sessions and "sign out everywhere"
  delete it, so every copy of its cookies (a stolen one included) stops working at once;
- it is not past ``expires_at``: the remember-me lifetime (``REMEMBER_COOKIE_DURATION``, 30
  days) for a remembered sign-in, ``SESSION_MAX_AGE`` (12 hours) otherwise. The remember-me
  cookie is signed but holds no date: the row is what ends it;
- it carries the account's current ``session_token``: rotating the token (a password change or
  reset, an email change, "sign out everywhere") ends all the account's sessions, and
  ``end_all(keep=...)`` stamps the one that stays;
- the account is active;
- for an agency member (someone with a membership), it was seen less than
  ``MEMBER_SESSION_IDLE`` ago (30 minutes) and began less than ``MEMBER_SESSION_MAX_AGE`` ago
  (12 hours), remember-me or not. Whether the account is a member is read again whenever
  ``last_seen_at`` moves, so a membership granted during a session brings its limits within a
  minute; the idle time is measured from that minute (a session may end up to a minute early).

``last_seen_at`` moves at most once a minute (``TOUCH_EVERY``), so a signed-in page costs a
write only that often.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from hashlib import sha256
from typing import Any

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from competitions.accounts.models import AccountSession, PendingSignIn, User
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import NotFound
from competitions.core.extensions import db

TOUCH_EVERY = timedelta(minutes=1)

#: Facts about the signed-in account that every page's navigation asks for, read by the same
#: statement as the session (a query less per page): name -> a function building a boolean
#: SQL expression correlated to ``AccountSession.user_id``. Other packages register theirs
#: (``judging.home_sections``), so this one depends on none of them.
ACCOUNT_FACTS: dict[str, Callable[[], Any]] = {}
MAX_COOKIE_ID = 100  # "<id>:<43 characters>"; anything longer is not ours
USER_AGENT_LENGTH = 255  # the column's length


def _hash(key: str) -> str:
    return sha256(key.encode()).hexdigest()


def _lifetime(remember: bool) -> timedelta:
    cfg = current_app.config
    seconds = cfg["REMEMBER_COOKIE_DURATION"] if remember else cfg["SESSION_MAX_AGE"]
    return seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)


def _seconds(key: str) -> timedelta:
    return timedelta(seconds=current_app.config[key])


def usable(record: AccountSession, now: datetime) -> bool:
    """Whether ``record`` may still sign its browser in at ``now`` (see the module's rules)."""
    user = record.user
    if not user.is_active or record.account_token != user.session_token:
        return False
    if now >= record.expires_at:
        return False
    if record.member:
        idle = now - record.last_seen_at >= _seconds("MEMBER_SESSION_IDLE")
        return not idle and now - record.created_at < _seconds("MEMBER_SESSION_MAX_AGE")
    return True


def ends_at(record: AccountSession) -> datetime:
    """When ``record`` ends at the latest (an agency member's may end sooner, when idle)."""
    if record.member:
        return min(record.expires_at, record.created_at + _seconds("MEMBER_SESSION_MAX_AGE"))
    return record.expires_at


def begin(actor: Actor, user: User, *, remember: bool, user_agent: str) -> AccountSession:
    """Open a session for ``user`` signing in from ``actor.ip`` with ``user_agent``; the user
    object then carries the cookie identifier that ``login_user`` stores."""
    now = clock.now()
    _forget_finished(user, now)
    key = secrets.token_urlsafe(32)
    record = AccountSession(
        user=user,
        key_hash=_hash(key),
        account_token=user.session_token,
        remember=remember,
        user_agent=audit.neutralize(user_agent or "", USER_AGENT_LENGTH),
        ip=audit.neutralize(actor.ip, 64),
        created_at=now,
        last_seen_at=now,
        expires_at=now + _lifetime(remember),
        member=bool(user.memberships),
    )
    db.session.add(record)
    db.session.flush()
    user.session_cookie_id = f"{user.id}:{key}"
    return record


def _forget_finished(user: User, now: datetime) -> None:
    """Delete the account's sessions that can no longer be used: nobody sees them, and they
    would pile up."""
    rows = db.session.scalars(select(AccountSession).where(AccountSession.user_id == user.id))
    for record in rows:
        if not usable(record, now):
            db.session.delete(record)


@dataclass(frozen=True)
class Resumed:
    """A request's session: the row, and whether ``resume`` changed it (to be committed)."""

    record: AccountSession
    touched: bool
    facts: dict[str, bool] = field(default_factory=dict)


def resume(cookie_id: str) -> Resumed | None:
    """The session a cookie names, if it may still be used; ``None`` signs the request out."""
    uid, _sep, key = cookie_id.partition(":")
    if not uid.isdigit() or not key or len(cookie_id) > MAX_COOKIE_ID:
        return None
    # One statement for the session, its account and the account's memberships (every
    # signed-in page's navigation asks for them).
    names = list(ACCOUNT_FACTS)
    row = (
        db.session.execute(
            select(AccountSession, *(ACCOUNT_FACTS[n]().label(n) for n in names))
            .options(joinedload(AccountSession.user).joinedload(User.memberships))
            .where(AccountSession.key_hash == _hash(key))
        )
        .unique()
        .one_or_none()
    )
    record = row[0] if row is not None else None
    if row is None or record is None or str(record.user_id) != uid:
        return None
    now = clock.now()
    if not usable(record, now):
        return None
    record.user.session_cookie_id = cookie_id
    touched = now - record.last_seen_at >= TOUCH_EVERY
    if touched:
        record.last_seen_at = now
        record.member = bool(record.user.memberships)
    return Resumed(record, touched, {n: bool(v) for n, v in zip(names, row[1:], strict=True)})


def active(user: User) -> list[AccountSession]:
    """The account's sessions that may still be used, the most recently seen first."""
    now = clock.now()
    rows = db.session.scalars(
        select(AccountSession)
        .where(AccountSession.user_id == user.id)
        .order_by(AccountSession.last_seen_at.desc(), AccountSession.id.desc())
    )
    return [record for record in rows if usable(record, now)]


def _end(actor: Actor, user: User, session_id: int | None, action: str) -> None:
    record = db.session.get(AccountSession, session_id) if session_id is not None else None
    if record is None or record.user_id != user.id:
        raise NotFound("no such session")
    db.session.delete(record)
    audit.record(actor, action, obj=user, after={"session": session_id, "ip": record.ip})


def end(actor: Actor, user: User, session_id: int) -> None:
    """End one of ``user``'s sessions from the list (``NotFound`` for anyone else's)."""
    _end(actor, user, session_id, "account.session_ended")


def sign_out(actor: Actor, user: User, session_id: int | None) -> None:
    """End the session ``user`` signs out of (this browser's only)."""
    _end(actor, user, session_id, "account.logout")


def end_all(user: User, *, keep: int | None = None) -> None:
    """End every session of ``user`` but ``keep`` (this browser's, when it stays signed in).

    Rotates the account's token, so a session begun meanwhile in another request ends too.
    """
    user.rotate_session_token()
    # A sign-in waiting for its second step began with the old password: it ends too.
    db.session.execute(delete(PendingSignIn).where(PendingSignIn.user_id == user.id))
    query = delete(AccountSession).where(AccountSession.user_id == user.id)
    if keep is not None:
        query = query.where(AccountSession.id != keep)
        kept = db.session.get(AccountSession, keep)
        if kept is not None and kept.user_id == user.id:
            kept.account_token = user.session_token
    db.session.execute(query, execution_options={"synchronize_session": "fetch"})


def sign_out_everywhere(actor: Actor, user: User) -> None:
    """End all of ``user``'s sessions, this one and every remembered browser included."""
    end_all(user)
    audit.record(actor, "account.signed_out_everywhere", obj=user)
