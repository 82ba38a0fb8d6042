"""The retrospective of an edition and each partner's section of it.

A ``Retrospective`` exists once the first section is written; it is a draft (each partner sees
its own section, the lead agency sees them all) until the lead publishes it to every partner.
Published, it is read-only until the lead reopens it. A ``LessonSection`` is one agency's:
three lists of lessons (one per line) and the insight sections (figures) it refers to.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, UTCDateTime

if TYPE_CHECKING:
    from competitions.agencies.models import Agency
    from competitions.challenges.models import Challenge


class RetrospectiveStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Retrospective(SurrogateKey, Base):
    __tablename__ = "retrospective"
    audit_type = "retrospective"

    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=RetrospectiveStatus.DRAFT.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    challenge: Mapped[Challenge] = relationship()
    sections: Mapped[list[LessonSection]] = relationship(
        back_populates="retrospective", order_by="LessonSection.id"
    )

    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'published')", name="status_valid"),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL)", name="published_has_instant"
        ),
    )

    @property
    def is_published(self) -> bool:
        return self.status == RetrospectiveStatus.PUBLISHED


class LessonSection(SurrogateKey, Base):
    __tablename__ = "lesson_section"
    audit_type = "lesson_section"

    retrospective_id: Mapped[int] = mapped_column(
        sa.ForeignKey("retrospective.id", ondelete="CASCADE")
    )
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="CASCADE"))
    keep: Mapped[str] = mapped_column(sa.Text, default="")
    change: Mapped[str] = mapped_column(sa.Text, default="")
    stop: Mapped[str] = mapped_column(sa.Text, default="")
    # Keys of the insight sections this agency's lessons rest on ("funnel", "outreach"...).
    figures: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    retrospective: Mapped[Retrospective] = relationship(back_populates="sections")
    agency: Mapped[Agency] = relationship()

    __table_args__ = (sa.UniqueConstraint("retrospective_id", "agency_id"),)

    def lessons(self, kind: str) -> list[str]:
        """The lessons of ``kind`` (keep, change or stop), one per non-empty line."""
        return [line.strip() for line in str(getattr(self, kind)).splitlines() if line.strip()]

    @property
    def is_empty(self) -> bool:
        return not any(self.lessons(kind) for kind in KINDS)


KINDS = ("keep", "change", "stop")
