"""Webhooks: an agency's endpoints, the events written for it, and their deliveries (the
ledger: one row per endpoint and event, with the log of each attempt)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.accounts.models import User
from competitions.agencies.models import Agency
from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, UTCDateTime
from competitions.core.sealed import Sealed


class WebhookEndpoint(SurrogateKey, Base):
    """An agency's URL subscribed to event types.

    The signing secret is kept sealed, not hashed (the server signs with it, as it computes
    TOTP codes with a TOTP secret); it is shown to the agency once, when created or rotated. After a
    rotation the previous secret also signs until ``previous_secret_until`` (Standard Webhooks
    multiple signatures), so that the receiver can switch without losing a delivery."""

    __tablename__ = "webhook_endpoint"
    audit_type = "webhook_endpoint"

    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    event_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Encrypted at rest (``core.sealed``): the server signs with them, so no hash will do.
    secret: Mapped[str] = mapped_column(Sealed())
    previous_secret: Mapped[str | None] = mapped_column(Sealed())
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agency: Mapped[Agency] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.CheckConstraint("url <> ''", name="url_not_empty"),)

    @property
    def audit_label(self) -> str:
        return self.url[:200]

    @property
    def audit_agency_id(self) -> int:
        return self.agency_id

    def secrets_in_use(self, now: datetime) -> list[str]:
        """The secrets that sign a delivery now: the current one first."""
        found = [self.secret]
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            found.append(self.previous_secret)
        return found


class WebhookEvent(SurrogateKey, Base):
    """Something that happened, told to one agency: its body is written once (the bytes every
    attempt signs and sends). ``key`` names what caused it, once per agency (a second emit of
    the same change writes nothing)."""

    __tablename__ = "webhook_event"

    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(sa.String(64))
    key: Mapped[str] = mapped_column(sa.String(200))
    message_id: Mapped[str] = mapped_column(sa.String(40), unique=True)  # webhook-id
    body: Mapped[str] = mapped_column(sa.Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    __table_args__ = (sa.UniqueConstraint("agency_id", "key"),)


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"


DELIVERY_STATUSES = tuple(s.value for s in DeliveryStatus)


class WebhookDelivery(SurrogateKey, Base):
    """One event to one endpoint (exactly one row per pair) and what became of it."""

    __tablename__ = "webhook_delivery"
    audit_type = "webhook_delivery"

    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=DeliveryStatus.QUEUED.value)
    # Claims since the delivery was written or last replayed (the retry limit counts these).
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    endpoint: Mapped[WebhookEndpoint] = relationship()
    event: Mapped[WebhookEvent] = relationship(lazy="joined")
    log: Mapped[list[WebhookAttempt]] = relationship(
        back_populates="delivery", order_by="WebhookAttempt.number.desc()"
    )

    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id"),
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.CheckConstraint(f"status IN {DELIVERY_STATUSES!r}", name="status_valid"),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.event.type} {self.event.message_id}"

    @property
    def audit_agency_id(self) -> int:
        return self.event.agency_id


class WebhookAttempt(SurrogateKey, Base):
    """One HTTP request of a delivery: when, how long, the answer's code and the start of its
    body (``BODY_KEPT`` characters), or why no answer came."""

    __tablename__ = "webhook_attempt"

    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int] = mapped_column(default=0)
    status_code: Mapped[int | None] = mapped_column()
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.String(500))

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="log")

    __table_args__ = (sa.UniqueConstraint("delivery_id", "number"),)

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
