"""Agencies (government bodies, cities), their members and invitations."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.accounts.models import User
from competitions.core import clock
from competitions.core.db import Base, TimestampMixin, UTCDateTime
from competitions.core.tokens import new_nonce


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"


ROLE_VALUES = tuple(r.value for r in Role)


class Agency(TimestampMixin, Base):
    __tablename__ = "agency"
    audit_type = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    short_name: Mapped[str | None] = mapped_column(sa.String(40))
    # ISO 3166-1 alpha-2 country, or ISO 3166-2 subdivision (a city-state, a province).
    jurisdiction: Mapped[str] = mapped_column(sa.String(8))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    website: Mapped[str | None] = mapped_column(sa.String(400))
    logo_key: Mapped[str | None] = mapped_column(sa.String(80))
    logo_mime: Mapped[str | None] = mapped_column(sa.String(40))

    # Loaded on demand (the console); pages that only show an agency's name do not need it.
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="agency", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("slug <> ''", name="slug_not_empty"),
        sa.CheckConstraint("name <> ''", name="name_not_empty"),
    )

    @property
    def audit_label(self) -> str:
        return self.name

    @property
    def audit_agency_id(self) -> int:
        return self.id

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def snapshot(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "short_name": self.short_name,
            "jurisdiction": self.jurisdiction,
            "timezone": self.timezone,
            "languages": list(self.languages or []),
            "website": self.website,
            "logo": self.logo_key,
        }


class Membership(TimestampMixin, Base):
    __tablename__ = "membership"
    audit_type = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(16))

    user: Mapped[User] = relationship(back_populates="memberships")
    agency: Mapped[Agency] = relationship(back_populates="memberships", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "agency_id"),
        sa.CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role_valid"),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.user.email} @ {self.agency.slug}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"
    EXPIRED = "expired"


class AgencyInvitation(Base):
    """An emailed offer to join an agency with a role. The link carries a signed token."""

    __tablename__ = "agency_invitation"
    audit_type = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(320))
    email_normalized: Mapped[str] = mapped_column(sa.String(320), index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    # Re-sending replaces the nonce, which invalidates links sent earlier.
    nonce: Mapped[str] = mapped_column(sa.String(64), default=new_nonce)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A closed invitation has a resolution (accepted | declined | revoked) and when.
    resolution: Mapped[str | None] = mapped_column(sa.String(16))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    agency: Mapped[Agency] = relationship(Agency, lazy="joined")
    invited_by: Mapped[User | None] = relationship(User, foreign_keys=[invited_by_id])

    __table_args__ = (
        sa.CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role_valid"),
        sa.CheckConstraint(
            "resolution IS NULL OR resolution IN ('accepted', 'declined', 'revoked')",
            name="resolution_valid",
        ),
        sa.CheckConstraint(
            "(resolution IS NULL) = (resolved_at IS NULL)", name="resolution_has_time"
        ),
        # At most one open invitation per address and agency (a partial unique index).
        sa.Index(
            "uq_agency_invitation_open",
            "agency_id",
            "email_normalized",
            unique=True,
            sqlite_where=sa.text("resolution IS NULL"),
            postgresql_where=sa.text("resolution IS NULL"),
        ),
    )

    @property
    def status(self) -> InvitationStatus:
        if self.resolution is not None:
            return InvitationStatus(self.resolution)
        if self.expires_at <= clock.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def audit_label(self) -> str:
        return f"{self.email} → {self.agency.slug} ({self.role})"
