"""Who follows which challenge, in which language."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.core import clock
from competitions.core.db import Base, UTCDateTime

if TYPE_CHECKING:
    from competitions.challenges.models import Challenge


class SubscriptionStatus(enum.StrEnum):
    PENDING = "pending"  # asked, not yet confirmed from the email
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"


class Subscription(Base):
    """An address following a challenge. Nothing but the confirmation is sent until the address
    confirms; every later email carries a one-click unsubscribe link."""

    __tablename__ = "subscription"
    audit_type = "subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(320))
    email_normalized: Mapped[str] = mapped_column(sa.String(320))
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    status: Mapped[str] = mapped_column(sa.String(16), default=SubscriptionStatus.PENDING.value)
    # Part of every link for this subscription; a new one voids the older links.
    nonce: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    challenge: Mapped[Challenge] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "email_normalized"),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'unsubscribed')", name="subscription_status_valid"
        ),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.email} → {self.challenge_id}"
