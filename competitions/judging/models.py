"""Judging: a round's rubric, panels of judges, conflicts, assignments, reviews and scores.

The rule that matters most — a judge never reviews a team they are conflicted with — is kept by
the services *and* by the database: triggers (see the migration) refuse an active assignment for
a conflicted pair, a conflict while such an assignment is active, and a score on an ended
assignment.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competitions.core import clock
from competitions.core.db import Base, SurrogateKey, UTCDateTime, unique_where
from competitions.core.invitations import Invitation, invitation_rules
from competitions.core.text import plain_number

if TYPE_CHECKING:
    from competitions.accounts.models import User
    from competitions.challenges.models import Challenge, Round, Track
    from competitions.entries.models import Team
    from competitions.submissions.models import Submission

Translations = dict[str, str]


class PanelScope(enum.StrEnum):
    """Which panels judge a review stage."""

    ALL = "all"  # each track's panel and the shared panel
    TRACKS = "tracks"  # each track's own panel only (e.g. a technical review per agency)
    SHARED = "shared"  # the shared cross-track panel only (e.g. a joint jury)


PANEL_SCOPES = tuple(s.value for s in PanelScope)


class Rubric(SurrogateKey, Base):
    """A review stage of a round: its rubric, shared by every track of the challenge so scores
    are comparable, and its judging settings. Locked once its first score is entered.

    A Rubric *is* a review stage: one row per (round, ``stage``), ``stage`` being the stage's
    number. The glossary's "Rubric" of a round is the rubric of one of its stages — of its only
    stage, 1, unless the lead agency adds more (e.g. a technical review, then a jury): each later
    stage judges only the entries the previous one shortlisted, with its own criteria and
    panels; the last stage's decision is the round's. (The name is kept: renaming the table to
    "stage" would buy a migration and nothing else.)
    """

    __tablename__ = "rubric"
    audit_type = "rubric"

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    stage: Mapped[int] = mapped_column(default=1, server_default="1")
    # The stage's name per language (empty for a round's only stage).
    name: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict, server_default="{}")
    panel_scope: Mapped[str] = mapped_column(
        sa.String(8), default=PanelScope.ALL.value, server_default=PanelScope.ALL.value
    )
    reviews_per_submission: Mapped[int] = mapped_column(default=3)
    blind: Mapped[bool] = mapped_column(default=False)
    cross_track: Mapped[bool] = mapped_column(default=False)
    # Judges with fewer reviews than this keep their raw scores in the normalized results.
    min_reviews: Mapped[int] = mapped_column(default=3)
    seed: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resets: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    round: Mapped[Round] = relationship(lazy="joined")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="rubric",
        order_by="Criterion.position",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.CheckConstraint(
            "reviews_per_submission BETWEEN 1 AND 20", name="reviews_per_submission_range"
        ),
        sa.CheckConstraint("min_reviews >= 1", name="min_reviews_positive"),
        sa.CheckConstraint("stage >= 1", name="stage_positive"),
        sa.CheckConstraint(f"panel_scope IN {PANEL_SCOPES!r}", name="panel_scope_valid"),
        sa.UniqueConstraint("round_id", "stage"),
    )

    @property
    def audit_label(self) -> str:
        return f"rubric of round {self.round_id}, stage {self.stage}"

    def name_in(self, lang: str) -> str:
        return self.name.get(lang) or next(iter(self.name.values()), "")

    @property
    def total_weight(self) -> Decimal:
        return sum((c.weight for c in self.criteria), Decimal(0))


def _plain_key(level: str) -> str:
    try:
        return plain_number(Decimal(level))
    except ArithmeticError:
        return level


class Criterion(SurrogateKey, Base):
    """One criterion: title and guidance per language, weight, scale and level descriptors."""

    __tablename__ = "criterion"
    audit_type = "criterion"

    rubric_id: Mapped[int] = mapped_column(sa.ForeignKey("rubric.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    guidance: Mapped[Translations] = mapped_column(sa.JSON, default=dict)
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(1))
    scale_min: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(0))
    scale_max: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(10))
    step: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(1))
    # {"<level>": {"en": "...", "fr": "..."}}: what a score of <level> means.
    descriptors: Mapped[dict[str, Translations]] = mapped_column(sa.JSON, default=dict)

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")

    __table_args__ = (
        sa.CheckConstraint("weight > 0", name="weight_positive"),
        sa.CheckConstraint("scale_max > scale_min", name="scale_ordered"),
        sa.CheckConstraint("step > 0", name="step_positive"),
        sa.Index("ix_criterion_rubric", "rubric_id", "position"),
    )

    @property
    def audit_label(self) -> str:
        return self.title.get("en") or next(iter(self.title.values()), str(self.id))

    @property
    def described_levels(self) -> dict[str, Translations]:
        """``descriptors`` keyed by plain numbers: rows written before keys were plain hold
        "1E+1" for 10."""
        return {_plain_key(level): texts for level, texts in self.descriptors.items()}

    def levels(self) -> list[Decimal]:
        """Every allowed score, from the minimum up by ``step`` (at most a few hundred)."""
        out: list[Decimal] = []
        value = self.scale_min
        while value <= self.scale_max and len(out) < 1000:
            out.append(value)
            value += self.step
        return out


class Panel(SurrogateKey, Base):
    """The judges of one track, or a challenge's shared cross-track panel (``track_id`` None)."""

    __tablename__ = "panel"
    audit_type = "panel"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenge.id", ondelete="CASCADE"))
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    challenge: Mapped[Challenge] = relationship()
    track: Mapped[Track | None] = relationship(lazy="joined")
    judges: Mapped[list[Judge]] = relationship(back_populates="panel", order_by="Judge.id")

    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "track_id"),
        unique_where("uq_panel_shared", "challenge_id", where="track_id IS NULL"),
    )

    @property
    def audit_label(self) -> str:
        return f"panel {self.id}"

    @property
    def is_shared(self) -> bool:
        return self.track_id is None


