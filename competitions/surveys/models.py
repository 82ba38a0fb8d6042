"""Feedback surveys: what is asked, of whom, who has answered, and what was answered.

Anonymity is a property of the schema, not of the pages. Three tables hold a survey's people:

* ``survey_invitee`` — who is asked (user, audience segment, track, language): the
  denominator of the response rates and the list the invitations and reminders go to.
* ``survey_participation`` — who has answered (survey, user), unique per pair: the one
  response per person, enforced by the database in the transaction that writes the response.
* ``survey_response`` — what was answered (segment, track, answers) and **nothing about the
  person**: no user column, no timestamp, a random UUID key (no order shared with the
  participation table; on SQLite the table has no ``rowid`` either, so even the storage order
  is the keys' random order). For a *named* survey the participation row keeps the response's
  id; for an *anonymous* one it may not — a check constraint refuses a link there.

What a response does keep — its segment and track — could still single someone out when few
people share them (the only judge of a track): an anonymous response is filed under its track
only when at least ``MIN_GROUP`` people of its segment were asked in that track
(``services._stored_track``), and the results never show a group of fewer than ``MIN_GROUP``
responses. Left outside the application's reach: PostgreSQL's physical row order and its
write-ahead log, which someone with the database server's files could line up with the web
server's access log.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, UTCDateTime

if TYPE_CHECKING:
    from competitions.challenges.models import Challenge, Round, Track

MIN_GROUP = 5  # answers of fewer people than this are never shown on their own (anonymous)


class SurveyStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # invitations go at ``opens_at``
    OPEN = "open"  # invitations written; answers taken until ``closes_at``
    CLOSED = "closed"  # closed by hand before ``closes_at``


class SurveyAudience(enum.StrEnum):
    ENTRANTS = "entrants"  # members of active entries in scope (non-submitters asked why)
    JUDGES = "judges"  # judges seated on the panels in scope
    PARTNERS = "partners"  # members of the agencies taking part


class Segment(enum.StrEnum):
    """Which part of the audience a person (and their response) belongs to."""

    SUBMITTED = "submitted"  # an entrant whose entry submitted (in the round, or ever)
    NOT_SUBMITTED = "not_submitted"  # an entrant who registered and did not submit
    JUDGE = "judge"
    PARTNER = "partner"


SEGMENT_VALUES = tuple(s.value for s in Segment)


def text_in(texts: dict[str, str], lang: str) -> str:
    """A survey's text in ``lang``, else in its first language."""
    return texts.get(lang) or next(iter(texts.values()), "")


class Survey(SurrogateKey, Base):
    """A questionnaire after a round (``round_id``) or at the end of a challenge (none), for
    one track's people (``track_id``) or the whole challenge's, owned by an agency."""

    __tablename__ = "survey"
    audit_type = "survey"

    challenge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="CASCADE"))
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("round.id", ondelete="SET NULL"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))
    title: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    intro: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    audiences: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    anonymous: Mapped[bool] = mapped_column(default=True)
    # The same definition as a round's submission form (``submissions.fields``), files aside.
    form_fields: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(16), default=SurveyStatus.DRAFT.value)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    challenge: Mapped[Challenge] = relationship()
    track: Mapped[Track | None] = relationship()
    round: Mapped[Round | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'open', 'closed')", name="status_valid"
        ),
        sa.CheckConstraint("status = 'draft' OR opens_at IS NOT NULL", name="sent_has_instant"),
        sa.Index("ix_survey_due", "status", "opens_at"),
    )

    @property
    def audit_label(self) -> str:
        return next(iter(self.title.values()), f"survey {self.id}")

    @property
    def audit_agency_id(self) -> int:
        return self.agency_id

    def title_in(self, lang: str) -> str:
        return text_in(self.title, lang)

    def intro_in(self, lang: str) -> str:
        return text_in(self.intro, lang)

    def source(self, message: str) -> str:
        """The outbox source of one of its messages: one row per address."""
        return f"survey:{self.id}:{message}"

    def is_open(self, now: datetime | None = None) -> bool:
        """Taking answers: invitations out, not closed by hand, before ``closes_at``."""
        now = now or clock.now()
        return self.status == SurveyStatus.OPEN and (self.closes_at is None or now < self.closes_at)


class SurveyInvitee(SurrogateKey, Base):
    """Someone the survey asks, in which segment and track (the response rates' denominator)."""

    __tablename__ = "survey_invitee"

    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    segment: Mapped[str] = mapped_column(sa.String(16))
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(sa.String(8), default="en")

    __table_args__ = (
        sa.UniqueConstraint("survey_id", "user_id"),
        sa.CheckConstraint(f"segment IN {SEGMENT_VALUES!r}", name="segment_valid"),
    )


class SurveyParticipation(SurrogateKey, Base):
    """Who has answered: one row per survey and person, written with the response (no time)."""

    __tablename__ = "survey_participation"

    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    anonymous: Mapped[bool] = mapped_column()
    # Named surveys only: which response is this person's.
    response_id: Mapped[str | None] = mapped_column(
        sa.String(36), sa.ForeignKey("survey_response.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.UniqueConstraint("survey_id", "user_id"),
        sa.CheckConstraint(
            "NOT anonymous OR response_id IS NULL", name="anonymous_participation_unlinked"
        ),
    )


def _new_key() -> str:
    return str(uuid.uuid4())


class SurveyResponse(Base):
    """What was answered, with the segment and track it counts in — and nothing else."""

    __tablename__ = "survey_response"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=_new_key)
    survey_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey.id", ondelete="CASCADE"), index=True
    )
    segment: Mapped[str] = mapped_column(sa.String(16))
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="SET NULL"))
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (
        sa.CheckConstraint(f"segment IN {SEGMENT_VALUES!r}", name="segment_valid"),
        {"sqlite_with_rowid": False},
    )
