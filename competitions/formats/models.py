"""A user's personal calendar feed: the address is secret, so only its SHA-256 is kept."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.accounts.models import User
from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, UTCDateTime


class CalendarFeed(SurrogateKey, Base):
    """At most one per user. Making a new address replaces the hash (the old address stops
    working at once); turning the feed off deletes the row."""

    __tablename__ = "calendar_feed"
    audit_type = "calendar_feed"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    # The first characters of the secret, so that people can tell an old address from the new.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.prefix}…"
