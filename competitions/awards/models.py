"""After the results: awards given to winning entries, their prize conditions and payouts, and
the scale-up budget ("budget for success") each agency reserves when a challenge is set up.

An award moves ``pending_conditions → approved → paid``; the database refuses an approval
while a condition is open (``open_conditions``, kept by the services, must be 0) and a payment
without its date and reference. A condition's evidence is an eligibility document of the
winning entry (a ``DocumentRequirement`` asked of that entry only), reviewed by the agency.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.challenges.models import Translations, pick
from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, TimestampMixin, UTCDateTime

if TYPE_CHECKING:
    from competitions.agencies.models import Agency
    from competitions.challenges.models import Challenge, Prize, Round, Track
    from competitions.entries.models import DocumentRequirement, EligibilityDocument, Entry


class AwardStatus(enum.StrEnum):
    PENDING_CONDITIONS = "pending_conditions"
    APPROVED = "approved"
    PAID = "paid"


class ConditionStatus(enum.StrEnum):
    OPEN = "open"
    SATISFIED = "satisfied"


class Award(SurrogateKey, TimestampMixin, Base):
    """A prize given to a winning entry: what, how much, in which currency, and where its
    payment stands."""

    __tablename__ = "award"
    audit_type = "award"

    track_id: Mapped[int] = mapped_column(
        sa.ForeignKey("track.id", ondelete="RESTRICT"), index=True
    )
    entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("entry.id", ondelete="RESTRICT"), index=True
    )
    # The released round whose results the award follows.
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="RESTRICT"))
    prize_id: Mapped[int | None] = mapped_column(sa.ForeignKey("prize.id", ondelete="SET NULL"))
    # The prize's name when it was awarded: the prize may be renamed or removed later.
    prize_label: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    currency: Mapped[str] = mapped_column(sa.String(3))  # ISO 4217
    status: Mapped[str] = mapped_column(sa.String(24), default=AwardStatus.PENDING_CONDITIONS)
    open_conditions: Mapped[int] = mapped_column(default=0)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    paid_on: Mapped[date | None] = mapped_column(sa.Date)
    payment_reference: Mapped[str | None] = mapped_column(sa.String(120))
    paid_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    track: Mapped[Track] = relationship(lazy="joined")
    entry: Mapped[Entry] = relationship(lazy="joined")
    round: Mapped[Round] = relationship()
    prize: Mapped[Prize | None] = relationship()
    conditions: Mapped[list[AwardCondition]] = relationship(
        back_populates="award",
        order_by="AwardCondition.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending_conditions', 'approved', 'paid')", name="status_valid"
        ),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint(
            "length(currency) = 3 AND currency = upper(currency)", name="currency_iso4217"
        ),
        sa.CheckConstraint("open_conditions >= 0", name="open_conditions_not_negative"),
        # Approved (or paid) only once every condition is satisfied, and by someone, when.
        sa.CheckConstraint(
            "status = 'pending_conditions' OR (open_conditions = 0 AND approved_at IS NOT NULL)",
            name="approved_needs_conditions",
        ),
        # Paid with the date of the payment and its reference, never without.
        sa.CheckConstraint(
            "(status = 'paid') = (paid_on IS NOT NULL AND payment_reference IS NOT NULL "
            "AND paid_recorded_at IS NOT NULL)",
            name="paid_has_date_and_reference",
        ),
        sa.CheckConstraint(
            "payment_reference IS NULL OR payment_reference <> ''", name="reference_not_empty"
        ),
        sa.UniqueConstraint("entry_id", "prize_id"),
    )

    @property
    def audit_label(self) -> str:
        return f"{pick(self.prize_label, 'en')} → {self.entry.team.name} ({self.currency})"

    @property
    def audit_agency_id(self) -> int:
        return self.track.agency_id

    def prize_in(self, lang: str) -> str:
        return pick(self.prize_label, lang, self.track.languages)

    @property
    def is_pending(self) -> bool:
        return self.status == AwardStatus.PENDING_CONDITIONS


class AwardCondition(SurrogateKey, Base):
    """A prize condition that applies to an award (from the track's rules, as worded then),
    satisfied once the agency verifies the evidence the team sent for it."""

    __tablename__ = "award_condition"
    audit_type = "award_condition"

    award_id: Mapped[int] = mapped_column(sa.ForeignKey("award.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    # The evidence slot: a document requirement asked of the winning entry only.
    requirement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document_requirement.id", ondelete="RESTRICT"), unique=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=ConditionStatus.OPEN)
    satisfied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    satisfied_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # The verified document that satisfied it (kept even if a newer upload replaces it).
    evidence_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("eligibility_document.id", ondelete="SET NULL")
    )

    award: Mapped[Award] = relationship(back_populates="conditions")
    requirement: Mapped[DocumentRequirement] = relationship(lazy="joined")
    evidence: Mapped[EligibilityDocument | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'satisfied')", name="status_valid"),
        sa.CheckConstraint(
            "(status = 'satisfied') = (satisfied_at IS NOT NULL)", name="satisfied_has_time"
        ),
    )

    @property
    def audit_label(self) -> str:
        return pick(self.text, "en")

    def text_in(self, lang: str) -> str:
        return pick(self.text, lang, self.award.track.languages)

    @property
    def is_satisfied(self) -> bool:
        return self.status == ConditionStatus.SATISFIED


class Reserve(SurrogateKey, TimestampMixin, Base):
    """An agency's scale-up budget for a challenge ("budget for success"): set aside when the
    challenge is set up, drawn down by pilots (``ReserveDraw``)."""

    __tablename__ = "reserve"
    audit_type = "reserve"

    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    currency: Mapped[str] = mapped_column(sa.String(3))  # ISO 4217
    # What it may fund, per language (pilots in the agency's test-bed, procurement, …).
    purpose: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    # Shown on the public track page next to the prizes when the agency says so.
    public: Mapped[bool] = mapped_column(default=False)

    challenge: Mapped[Challenge] = relationship()
    agency: Mapped[Agency] = relationship(lazy="joined")
    draws: Mapped[list[ReserveDraw]] = relationship(
        back_populates="reserve", order_by="ReserveDraw.id", lazy="selectin"
    )

    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "agency_id"),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint(
            "length(currency) = 3 AND currency = upper(currency)", name="currency_iso4217"
        ),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.agency.name}: {self.amount} {self.currency}"

    @property
    def audit_agency_id(self) -> int:
        return self.agency_id

    @property
    def drawn(self) -> Decimal:
        return sum((d.amount for d in self.draws), Decimal("0"))

    @property
    def available(self) -> Decimal:
        return self.amount - self.drawn

    def purpose_in(self, lang: str, fallback: list[str] | tuple[str, ...] = ()) -> str:
        return pick(self.purpose, lang, fallback)


class ReserveDraw(SurrogateKey, Base):
    """Money taken from a reserve, in its currency (pilots will add their draws here)."""

    __tablename__ = "reserve_draw"

    reserve_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reserve.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    purpose: Mapped[str] = mapped_column(sa.String(400))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    drawn_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    reserve: Mapped[Reserve] = relationship(back_populates="draws")

    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)
