"""Agencies (government bodies, cities), their members and invitations."""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.accounts.models import User
from competitions.core.db import Base, SurrogateKey, TimestampMixin
from competitions.core.invitations import Invitation, invitation_rules


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"


ROLE_VALUES = tuple(r.value for r in Role)


class Agency(SurrogateKey, TimestampMixin, Base):
    __tablename__ = "agency"
    audit_type = "agency"

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
    # Members and judges must sign in with a second factor (``accounts.mfa``).
    require_mfa: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

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
            "require_mfa": self.require_mfa,
        }


class Membership(SurrogateKey, TimestampMixin, Base):
    __tablename__ = "membership"
    audit_type = "membership"

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


class AgencyInvitation(Invitation, Base):
    """An emailed offer to join an agency with a role (the shared lifecycle:
    ``core.invitations``)."""

    __tablename__ = "agency_invitation"
    audit_type = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(16))

    agency: Mapped[Agency] = relationship(Agency, lazy="joined")
    invited_by: Mapped[User | None] = relationship(
        User, foreign_keys="AgencyInvitation.invited_by_id"
    )

    __table_args__ = (
        sa.CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role_valid"),
        sa.Index("ix_agency_invitation_email_normalized", "email_normalized"),
        *invitation_rules("agency_invitation", "agency_id"),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.email} → {self.agency.slug} ({self.role})"
