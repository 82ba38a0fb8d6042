"""Questions asked about a challenge, and the answers the agencies publish.

A *question* is private: only its asker and the agencies that may answer it see it. What the
public reads is an *answer*: the agency's own wording of the question and its reply, in each
language, published to one track or to the whole challenge (the lead agency approves those).
The asker's name and words never appear on a public page.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.challenges.models import Translations, pick
from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, TimestampMixin, UTCDateTime

if TYPE_CHECKING:
    from competitions.accounts.models import User
    from competitions.agencies.models import Agency
    from competitions.challenges.models import Challenge, Track


class QuestionStatus(enum.StrEnum):
    NEW = "new"
    BEING_ANSWERED = "being_answered"  # an answer is drafted or awaits the lead's approval
    ANSWERED = "answered"  # its answer is published
    DECLINED = "declined"  # with a reason the asker reads
    MERGED = "merged"  # the same as another question, answered there


class Question(SurrogateKey, TimestampMixin, Base):
    """What a signed-in person asked, optionally of one track (none: of every track)."""

    __tablename__ = "question"
    audit_type = "question"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenge.id", ondelete="CASCADE"))
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="SET NULL"))
    asker_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    status: Mapped[str] = mapped_column(sa.String(16), default=QuestionStatus.NEW.value)
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question.id", ondelete="SET NULL")
    )
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Hidden by an agency (abuse, spam): out of the queues, with the reason (audited).
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)
    hidden_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    challenge: Mapped[Challenge] = relationship()
    track: Mapped[Track | None] = relationship()
    asker: Mapped[User | None] = relationship(foreign_keys=[asker_id])
    merged_into: Mapped[Question | None] = relationship(remote_side="Question.id")
    answer: Mapped[Answer | None] = relationship(back_populates="question", uselist=False)

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('new', 'being_answered', 'answered', 'declined', 'merged')",
            name="question_status_valid",
        ),
        sa.CheckConstraint(
            "(status = 'merged') = (merged_into_id IS NOT NULL)", name="merged_names_question"
        ),
        sa.CheckConstraint(
            "status != 'declined' OR decline_reason IS NOT NULL", name="declined_has_reason"
        ),
        sa.CheckConstraint(
            "hidden_at IS NULL OR hidden_reason IS NOT NULL", name="hidden_has_reason"
        ),
        sa.Index("ix_question_queue", "challenge_id", "status"),
    )

    @property
    def audit_label(self) -> str:
        return f"question {self.id}"

    @property
    def audit_agency_id(self) -> int:
        """A question of one track is its agency's; a shared one the lead agency's."""
        if self.track is not None:
            return self.track.agency_id
        return self.challenge.lead_agency_id

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class AnswerScope(enum.StrEnum):
    TRACK = "track"
    CHALLENGE = "challenge"


class AnswerStatus(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"  # challenge-wide: the lead agency decides
    PUBLISHED = "published"


class Answer(SurrogateKey, TimestampMixin, Base):
    """The published form of a question: its public wording and the reply, per language."""

    __tablename__ = "answer"
    audit_type = "answer"

    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), unique=True
    )
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenge.id", ondelete="CASCADE"))
    # The track it speaks for (scope "track"); none when it speaks for the whole challenge.
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))
    scope: Mapped[str] = mapped_column(sa.String(16), default=AnswerScope.TRACK.value)
    status: Mapped[str] = mapped_column(sa.String(24), default=AnswerStatus.DRAFT.value)
    topic: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    # The question as the agency words it for the public (never the asker's own text).
    question_text: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    body: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    # Lower-cased texts in every language, for search without JSON operators.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    # The answer changes the rules: the terms of the tracks concerned must change first.
    changes_rules: Mapped[bool] = mapped_column(default=False)
    rules_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The terms version of each track (by id) when it was so marked: each needs a later one.
    terms_before: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    approval_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The latest correction of the published text (its versions: ``AnswerVersion``).
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Withdrawn from the public pages (it is a draft again), with the reason (audited).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # The daily digest that told entrants and followers about it (none yet: the next one).
    digest_run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("answer_digest_run.id", ondelete="SET NULL")
    )

    question: Mapped[Question] = relationship(back_populates="answer")
    challenge: Mapped[Challenge] = relationship()
    track: Mapped[Track | None] = relationship()
    agency: Mapped[Agency] = relationship()
    versions: Mapped[list[AnswerVersion]] = relationship(
        back_populates="answer", order_by="AnswerVersion.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("scope IN ('track', 'challenge')", name="answer_scope_valid"),
        sa.CheckConstraint(
            "status IN ('draft', 'awaiting_approval', 'published')", name="answer_status_valid"
        ),
        sa.CheckConstraint("(scope = 'track') = (track_id IS NOT NULL)", name="track_scope"),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL)", name="published_has_time"
        ),
        sa.CheckConstraint(
            "scope = 'track' OR status != 'published' OR approved_at IS NOT NULL",
            name="challenge_wide_approved",
        ),
        sa.CheckConstraint(
            "NOT changes_rules OR rules_flagged_at IS NOT NULL", name="rules_flag_has_time"
        ),
        sa.CheckConstraint(
            "withdrawn_at IS NULL OR withdrawn_reason IS NOT NULL", name="withdrawn_has_reason"
        ),
        sa.Index("ix_answer_public", "challenge_id", "status", "published_at"),
    )

    @property
    def audit_label(self) -> str:
        return pick(self.question_text, "en") or f"answer {self.id}"

    @property
    def audit_agency_id(self) -> int:
        return self.agency_id

    @property
    def is_published(self) -> bool:
        return self.status == AnswerStatus.PUBLISHED

    @property
    def is_challenge_wide(self) -> bool:
        return self.scope == AnswerScope.CHALLENGE

    def languages(self) -> list[str]:
        """The languages it must be written in: every track's, or its track's."""
        if self.track is not None:
            return list(self.track.languages or ["en"])
        return list(self.challenge.languages)

    def question_in(self, lang: str) -> str:
        return pick(self.question_text, lang, self.languages())

    def body_in(self, lang: str) -> str:
        return pick(self.body, lang, self.languages())

    def topic_in(self, lang: str) -> str:
        return pick(self.topic, lang, self.languages())

    @property
    def updated_at_public(self) -> datetime | None:
        """When its public text last changed: the latest correction, else its publication."""
        return self.corrected_at or self.published_at

    def history(self) -> list[AnswerVersion]:
        """Its published texts, oldest first (the last is the text shown)."""
        return [v for v in self.versions if v.is_published]

    def pending_correction(self) -> AnswerVersion | None:
        """A correction of a challenge-wide answer awaiting the lead agency's approval."""
        return next((v for v in self.versions if not v.is_published), None)

    def language_of(self, lang: str) -> str:
        """The language its text is shown in for a reader of ``lang`` (for ``lang=``)."""
        for code in (lang, *self.languages()):
            if self.body.get(code):
                return code
        return lang