class Judge(SurrogateKey, Base):
    """A person's seat on one panel (the glossary's "Judge"): the same person on a track's panel
    and on the shared panel has two Judge rows, one per seat, each with its own profile and
    load; assignments name the seat and the person (``user_id``). Removal (``removed_at``) ends
    that seat's access at once."""

    __tablename__ = "judge"
    audit_type = "judge"

    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panel.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    expertise: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Organisations the judge declares a conflict with (matched against teams' organisations).
    conflict_organisations: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    max_load: Mapped[int | None] = mapped_column()
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    panel: Mapped[Panel] = relationship(back_populates="judges", lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("panel_id", "user_id"),
        # The target of assignment's (judge_id, user_id) foreign key.
        sa.UniqueConstraint("id", "user_id", name="uq_judge_id_user"),
        sa.CheckConstraint("max_load IS NULL OR max_load >= 0", name="max_load_not_negative"),
    )

    @property
    def audit_label(self) -> str:
        return self.user.email

    @property
    def active(self) -> bool:
        return self.removed_at is None


class JudgeInvitation(Invitation, Base):
    """An emailed offer of a seat on a panel (the shared lifecycle: ``core.invitations``)."""

    __tablename__ = "judge_invitation"
    audit_type = "judge_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panel.id", ondelete="CASCADE"), index=True)

    panel: Mapped[Panel] = relationship(lazy="joined")

    __table_args__ = invitation_rules("judge_invitation", "panel_id")

    @property
    def audit_label(self) -> str:
        return self.email


class ConflictSource(enum.StrEnum):
    DECLARED = "declared"  # the judge named the team (or its organisation)
    RECUSED = "recused"  # the judge stepped back from an assigned submission
    MEMBER = "member"  # detected: the judge is on the team
    ORGANISATION = "organisation"  # detected: same organisation
    EMAIL_DOMAIN = "email_domain"  # detected: same (non-public) email domain
    ADMIN = "admin"  # recorded by the track's admins


CONFLICT_SOURCES = tuple(s.value for s in ConflictSource)


class Conflict(SurrogateKey, Base):
    """A judge (person) and a team that must never be paired, with why."""

    __tablename__ = "judging_conflict"
    audit_type = "conflict"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenge.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("team.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    team: Mapped[Team] = relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "team_id", "source"),
        sa.CheckConstraint(f"source IN {CONFLICT_SOURCES!r}", name="source_valid"),
        sa.Index("ix_judging_conflict_challenge", "challenge_id", "user_id"),
    )

    @property
    def audit_label(self) -> str:
        return f"user {self.user_id} / team {self.team_id}"


class AssignmentSource(enum.StrEnum):
    AUTO = "auto"
    MANUAL = "manual"
    POOL = "pool"  # the judge took it with "score the next least-reviewed"


class EndReason(enum.StrEnum):
    UNASSIGNED = "unassigned"
    CONFLICT = "conflict"
    RECUSED = "recused"
    JUDGE_REMOVED = "judge_removed"
    WITHDRAWN = "withdrawn"


ASSIGNMENT_SOURCES = tuple(s.value for s in AssignmentSource)
END_REASONS = tuple(r.value for r in EndReason)


