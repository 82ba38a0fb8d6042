"""Who follows which challenge, in which language."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, UTCDateTime

if TYPE_CHECKING:
    from competitions.challenges.models import Challenge, Track


class SubscriptionStatus(enum.StrEnum):
    PENDING = "pending"  # asked, not yet confirmed from the email
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"


class Subscription(SurrogateKey, Base):
    """A Subscription row is a Subscriber (glossary): someone following a challenge, by email
    address, one row per challenge and address.

    The words in code: to *follow* is to ask to become a subscriber (``services.follow``, then
    ``confirm`` from the email); the people are *subscribers* (``active_subscribers``, the
    ``subscribers`` audience); the row, its status and its signed links are the
    *subscription* (``sub``). Nothing but the confirmation is sent until the address confirms;
    every later email carries a one-click unsubscribe link."""

    __tablename__ = "subscription"
    audit_type = "subscription"

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


class AnnouncementStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RELEASED = "released"  # every recipient has an outbox row, due at the release instant
    CANCELLED = "cancelled"


class Audience(enum.StrEnum):
    SUBSCRIBERS = "subscribers"  # people following the challenge (challenge-wide only)
    ENTRIES = "entries"  # every member of every active entry in scope
    SUBMITTED = "submitted"  # ... whose entry has a final submission in the round
    NOT_SUBMITTED = "not_submitted"  # ... whose entry has none yet in the round
    FINALISTS = "finalists"  # ... whose entry advances from the round
    JUDGES = "judges"  # every judge seated on a panel in scope
    JUDGES_INCOMPLETE = "judges_incomplete"  # ... with reviews left to submit in the round


class Announcement(SurrogateKey, Base):
    """One message released at one instant to an audience, in each recipient's language.

    ``track_id`` empty: a challenge-wide announcement, co-owned by every agency taking part;
    otherwise it speaks to that track's entrants and belongs to that track's agency.
    """

    __tablename__ = "announcement"
    audit_type = "announcement"

    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))
    subject: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    body: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    # One or more of ``Audience``: a person in two of them gets one email.
    audiences: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("round.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(16), default=AnnouncementStatus.DRAFT.value)
    release_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recipients: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    challenge: Mapped[Challenge] = relationship()
    track: Mapped[Track | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'released', 'cancelled')",
            name="announcement_status_valid",
        ),
        sa.CheckConstraint(
            "status != 'scheduled' OR release_at IS NOT NULL", name="scheduled_has_instant"
        ),
        sa.Index("ix_announcement_due", "status", "release_at"),
    )

    @property
    def audit_label(self) -> str:
        return next(iter(self.subject.values()), f"announcement {self.id}")

    @property
    def audit_agency_id(self) -> int:
        """A refusal on the announcement shows in its owning agency's audit log."""
        return self.agency_id

    @property
    def source(self) -> str:
        """The outbox source of its messages: one per recipient address."""
        return f"announcement:{self.id}"

    def subject_in(self, lang: str) -> str:
        return self.subject.get(lang) or next(iter(self.subject.values()), "")


DEFAULT_DEADLINE_OFFSETS = [7 * 24 * 60, 24 * 60, 120]  # minutes before a submission deadline
DEFAULT_JUDGING_OFFSETS = [3 * 24 * 60, 24 * 60]  # minutes before judging closes


class NoticeSettings(Base):
    """When a challenge reminds entrants of its submission deadlines, and judges of the close
    of judging (empty ``judging_offsets``: the defaults)."""

    __tablename__ = "notice_settings"

    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True
    )
    deadline_offsets: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    judging_offsets: Mapped[list[int] | None] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class NoticeKind(enum.StrEnum):
    DEADLINE = "deadline"  # to entries without a final submission, before the deadline
    JUDGING = "judging"  # to judges with reviews left, before judging closes


class NoticeRun(SurrogateKey, Base):
    """A reminder that was sent (or skipped, when a later one was already due): at most one per
    round, kind and offset, whatever the ticks and timeline edits."""

    __tablename__ = "notice_run"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenge.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(
        sa.String(8), default=NoticeKind.DEADLINE.value, server_default=NoticeKind.DEADLINE.value
    )
    offset_minutes: Mapped[int] = mapped_column()
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    skipped: Mapped[bool] = mapped_column(default=False)
    recipients: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.UniqueConstraint("round_id", "kind", "offset_minutes"),)


class TimelineNotice(Base):
    """A change of the shared timeline that entrants and subscribers were told about (once)."""

    __tablename__ = "timeline_notice"

    change_id: Mapped[int] = mapped_column(
        sa.ForeignKey("timeline_change.id", ondelete="CASCADE"), primary_key=True
    )
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    recipients: Mapped[int] = mapped_column(default=0)
