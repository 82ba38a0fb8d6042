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

if TYPE_CHECKING:
    from competitions.agencies.models import Membership


def normalize_email(raw: str) -> str:
    """Trim, NFKC-normalize and case-fold: the form on which emails are unique."""
    return unicodedata.normalize("NFKC", raw.strip()).casefold()


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(SurrogateKey, UserMixin, TimestampMixin, Base):
    __tablename__ = "user_account"
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
    # Part of the login cookie: replacing it signs the user out everywhere.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

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
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email_normalized}>"
