"""Challenges run in parallel: one shared timeline, one track per participating agency."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, TimestampMixin, UTCDateTime
from competitions.core.invitations import Invitation, invitation_rules

if TYPE_CHECKING:
    from competitions.agencies.models import Agency

# Per-language text is stored as {"en": "...", "fr": "..."}.
Translations = dict[str, str]


def pick(
    texts: dict[str, str] | None, lang: str, fallback: list[str] | tuple[str, ...] = ()
) -> str:
    """The text in ``lang``, else in the first fallback language that has one, else any."""
    texts = texts or {}
    for code in (lang, *fallback):
        if texts.get(code):
            return texts[code]
    return next((v for v in texts.values() if v), "")


class ChallengeStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


def languages_declared(per_track: Iterable[Iterable[str] | None]) -> list[str]:
    """The languages of tracks, given in track order: each once, in the order first declared
    (``Challenge.declared_languages``; home sections that read titles as columns use it too)."""
    seen: list[str] = []
    for codes in per_track:
        for code in codes or ():
            if code not in seen:
                seen.append(code)
    return seen


class Challenge(SurrogateKey, TimestampMixin, Base):
    __tablename__ = "challenge"
    audit_type = "challenge"

    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    lead_agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=ChallengeStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The zone the shared timeline is entered in by default (the lead agency's).
    timezone: Mapped[str] = mapped_column(sa.String(64))
    edition: Mapped[int] = mapped_column(default=1)
    previous_edition_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    title: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    summary: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    description: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    # Lower-cased titles in every language, for search without JSON operators.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    # Whether its timeline was ever changed, when loaded for its pages (``get_challenge``).
    timeline_changed: Mapped[bool | None] = query_expression()

    lead_agency: Mapped[Agency] = relationship(lazy="joined")
    tracks: Mapped[list[Track]] = relationship(
        back_populates="challenge",
        order_by="Track.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    rounds: Mapped[list[Round]] = relationship(
        back_populates="challenge", order_by="Round.position", cascade="all, delete-orphan"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="challenge", order_by="Milestone.starts_at", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'published')", name="status_valid"),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL)", name="published_has_time"
        ),
        sa.CheckConstraint("edition >= 1", name="edition_positive"),
        sa.Index("ix_challenge_status_published", "status", "published_at"),
    )

    @property
    def audit_label(self) -> str:
        return pick(self.title, "en") or self.slug

    @property
    def audit_agency_id(self) -> int:
        """A refusal on the challenge shows in its lead agency's audit log."""
        return self.lead_agency_id

    @property
    def is_published(self) -> bool:
        return self.status == ChallengeStatus.PUBLISHED

    def title_in(self, lang: str) -> str:
        # The tracks' languages (a query when the tracks are not loaded) are only the fallback.
        return self.title.get(lang) or pick(self.title, lang, self.languages) or self.slug

    @property
    def languages(self) -> list[str]:
        return self.declared_languages or ["en"]

    @property
    def declared_languages(self) -> list[str]:
        """The languages its tracks declare, in their order, each once (none: empty)."""
        return languages_declared(track.languages for track in self.tracks)

    def track_of(self, agency_id: int) -> Track | None:
        return next((t for t in self.tracks if t.agency_id == agency_id), None)

    @property
    def is_exclusive(self) -> bool:
        """A team (and a person) may enter only one track when any track says so."""
        return any(t.is_exclusive for t in self.tracks)


class Track(SurrogateKey, TimestampMixin, Base):
    """One agency's part of a challenge: its rules, prizes, terms, languages and legal time."""

    __tablename__ = "track"
    audit_type = "track"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenge.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True
    )
    slug: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    description: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    contact_email: Mapped[str | None] = mapped_column(sa.String(320))
    # The jurisdiction's legal time, in which this track's deadlines are stated.
    timezone: Mapped[str] = mapped_column(sa.String(64))
    rules: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Statements an entrant ticks when registering: {"en": ["I confirm…", …], "fr": […]}.
    attestations: Mapped[dict[str, list[str]]] = mapped_column(sa.JSON, default=dict)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Whether it has terms, when the challenge is loaded for its pages (``get_challenge``).
    has_terms: Mapped[bool | None] = query_expression()

    challenge: Mapped[Challenge] = relationship(back_populates="tracks")
    agency: Mapped[Agency] = relationship(lazy="joined")
    prizes: Mapped[list[Prize]] = relationship(
        back_populates="track", order_by="Prize.position", cascade="all, delete-orphan"
    )
    terms_versions: Mapped[list[TermsVersion]] = relationship(
        back_populates="track", order_by="TermsVersion.version", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "agency_id"),
        sa.UniqueConstraint("challenge_id", "slug"),
    )

    @property
    def audit_label(self) -> str:
        return f"{self.challenge.slug}/{self.slug}"

    @property
    def audit_agency_id(self) -> int:
        return self.agency_id

    def name_in(self, lang: str) -> str:
        return pick(self.name, lang, self.languages) or self.agency.name

    @property
    def is_ready(self) -> bool:
        return self.ready_at is not None

    def attestations_in(self, lang: str) -> list[str]:
        for code in (lang, *self.languages):
            if self.attestations.get(code):
                return list(self.attestations[code])
        return []

    @property
    def is_exclusive(self) -> bool:
        return bool((self.rules or {}).get("exclusive", True))


