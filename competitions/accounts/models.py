"""Accounts: people who sign in."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.core.db import Base, SurrogateKey, TimestampMixin, UTCDateTime
from competitions.core.sealed import Sealed

if TYPE_CHECKING:
    from competitions.agencies.models import Membership


def normalize_email(raw: str) -> str:
    """Trim, NFKC-normalize and case-fold: the form on which emails are unique."""
    return unicodedata.normalize("NFKC", raw.strip()).casefold()


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(SurrogateKey, UserMixin, TimestampMixin, Base):
    __tablename__ = "user_account"
    __allow_unmapped__ = True  # for ``session_cookie_id``, which is not a column
    audit_type = "user"

    email: Mapped[str] = mapped_column(sa.String(320))
    email_normalized: Mapped[str] = mapped_column(sa.String(320), unique=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    country: Mapped[str] = mapped_column(sa.String(2))
    preferred_language: Mapped[str] = mapped_column(sa.String(8), default="en")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    # Stamped on each of the account's sessions: replacing it ends them all (``sessions``).
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    #: What Flask-Login keeps in the session and remember-me cookies for the sign-in this
    #: object was loaded or signed in with (``accounts.sessions``); not stored on the row.
    session_cookie_id: str | None = None

    # Loaded at the first permission check that needs them (one query per request), not with
    # every user a page lists (team members, judges).
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("email_normalized <> ''", name="email_not_empty"),
        sa.CheckConstraint("length(country) = 2", name="country_iso2"),
    )

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def audit_label(self) -> str:
        return self.email

    def get_id(self) -> str:
        """Flask-Login's identifier: the account session's, never the account's alone."""
        if self.session_cookie_id is None:
            raise RuntimeError("sign in through accounts.sessions.begin()")
        return self.session_cookie_id

    # Two objects are the same person when they are the same row (Flask-Login's mixin
    # compares get_id(), which only a signed-in object has).
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    __hash__ = object.__hash__

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email_normalized}>"


class AccountSession(SurrogateKey, Base):
    """One signed-in browser. Its cookies carry ``"<user id>:<key>"``; the row keeps the
    key's SHA-256 and the rules of its life (``accounts.sessions``). Deleting the row signs
    that browser out for good, whichever copies of its cookies exist."""

    __tablename__ = "account_session"
    audit_type = "account_session"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The account's session_token when the session began; a rotated token ends it.
    account_token: Mapped[str] = mapped_column(sa.String(64))
    remember: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(sa.String(255), default="")
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The account belonged to an agency when last seen: the stricter limits apply.
    member: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    user: Mapped[User] = relationship()

    __table_args__ = (sa.CheckConstraint("expires_at > created_at", name="expires_after_start"),)


class TotpCredential(SurrogateKey, Base):
    """An account's authenticator app (RFC 6238 TOTP, ``accounts.mfa``). Unconfirmed
    (``confirmed_at`` None) while the person enrols; it counts only once confirmed with a code.
    ``last_step`` is the time step of the last code accepted: a code is never accepted twice."""

    __tablename__ = "account_totp"
    audit_type = "totp"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    secret: Mapped[str] = mapped_column(Sealed())  # encrypted at rest (core.sealed)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_step: Mapped[int | None] = mapped_column(sa.BigInteger())


class RecoveryCode(SurrogateKey, Base):
    """One single-use recovery code, kept only as a salted SHA-256 (``accounts.mfa``)."""

    __tablename__ = "account_recovery_code"
    audit_type = "recovery_code"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    salt: Mapped[str] = mapped_column(sa.String(32))
    digest: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PendingSignIn(SurrogateKey, Base):
    """A sign-in between its two steps: the password was right, the second factor is awaited.
    The browser's (signed) session cookie holds the key; the row keeps its SHA-256 and ends
    after ``MFA_PENDING_SECONDS``. No ``AccountSession`` exists until the second step."""

    __tablename__ = "account_pending_sign_in"
    audit_type = "pending_sign_in"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    next_url: Mapped[str] = mapped_column(sa.String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class Passkey(SurrogateKey, Base):
    """A WebAuthn credential (a passkey or security key) registered as a second step
    (``accounts.passkeys``): its id, its public key (COSE) and the authenticator's counter."""

    __tablename__ = "account_passkey"
    audit_type = "passkey"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[str] = mapped_column(sa.String(1400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary())
    sign_count: Mapped[int] = mapped_column(sa.BigInteger(), default=0)
    name: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def audit_label(self) -> str:
        return self.name