class Assignment(SurrogateKey, Base):
    """A judge asked to review a submission in a round. Never deleted: ending it keeps its
    review for the record and takes it out of the results."""

    __tablename__ = "assignment"
    audit_type = "assignment"

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    # The round's review stage (``Rubric.stage``) this assignment belongs to.
    stage: Mapped[int] = mapped_column(default=1, server_default="1")
    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    judge_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column()
    source: Mapped[str] = mapped_column(sa.String(8), default=AssignmentSource.AUTO.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(sa.String(16))
    end_note: Mapped[str] = mapped_column(sa.Text, default="")
    # The judge's own anonymous number for it in the round (see ``anonymity``): what their
    # queue shows, never the submission's id nor a position.
    number: Mapped[int | None] = mapped_column()

    judge: Mapped[Judge] = relationship(foreign_keys=[judge_id], lazy="joined")
    submission: Mapped[Submission] = relationship(lazy="joined")
    review: Mapped[Review | None] = relationship(back_populates="assignment", uselist=False)

    __table_args__ = (
        # user_id is the judge's user: the pair is checked by the database, not trusted.
        sa.ForeignKeyConstraint(
            ["judge_id", "user_id"],
            ["judge.id", "judge.user_id"],
            name="fk_assignment_judge_user",
            ondelete="CASCADE",
        ),
        unique_where(
            "uq_assignment_active", "submission_id", "stage", "user_id", where="ended_at IS NULL"
        ),
        unique_where(
            "uq_assignment_number", "round_id", "user_id", "number", where="ended_at IS NULL"
        ),
        sa.Index("ix_assignment_round_user", "round_id", "user_id"),
        sa.CheckConstraint(f"source IN {ASSIGNMENT_SOURCES!r}", name="source_valid"),
        sa.CheckConstraint(
            f"(ended_at IS NULL AND end_reason IS NULL) OR "
            f"(ended_at IS NOT NULL AND end_reason IN {END_REASONS!r})",
            name="end_consistent",
        ),
    )

    @property
    def audit_label(self) -> str:
        return f"judge {self.user_id} / submission {self.submission_id}"

    @property
    def active(self) -> bool:
        return self.ended_at is None


class ReviewStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class ReviewProgress(enum.StrEnum):
    """Where an assignment's review stands, as judges and admins see it: not started (there is
    no review yet), or the review's status."""

    NEW = "new"
    DRAFT = ReviewStatus.DRAFT.value
    SUBMITTED = ReviewStatus.SUBMITTED.value


REVIEW_STATUSES = tuple(s.value for s in ReviewStatus)


class Review(SurrogateKey, Base):
    """A judge's review of one assigned submission: a score per criterion and two comments."""

    __tablename__ = "review"
    audit_type = "review"

    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignment.id", ondelete="RESTRICT"), unique=True
    )
    status: Mapped[str] = mapped_column(sa.String(12), default=ReviewStatus.DRAFT.value)
    comment_to_team: Mapped[str] = mapped_column(sa.Text, default="")
    comment_to_admins: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped at every save: the results' fingerprint sums it, so no edit goes unnoticed.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    # The weighted raw score on 0-100 (``normalization.weighted_raw``), written with the scores
    # once every criterion is scored (None before, and after a rubric reset): the insights'
    # score distribution counts 30,000 reviews instead of weighing 150,000 scores per view.
    # The rubric is locked while scores exist, so it cannot go stale.
    weighted_score: Mapped[float | None] = mapped_column(sa.Float)

    assignment: Mapped[Assignment] = relationship(back_populates="review")
    scores: Mapped[list[Score]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="Score.criterion_id"
    )

    __table_args__ = (
        sa.CheckConstraint(f"status IN {REVIEW_STATUSES!r}", name="status_valid"),
        sa.CheckConstraint(
            "(status = 'submitted') = (submitted_at IS NOT NULL)", name="submitted_consistent"
        ),
    )

    @property
    def audit_label(self) -> str:
        return f"review {self.id}"

    def score_map(self) -> dict[int, Decimal]:
        return {s.criterion_id: s.value for s in self.scores}


class Score(SurrogateKey, Base):
    __tablename__ = "score"

    review_id: Mapped[int] = mapped_column(sa.ForeignKey("review.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("criterion.id", ondelete="RESTRICT"), index=True
    )
    value: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))

    review: Mapped[Review] = relationship(back_populates="scores")

    __table_args__ = (sa.UniqueConstraint("review_id", "criterion_id"),)


class FlagKind(enum.StrEnum):
    INELIGIBLE = "ineligible"
    PLAGIARISM = "plagiarism"
    OTHER = "other"


