"""Teams of innovators and their entries: one registration per team in a track."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from competitions.accounts.models import User
from competitions.challenges.eligibility import ORGANISATIONS, EntrantType
from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, TimestampMixin, UTCDateTime, unique_where
from competitions.core.invitations import Invitation, invitation_rules

if TYPE_CHECKING:
    from competitions.challenges.models import Challenge, TermsVersion, Track

ENTRANT_TYPES = tuple(t.value for t in EntrantType)
ORGANISATION_TYPES = tuple(sorted(t.value for t in ORGANISATIONS))


class TeamRole(enum.StrEnum):
    LEAD = "lead"
    MEMBER = "member"


class Team(SurrogateKey, TimestampMixin, Base):
    __tablename__ = "team"
    audit_type = "team"

    name: Mapped[str] = mapped_column(sa.String(120))
    entrant_type: Mapped[str] = mapped_column(sa.String(16))
    organisation_name: Mapped[str | None] = mapped_column(sa.String(200))
    organisation_country: Mapped[str | None] = mapped_column(sa.String(8))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    members: Mapped[list[TeamMember]] = relationship(
        back_populates="team",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="TeamMember.id",
    )
    entries: Mapped[list[Entry]] = relationship(back_populates="team", order_by="Entry.id")

    __table_args__ = (
        sa.CheckConstraint(f"entrant_type IN {ENTRANT_TYPES!r}", name="entrant_type_valid"),
        sa.CheckConstraint(
            f"entrant_type NOT IN {ORGANISATION_TYPES!r} "
            "OR (organisation_name IS NOT NULL AND organisation_country IS NOT NULL)",
            name="organisation_described",
        ),
    )

    @property
    def audit_label(self) -> str:
        return self.name

    @property
    def is_organisation(self) -> bool:
        return self.entrant_type in ORGANISATION_TYPES

    @property
    def lead(self) -> TeamMember | None:
        return next((m for m in self.members if m.role == TeamRole.LEAD), None)

    def member_of(self, user_id: int | None) -> TeamMember | None:
        return next((m for m in self.members if m.user_id == user_id), None)

    @property
    def active_entries(self) -> list[Entry]:
        return [e for e in self.entries if e.withdrawn_at is None]


class TeamMember(SurrogateKey, Base):
    """A person in a team, with what eligibility needs: residence and declared age."""

    __tablename__ = "team_member"

    team_id: Mapped[int] = mapped_column(sa.ForeignKey("team.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(8), default=TeamRole.MEMBER)
    # ISO 3166-1 country or ISO 3166-2 subdivision ("CA-QC").
    residence: Mapped[str] = mapped_column(sa.String(8))
    declared_age: Mapped[int | None] = mapped_column()
    attested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("team_id", "user_id"),
        sa.CheckConstraint("role IN ('lead', 'member')", name="role_valid"),
        sa.CheckConstraint(
            "declared_age IS NULL OR (declared_age >= 0 AND declared_age <= 130)",
            name="age_plausible",
        ),
        # Exactly one lead per team is kept by the services; at most one by the database.
        unique_where("uq_team_member_one_lead", "team_id", where="role = 'lead'"),
    )


class TeamInvitation(Invitation, Base):
    """The lead's emailed offer to join the team (the shared lifecycle: ``core.invitations``)."""

    __tablename__ = "team_invitation"
    audit_type = "team_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("team.id", ondelete="CASCADE"), index=True)

    team: Mapped[Team] = relationship(lazy="joined")

    __table_args__ = invitation_rules("team_invitation", "team_id")

    @property
    def audit_label(self) -> str:
        return f"{self.email} → {self.team.name}"


