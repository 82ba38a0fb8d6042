"""Finding teammates: an opt-in board per challenge, and contact requests through Tandem.

A *post* says what a person (alone, or for their team) offers and looks for, where they live
and which track they aim at; only signed-in people read the board, and only what the poster
wrote there. A *contact request* goes to the poster through Tandem: neither address is shown
until the poster accepts; then both see each other's, and may form a team (the existing team
invitation).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, UTCDateTime

if TYPE_CHECKING:
    from competitions.accounts.models import User
    from competitions.challenges.models import Challenge, Track


class PostKind(enum.StrEnum):
    INDIVIDUAL = "individual"  # a person looking for a team
    TEAM = "team"  # a team looking for members


class BoardPost(SurrogateKey, Base):
    __tablename__ = "board_post"
    audit_type = "board_post"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenge.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16), default=PostKind.INDIVIDUAL.value)
    offers: Mapped[str] = mapped_column(sa.Text)
    seeks: Mapped[str] = mapped_column(sa.Text)
    residence: Mapped[str] = mapped_column(sa.String(8))
    # Never shown: only the eligibility evaluator reads it (rules on age).
    declared_age: Mapped[int | None] = mapped_column()
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)

    challenge: Mapped[Challenge] = relationship()
    user: Mapped[User] = relationship()
    track: Mapped[Track | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "user_id"),
        sa.CheckConstraint("kind IN ('individual', 'team')", name="post_kind_valid"),
        sa.CheckConstraint(
            "declared_age IS NULL OR (declared_age >= 0 AND declared_age <= 130)",
            name="age_plausible",
        ),
        sa.CheckConstraint(
            "hidden_at IS NULL OR hidden_reason IS NOT NULL", name="hidden_has_reason"
        ),
    )

    @property
    def audit_label(self) -> str:
        return f"board post {self.id}"

    @property
    def audit_agency_id(self) -> int:
        return self.challenge.lead_agency_id


class ContactStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ContactRequest(SurrogateKey, Base):
    __tablename__ = "contact_request"
    audit_type = "contact_request"

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("board_post.id", ondelete="CASCADE"))
    from_post_id: Mapped[int] = mapped_column(sa.ForeignKey("board_post.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default=ContactStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    post: Mapped[BoardPost] = relationship(foreign_keys=[post_id])
    from_post: Mapped[BoardPost] = relationship(foreign_keys=[from_post_id])

    __table_args__ = (
        sa.UniqueConstraint("post_id", "from_post_id"),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined')", name="contact_status_valid"
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (answered_at IS NULL)", name="answered_has_time"
        ),
        sa.CheckConstraint("post_id != from_post_id", name="not_to_oneself"),
    )

    @property
    def audit_label(self) -> str:
        return f"contact {self.from_post_id} → {self.post_id}"

    @property
    def audit_agency_id(self) -> int:
        return self.post.challenge.lead_agency_id


class PostReport(SurrogateKey, Base):
    """Someone signed in reported a post (abuse, personal data); hiding the post settles it."""

    __tablename__ = "board_report"
    audit_type = "board_report"

    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("board_post.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    post: Mapped[BoardPost] = relationship()

    @property
    def audit_label(self) -> str:
        return f"report on board post {self.post_id}"

    @property
    def audit_agency_id(self) -> int:
        return self.post.challenge.lead_agency_id