FLAG_KINDS = tuple(k.value for k in FlagKind)


class Flag(SurrogateKey, Base):
    """A judge's concern about a submission, routed to its track's admins."""

    __tablename__ = "judging_flag"
    audit_type = "flag"

    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignment.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    resolution_note: Mapped[str] = mapped_column(sa.Text, default="")

    assignment: Mapped[Assignment] = relationship(lazy="joined")

    __table_args__ = (sa.CheckConstraint(f"kind IN {FLAG_KINDS!r}", name="kind_valid"),)

    @property
    def audit_label(self) -> str:
        return f"flag {self.id} ({self.kind})"


def scores_as_data(review: Review) -> dict[str, Any]:
    """A review's scores as plain data (for the audit log)."""
    return {str(k): str(v) for k, v in review.score_map().items()}


class AdvancementMethod(enum.StrEnum):
    """How a track chose the entries that advance."""

    TOP_N = "top_n"  # the N best ranked of the track
    THRESHOLD = "threshold"  # every entry at or above a normalized score
    MANUAL = "manual"  # ticked by hand


ADVANCEMENT_METHODS = tuple(m.value for m in AdvancementMethod)


class Advancement(SurrogateKey, Base):
    """The admins' decision, per entry and round: advancing to the next round (finalist,
    winner) or not. Audited; the next round accepts submissions only from advancing entries."""

    __tablename__ = "advancement"
    audit_type = "advancement"

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    # The review stage decided: an earlier stage shortlists for the next one; the last stage's
    # decision is the round's (finalists, winners, the next round's entrants).
    stage: Mapped[int] = mapped_column(default=1, server_default="1")
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id", ondelete="CASCADE"), index=True)
    advancing: Mapped[bool] = mapped_column()
    method: Mapped[str] = mapped_column(sa.String(12))
    rank: Mapped[int | None] = mapped_column()
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.UniqueConstraint("round_id", "stage", "entry_id"),
        sa.CheckConstraint(f"method IN {ADVANCEMENT_METHODS!r}", name="method_valid"),
    )

    @property
    def audit_label(self) -> str:
        return f"entry {self.entry_id} / round {self.round_id}"


class RoundResult(Base):
    """A round stage's computed results, kept until the reviews behind them change
    (``fingerprint`` summarises them), so the results page does not recompute 250,000 scores
    per view: this summary (the round's mean and SD, the judges' leniency, the outliers) and
    one ``RoundResultItem`` per submission, which a page reads a page of at a time."""

    __tablename__ = "round_result"

    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("round.id", ondelete="CASCADE"), primary_key=True
    )
    stage: Mapped[int] = mapped_column(primary_key=True, default=1)
    fingerprint: Mapped[str] = mapped_column(sa.String(200))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    mu: Mapped[float | None] = mapped_column(sa.Double())
    sigma: Mapped[float | None] = mapped_column(sa.Double())
    # Small beside the items: one record per judge, one per outlier review.
    leniency: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    outliers: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)


class RoundResultItem(Base):
    """One submission's kept result at a round's stage (``results.SubmissionResult``).
    ``position`` is its place in the whole results (by rank overall, those without a review
    last), ``track_position`` its place in its track's: a page of a track's table is a range
    of the track's index."""

    __tablename__ = "round_result_item"

    round_id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column()
    track_position: Mapped[int] = mapped_column()
    # No foreign keys to the submission, entry or track: the summary's cascade deletes these
    # rows, and a recomputation replaces them before any view reads them.
    submission_id: Mapped[int] = mapped_column()
    entry_id: Mapped[int] = mapped_column()
    team: Mapped[str] = mapped_column(sa.String(120))
    raw: Mapped[float | None] = mapped_column(sa.Double())
    normalized: Mapped[float | None] = mapped_column(sa.Double())
    reviews: Mapped[int] = mapped_column()
    spread: Mapped[float | None] = mapped_column(sa.Double())
    sd: Mapped[float | None] = mapped_column(sa.Double())
    rank_track: Mapped[int | None] = mapped_column()
    rank_overall: Mapped[int | None] = mapped_column()
    tied: Mapped[bool] = mapped_column()

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["round_id", "stage"],
            ["round_result.round_id", "round_result.stage"],
            ondelete="CASCADE",
        ),
        sa.Index(
            "ix_round_result_item_track_page",
            "round_id",
            "stage",
            "track_id",
            "track_position",
            unique=True,
        ),
        sa.Index("ix_round_result_item_entry", "round_id", "stage", "entry_id"),
    )
