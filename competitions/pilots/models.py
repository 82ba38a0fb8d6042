"""Pilots: after the award, a host agency (any agency taking part in the challenge) offers a
winner a pilot in its test-bed; the winning team accepts or declines.

The life of a pilot::

    offered --(team lead accepts: the budget is drawn from the host's reserve)--> active
    offered --(team lead declines)--> declined
    active --(host ends it: scaled, extended or stopped, with the reasons)--> ended

A pilot has objectives, KPIs (baseline, target, unit) measured over time, a plan of milestones
(a 100-day template by default, editable) that the host signs off, status updates the team
posts, and the people involved on both sides. The database refuses an ended pilot without its
outcome and reasons, a signed-off milestone without who and when.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, TimestampMixin, UTCDateTime

if TYPE_CHECKING:
    from competitions.accounts.models import User
    from competitions.agencies.models import Agency
    from competitions.awards.models import Award, ReserveDraw


class PilotStatus(enum.StrEnum):
    OFFERED = "offered"
    ACTIVE = "active"
    DECLINED = "declined"
    ENDED = "ended"


class PilotOutcome(enum.StrEnum):
    SCALED = "scaled"
    EXTENDED = "extended"
    STOPPED = "stopped"


class Pilot(SurrogateKey, TimestampMixin, Base):
    """A winner's pilot in a host agency's test-bed."""

    __tablename__ = "pilot"
    audit_type = "pilot"

    award_id: Mapped[int] = mapped_column(
        sa.ForeignKey("award.id", ondelete="RESTRICT"), index=True
    )
    host_agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    test_bed: Mapped[str] = mapped_column(sa.String(200))
    objectives: Mapped[str] = mapped_column(sa.Text)
    # The people involved at the host (names and roles); the team's side is its members.
    host_people: Mapped[str] = mapped_column(sa.Text, default="")
    starts_on: Mapped[date] = mapped_column(sa.Date)
    # What the pilot draws from the host's budget for success when accepted (0: nothing).
    budget: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    draw_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("reserve_draw.id", ondelete="RESTRICT"), unique=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=PilotStatus.OFFERED)
    offered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    # Why it ended so: the lesson kept for the next pilots.
    reasons: Mapped[str | None] = mapped_column(sa.Text)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # The public page needs both sides' consent; either side withdraws by turning its own off.
    public_by_host: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    public_by_team: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    award: Mapped[Award] = relationship(lazy="joined")
    host: Mapped[Agency] = relationship(lazy="joined")
    draw: Mapped[ReserveDraw | None] = relationship()
    kpis: Mapped[list[PilotKPI]] = relationship(
        back_populates="pilot", order_by="PilotKPI.id", lazy="selectin"
    )
    milestones: Mapped[list[PilotMilestone]] = relationship(
        back_populates="pilot",
        order_by="(PilotMilestone.due_on, PilotMilestone.id)",
        lazy="selectin",
        cascade="all, delete-orphan",
    )
    updates: Mapped[list[PilotUpdate]] = relationship(
        back_populates="pilot", order_by="PilotUpdate.id.desc()", lazy="selectin"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('offered', 'active', 'declined', 'ended')", name="status_valid"
        ),
        sa.CheckConstraint("budget >= 0", name="budget_not_negative"),
        sa.CheckConstraint(
            "length(currency) = 3 AND currency = upper(currency)", name="currency_iso4217"
        ),
        sa.CheckConstraint("status = 'offered' OR decided_at IS NOT NULL", name="decided_has_time"),
        # Ended with an outcome and its reasons, never without; an outcome only when ended.
        sa.CheckConstraint(
            "(status = 'ended') = (outcome IS NOT NULL AND reasons IS NOT NULL "
            "AND ended_at IS NOT NULL)",
            name="ended_has_outcome",
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('scaled', 'extended', 'stopped')",
            name="outcome_valid",
        ),
        # A single pilot of a winner in one host's test-bed at a time (declined ones aside
        # would need a partial index; one per host and award keeps it simple).
        sa.UniqueConstraint("award_id", "host_agency_id"),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.award.entry.team.name} @ {self.test_bed}"

    @property
    def audit_agency_id(self) -> int:
        return self.host_agency_id

    @property
    def is_active(self) -> bool:
        return self.status == PilotStatus.ACTIVE

    @property
    def is_public(self) -> bool:
        """Both the host and the team opted in, and the pilot ran (offers and declined ones
        are never public)."""
        return (
            self.public_by_host
            and self.public_by_team
            and self.status in (PilotStatus.ACTIVE, PilotStatus.ENDED)
        )


class PilotKPI(SurrogateKey, Base):
    """A key performance indicator of a pilot: measured in ``unit``, from ``baseline``
    towards ``target``."""

    __tablename__ = "pilot_kpi"

    pilot_id: Mapped[int] = mapped_column(sa.ForeignKey("pilot.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # What matches this KPI with the same KPI of the winner's pilots in other hosts (whose
    # names are in their own languages); empty: the name matches, ignoring case.
    key: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")
    unit: Mapped[str] = mapped_column(sa.String(40))
    baseline: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4))
    target: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4))

    pilot: Mapped[Pilot] = relationship(back_populates="kpis")
    measurements: Mapped[list[KPIMeasurement]] = relationship(
        back_populates="kpi",
        order_by="(KPIMeasurement.measured_on, KPIMeasurement.id)",
        lazy="selectin",
    )

    __table_args__ = (sa.UniqueConstraint("pilot_id", "name"),)

    @property
    def match_key(self) -> str:
        return (self.key or self.name).casefold()


class KPIMeasurement(SurrogateKey, Base):
    __tablename__ = "kpi_measurement"

    kpi_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pilot_kpi.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[Decimal] = mapped_column(sa.Numeric(18, 4))
    measured_on: Mapped[date] = mapped_column(sa.Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    kpi: Mapped[PilotKPI] = relationship(back_populates="measurements")
    recorded_by: Mapped[User | None] = relationship(lazy="joined")


class PilotMilestone(SurrogateKey, Base):
    """A step of a pilot's plan, due on a day, signed off by the host."""

    __tablename__ = "pilot_milestone"

    pilot_id: Mapped[int] = mapped_column(sa.ForeignKey("pilot.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date] = mapped_column(sa.Date, index=True)
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_off_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    pilot: Mapped[Pilot] = relationship(back_populates="milestones")

    __table_args__ = (
        sa.CheckConstraint(
            "signed_off_by_id IS NULL OR signed_off_at IS NOT NULL", name="signed_off_has_time"
        ),
    )

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None


class PilotUpdate(SurrogateKey, Base):
    """A status update the team posts on its pilot."""

    __tablename__ = "pilot_update"

    pilot_id: Mapped[int] = mapped_column(sa.ForeignKey("pilot.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    posted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    pilot: Mapped[Pilot] = relationship(back_populates="updates")
    posted_by: Mapped[User | None] = relationship(lazy="joined")
