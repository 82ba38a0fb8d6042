"""What each agency spent on a challenge (``CostLine``), and the exchange rates the lead agency
enters to add amounts of several currencies (``ExchangeRate``) in the challenge's reporting
currency (``CostSettings``). Prizes are not cost lines: they are read from the tracks' prizes."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from competitions.core.db import Base, SurrogateKey, TimestampMixin


class CostCategory(enum.StrEnum):
    STAFF = "staff"
    MARKETING = "marketing"
    EVENTS = "events"
    PLATFORM = "platform"
    OTHER = "other"


CATEGORY_VALUES = ", ".join(f"'{c.value}'" for c in CostCategory)


class CostLine(SurrogateKey, TimestampMixin, Base):
    """One line of an agency's spending on a challenge (staff time, marketing, ...)."""

    __tablename__ = "cost_line"
    audit_type = "cost_line"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenge.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    category: Mapped[str] = mapped_column(sa.String(16))
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    currency: Mapped[str] = mapped_column(sa.String(3))  # ISO 4217
    spent_on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.CheckConstraint(f"category IN ({CATEGORY_VALUES})", name="category_valid"),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("length(currency) = 3", name="currency_iso4217"),
        sa.Index("ix_cost_line_challenge_agency", "challenge_id", "agency_id"),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.category} {self.amount} {self.currency} ({self.spent_on.isoformat()})"

    @property
    def audit_agency_id(self) -> int:
        return self.agency_id


class CostSettings(Base):
    """The challenge's reporting currency, chosen by the lead agency."""

    __tablename__ = "cost_settings"

    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True
    )
    reporting_currency: Mapped[str] = mapped_column(sa.String(3))

    __table_args__ = (
        sa.CheckConstraint("length(reporting_currency) = 3", name="currency_iso4217"),
    )


class ExchangeRate(SurrogateKey, TimestampMixin, Base):
    """1 ``from_currency`` = ``rate`` ``to_currency``, as the lead agency read it on
    ``rate_date``. One rate per pair and challenge: entering it again replaces it (the audit
    log keeps the earlier ones)."""

    __tablename__ = "exchange_rate"
    audit_type = "exchange_rate"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenge.id", ondelete="CASCADE"))
    from_currency: Mapped[str] = mapped_column(sa.String(3))
    to_currency: Mapped[str] = mapped_column(sa.String(3))
    rate: Mapped[Decimal] = mapped_column(sa.Numeric(18, 8))
    rate_date: Mapped[date] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "from_currency", "to_currency"),
        sa.CheckConstraint("rate > 0", name="rate_positive"),
        sa.CheckConstraint("from_currency <> to_currency", name="currencies_differ"),
        sa.CheckConstraint("length(from_currency) = 3", name="from_iso4217"),
        sa.CheckConstraint("length(to_currency) = 3", name="to_iso4217"),
    )

    @property
    def audit_label(self) -> str:
        return f"1 {self.from_currency} = {self.rate} {self.to_currency}"
