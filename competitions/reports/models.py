"""The open data a lead agency published for a challenge: a snapshot of aggregates only."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, UTCDateTime

if TYPE_CHECKING:
    from competitions.challenges.models import Challenge


class OpenDataRelease(SurrogateKey, Base):
    """What the public downloads, frozen when published (republishing refreshes it), so the
    figures do not change under a reader's feet nor show anything decided later."""

    __tablename__ = "open_data_release"
    audit_type = "open_data_release"

    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="CASCADE"), unique=True
    )
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    document: Mapped[dict[str, Any]] = mapped_column(sa.JSON)

    challenge: Mapped[Challenge] = relationship()