class Prize(SurrogateKey, Base):
    __tablename__ = "prize"

    track_id: Mapped[int] = mapped_column(sa.ForeignKey("track.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    currency: Mapped[str] = mapped_column(sa.String(3))  # ISO 4217
    count: Mapped[int] = mapped_column(default=1)
    condition: Mapped[Translations] = mapped_column(sa.JSON, default=dict)

    track: Mapped[Track] = relationship(back_populates="prizes")

    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("count >= 1", name="count_positive"),
        sa.CheckConstraint("length(currency) = 3", name="currency_iso4217"),
    )

    @property
    def total(self) -> Decimal:
        return self.amount * self.count


class TermsVersion(SurrogateKey, Base):
    """Terms and conditions of a track; a change makes a new version, never an edit."""

    __tablename__ = "terms_version"

    track_id: Mapped[int] = mapped_column(sa.ForeignKey("track.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column()
    body: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    track: Mapped[Track] = relationship(back_populates="terms_versions")

    __table_args__ = (
        sa.UniqueConstraint("track_id", "version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )


# The instants of a round, in the order they must follow.
ROUND_INSTANTS = (
    "registration_opens",
    "registration_closes",
    "submission_opens",
    "submission_deadline",
    "judging_closes",
    "results_at",
)


class Round(SurrogateKey, Base):
    """A stage of the shared timeline: the same instants for every track."""

    __tablename__ = "round"
    audit_type = "round"

    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    registration_opens: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submission_opens: Mapped[datetime] = mapped_column(UTCDateTime())
    submission_deadline: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    judging_closes: Mapped[datetime] = mapped_column(UTCDateTime())
    results_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Incremented whenever a date moves (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    # The submission form of the round (see submissions/fields.py), shared by every track.
    form_fields: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)

    challenge: Mapped[Challenge] = relationship(back_populates="rounds")

    __table_args__ = (
        sa.CheckConstraint("submission_opens < submission_deadline", name="submission_window"),
        sa.CheckConstraint("submission_deadline <= judging_closes", name="judging_after_deadline"),
        sa.CheckConstraint("judging_closes <= results_at", name="results_after_judging"),
        sa.CheckConstraint(
            "registration_opens IS NULL OR registration_closes IS NULL "
            "OR registration_opens < registration_closes",
            name="registration_window",
        ),
    )

    @property
    def audit_label(self) -> str:
        return pick(self.name, "en") or f"round {self.position + 1}"

    def name_in(self, lang: str, fallbacks: list[str] | None = None) -> str:
        """The name in ``lang``, else in the first of ``fallbacks`` (default: the challenge's
        languages) that has one. A track's pages pass the track's languages: the challenge is
        then not loaded."""
        if self.name.get(lang):  # the usual case: the fallbacks may need the challenge's tracks
            return self.name[lang]
        languages = self.challenge.languages if fallbacks is None else fallbacks
        return pick(self.name, lang, languages) or str(self.position + 1)

    def instants(self) -> dict[str, datetime | None]:
        return {field: getattr(self, field) for field in ROUND_INSTANTS}


class Milestone(SurrogateKey, Base):
    """Any other dated event: shared (no track) or local to one track."""

    __tablename__ = "milestone"
    audit_type = "milestone"

    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="CASCADE"))
    name: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    url: Mapped[str | None] = mapped_column(sa.String(400))
    sequence: Mapped[int] = mapped_column(default=0)

    challenge: Mapped[Challenge] = relationship(back_populates="milestones")
    track: Mapped[Track | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("ends_at IS NULL OR starts_at < ends_at", name="ends_after_start"),
    )

    @property
    def audit_label(self) -> str:
        return pick(self.name, "en") or "milestone"

    @property
    def is_shared(self) -> bool:
        return self.track_id is None


class TimelineChange(SurrogateKey, Base):
    """A shared date moved after publication: who, why, from what to what (outreach uses it)."""

    __tablename__ = "timeline_change"

    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("round.id", ondelete="SET NULL"))
    milestone_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("milestone.id", ondelete="SET NULL")
    )
    field: Mapped[str] = mapped_column(sa.String(40))
    old_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    new_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class PartnerInvitation(Invitation, Base):
    """The lead agency invites a partner agency's admin to add their track to a challenge
    (the shared lifecycle: ``core.invitations``); accepted, it names the track it added."""

    __tablename__ = "partner_invitation"
    audit_type = "partner_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="SET NULL"))

    challenge: Mapped[Challenge] = relationship(lazy="joined")

    __table_args__ = invitation_rules("partner_invitation", "challenge_id")

    @property
    def audit_label(self) -> str:
        return f"{self.email} → {self.challenge.slug}"
