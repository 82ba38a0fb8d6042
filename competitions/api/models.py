"""API tokens: an agency's credential for its own systems (hashed, scoped, expiring)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.accounts.models import User
from competitions.agencies.models import Agency
from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, UTCDateTime


class Scope(enum.StrEnum):
    READ = "read"  # GET only
    WRITE = "write"  # reads, and the writes the API offers


SCOPES = tuple(s.value for s in Scope)


class ApiToken(SurrogateKey, Base):
    """Only the SHA-256 of the secret is kept: the token is shown once, when it is created.

    A token acts for its agency alone, and never with more than its creator has there: it
    stops working when its creator is no longer an admin of the agency (``api.auth``)."""

    __tablename__ = "api_token"
    audit_type = "api_token"

    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(sa.String(80))
    # The first characters of the token, shown in lists so that people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(8), default=Scope.READ.value)
    rate_limit: Mapped[int] = mapped_column(default=120)  # requests per minute
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    agency: Mapped[Agency] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (
        sa.CheckConstraint(f"scope IN {SCOPES!r}", name="scope_valid"),
        sa.CheckConstraint("rate_limit >= 1", name="rate_limit_positive"),
        sa.CheckConstraint("name <> ''", name="name_not_empty"),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def audit_agency_id(self) -> int:
        return self.agency_id

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