class Entry(SurrogateKey, Base):
    """A team's registration in one track, with the eligibility decision and its reasons."""

    __tablename__ = "entry"
    audit_type = "entry"

    team_id: Mapped[int] = mapped_column(sa.ForeignKey("team.id", ondelete="RESTRICT"))
    track_id: Mapped[int] = mapped_column(
        sa.ForeignKey("track.id", ondelete="RESTRICT"), index=True
    )
    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="RESTRICT"), index=True
    )
    # Set to the challenge while the entry is active in a challenge whose tracks are
    # exclusive: the unique constraint below then allows one such entry per team.
    exclusive_challenge_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="RESTRICT")
    )
    eligibility: Mapped[str] = mapped_column(sa.String(20))
    eligibility_reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    eligibility_evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    eligibility_frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An admin's decision overrides the evaluator (with a reason, audited).
    override: Mapped[str | None] = mapped_column(sa.String(20))
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    override_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    override_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    terms_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("terms_version.id", ondelete="RESTRICT")
    )
    terms_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    terms_accepted_ip: Mapped[str | None] = mapped_column(sa.String(64))
    terms_accepted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    attestations: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Its team's number of members, when a list asks for it in its query (``with_expression``).
    team_size: Mapped[int | None] = query_expression()

    team: Mapped[Team] = relationship(back_populates="entries", lazy="joined")
    track: Mapped[Track] = relationship(lazy="joined")
    challenge: Mapped[Challenge] = relationship(foreign_keys=[challenge_id])
    terms_version: Mapped[TermsVersion] = relationship()
    members: Mapped[list[EntryMember]] = relationship(
        back_populates="entry", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # One active entry per team and track; a withdrawn one does not block a new one.
        unique_where(
            "uq_entry_active_team_track", "team_id", "track_id", where="withdrawn_at IS NULL"
        ),
        sa.UniqueConstraint("team_id", "exclusive_challenge_id"),
        # A track's entries list, the newest first: read in order, not sorted in full.
        sa.Index("ix_entry_track_registered", "track_id", "registered_at"),
        sa.CheckConstraint(
            "eligibility IN ('eligible', 'recognition_only', 'not_eligible')",
            name="eligibility_valid",
        ),
        sa.CheckConstraint(
            "override IS NULL OR override IN ('eligible', 'recognition_only', 'not_eligible')",
            name="override_valid",
        ),
        sa.CheckConstraint(
            "override IS NULL OR (override_reason IS NOT NULL AND override_at IS NOT NULL)",
            name="override_has_reason",
        ),
        sa.CheckConstraint(
            "withdrawn_at IS NULL OR exclusive_challenge_id IS NULL",
            name="withdrawn_not_exclusive",
        ),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.team.name} @ {self.track.slug}"

    @property
    def effective_eligibility(self) -> str:
        return self.override or self.eligibility

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class EntryMember(SurrogateKey, Base):
    """Who an active entry stands for: a person is in at most one entry of an exclusive
    challenge ("applicants may not apply in more than one competitor category")."""

    __tablename__ = "entry_member"

    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    exclusive_challenge_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="RESTRICT")
    )

    entry: Mapped[Entry] = relationship(back_populates="members")

    __table_args__ = (
        sa.UniqueConstraint("entry_id", "user_id"),
        sa.UniqueConstraint("user_id", "exclusive_challenge_id"),
    )


class DocumentScope(enum.StrEnum):
    MEMBER = "member"  # one per team member, uploaded by that member (e.g. proof of residence)
    TEAM = "team"  # one per team
    ORGANISATION = "organisation"  # one per team entering as an organisation (incorporation)


class DocumentStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class DocumentRequirement(SurrogateKey, Base):
    """A document a track asks of its entries before they can be confirmed eligible."""

    __tablename__ = "document_requirement"
    audit_type = "document_requirement"

    track_id: Mapped[int] = mapped_column(sa.ForeignKey("track.id", ondelete="CASCADE"))
    # Asked of this entry only (the evidence of an award's prize condition), not of every
    # entry of the track.
    entry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("entry.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    scope: Mapped[str] = mapped_column(sa.String(16))
    label: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    help: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    file_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    max_size_mb: Mapped[int] = mapped_column(default=10)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # Retired rather than deleted: documents already sent keep what they answered.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    track: Mapped[Track] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "scope IN ('member', 'team', 'organisation')", name="document_scope_valid"
        ),
        sa.Index("ix_document_requirement_track", "track_id", "position"),
    )

    @property
    def audit_label(self) -> str:
        return next(iter(self.label.values()), str(self.id))

    def label_in(self, lang: str) -> str:
        return self.label.get(lang) or next(iter(self.label.values()), "")

    def help_in(self, lang: str) -> str:
        return self.help.get(lang) or next(iter(self.help.values()), "")


class EligibilityDocument(SurrogateKey, Base):
    """One uploaded document for one requirement and subject (the team, or one member).

    A new upload supersedes the previous one for the same slot; at most one is current
    (a partial unique index), and superseded ones stay for the record.
    """

    __tablename__ = "eligibility_document"
    audit_type = "eligibility_document"

    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id", ondelete="CASCADE"))
    requirement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document_requirement.id", ondelete="RESTRICT")
    )
    # "team", or "user:<id>" for a member's own document.
    subject: Mapped[str] = mapped_column(sa.String(32))
    member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    storage_key: Mapped[str] = mapped_column(sa.String(80))
    filename: Mapped[str] = mapped_column(sa.String(160))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=DocumentStatus.PENDING.value)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    review_reason: Mapped[str | None] = mapped_column(sa.Text)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    entry: Mapped[Entry] = relationship()
    requirement: Mapped[DocumentRequirement] = relationship(lazy="joined")
    member: Mapped[User | None] = relationship(foreign_keys=[member_id])
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])

    __table_args__ = (
        unique_where(
            "uq_eligibility_document_current",
            "entry_id",
            "requirement_id",
            "subject",
            where="superseded_at IS NULL",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'verified', 'rejected')", name="document_status_valid"
        ),
        sa.CheckConstraint(
            "status != 'rejected' OR review_reason IS NOT NULL", name="rejection_has_reason"
        ),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.filename} ({self.subject})"