class AnswerVersionStatus(enum.StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"  # a correction the lead agency has to approve
    PUBLISHED = "published"


class AnswerVersion(SurrogateKey, Base):
    """One text of a published answer: the text first published, then each correction (with
    why it was corrected). A correction of a challenge-wide answer waits for the lead agency's
    approval (``awaiting_approval``) while the published text stays as it was."""

    __tablename__ = "answer_version"

    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("answer.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(24), default=AnswerVersionStatus.PUBLISHED.value)
    topic: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    question_text: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    body: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    # Why it was corrected (none for the text first published).
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    answer: Mapped[Answer] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (
        sa.CheckConstraint("status IN ('awaiting_approval', 'published')", name="status_valid"),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL)", name="published_has_time"
        ),
    )

    @property
    def is_published(self) -> bool:
        return self.status == AnswerVersionStatus.PUBLISHED

    def question_in(self, lang: str) -> str:
        return pick(self.question_text, lang, self.answer.languages())

    def body_in(self, lang: str) -> str:
        return pick(self.body, lang, self.answer.languages())


class AnswerReport(SurrogateKey, Base):
    """Someone reported a published answer (personal data, an error, abuse); the answering
    agency resolves it."""

    __tablename__ = "answer_report"
    audit_type = "answer_report"

    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("answer.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    answer: Mapped[Answer] = relationship()

    @property
    def audit_label(self) -> str:
        return f"report {self.id} on answer {self.answer_id}"

    @property
    def audit_agency_id(self) -> int:
        return self.answer.agency_id


class DigestRun(SurrogateKey, Base):
    """The day's digest of new and corrected answers of every challenge: one a day at most
    (unique ``day``), covering the published answers no earlier digest covered
    (``Answer.digest_run_id``); each person gets one email with a section per challenge."""

    __tablename__ = "answer_digest_run"

    day: Mapped[date] = mapped_column(sa.Date, unique=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    recipients: Mapped[int] = mapped_column(default=0)


class DigestOptOut(SurrogateKey, Base):
    """A subscriber stopped the Q&A digest of one challenge (its other emails go on)."""

    __tablename__ = "answer_digest_opt_out"

    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subscription.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
