"""The figures behind a challenge's insights, counted by the database: one grouped query per
figure, whatever the number of entries, reviews or emails. Each answers typed rows per track;
what a viewer may see of them, and the charts, are ``charts``.

Definitions (the same on both engines):

- **Registrations over time**: every entry ever registered (withdrawn ones included: they
  registered), per track and UTC day of ``registered_at``.
- **Entrants** (country, entrant type, eligibility outcome and reasons): the active entries
  (not withdrawn). An entrant's country is its organisation's country of establishment, else
  its team lead's country of residence (the country part of a subdivision such as ``CA-QC``).
  The outcome is the admins' override when there is one, else the evaluator's decision; the
  reasons are the evaluator's blocking reasons (those that are not "ok").
- **Funnel** per track and round: *registered* active entries; *submitted*: those with a
  submitted version in the round (submission not withdrawn); *eligible*: submitted and eligible
  (for prizes or recognition); *advanced*: the track's decision at the round's last review
  stage says it advances; *winners*: advanced from the challenge's last round.
- **Judging progress** per track, round and stage: the active assignments by the state of their
  review (not started, draft, submitted).
- **Score distribution**: each counted review's weighted score on 0-100 (the formula of
  ``judging.results``: each score placed on its criterion's scale, weighted, averaged, times
  100; the review keeps it with its scores), in ten bins of 10 points (the last includes 100).
- **Outreach** per track (none: challenge-wide) and language: the outbox rows of the
  announcements by delivery state (queued = queued, sending or retrying), and how many of those
  recipients have since unsubscribed. The language is that of the subscription the email was
  sent under (``OutboxMessage.subscription_id``; none: "").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, case, cast, func, select

from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from competitions.core.outbox import OutboxMessage
from competitions.core.outbox import Status as OutboxStatus
from competitions.entries.models import Entry, Team, TeamMember, TeamRole
from competitions.judging.models import (
    Advancement,
    Assignment,
    Review,
    ReviewProgress,
    ReviewStatus,
    Rubric,
)
from competitions.outreach.models import Announcement, Subscription, SubscriptionStatus
from competitions.submissions.models import Submission, SubmissionVersion

BINS = 10  # score bins of 10 points on 0-100
EDGE_SLACK = 1e-9  # float noise of the weighted scores


@dataclass(frozen=True)
class DayCount:
    track_id: int
    day: date
    count: int


@dataclass(frozen=True)
class KeyCount:
    """How many of a track's entries (or reasons) fall under ``key``."""

    track_id: int
    key: str
    count: int


@dataclass(frozen=True)
class RoundCount:
    """The funnel of one track in one round (``registered`` is the track's)."""

    track_id: int
    round_id: int
    submitted: int
    eligible: int
    advanced: int


@dataclass(frozen=True)
class ProgressCount:
    track_id: int
    round_id: int
    stage: int
    state: str  # a ReviewProgress value
    count: int


@dataclass(frozen=True)
class ScoreBin:
    track_id: int
    round_id: int
    stage: int
    bin: int  # 0 for [0, 10), ..., 9 for [90, 100]
    count: int


@dataclass(frozen=True)
class OutreachCount:
    track_id: int | None  # None: a challenge-wide announcement
    language: str  # "" when the recipient has no subscription
    queued: int
    sent: int
    failed: int
    unsubscribed: int


@dataclass(frozen=True)
class Figures:
    """Every figure of a challenge, for every track (``charts`` keeps what a viewer may see)."""

    registrations: tuple[DayCount, ...]
    countries: tuple[KeyCount, ...]
    entrant_types: tuple[KeyCount, ...]
    outcomes: tuple[KeyCount, ...]
    reasons: tuple[KeyCount, ...]
    funnel: tuple[RoundCount, ...]
    progress: tuple[ProgressCount, ...]
    scores: tuple[ScoreBin, ...]
    outreach: tuple[OutreachCount, ...]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _day(column: Any) -> Any:
    """The UTC day of an instant as 'YYYY-MM-DD' (SQLite keeps instants as UTC text)."""
    if _dialect() == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)


def _active(challenge: Challenge) -> list[Any]:
    return [Entry.challenge_id == challenge.id, Entry.withdrawn_at.is_(None)]


def registrations(challenge: Challenge) -> tuple[DayCount, ...]:
    day = _day(Entry.registered_at).label("day")
    rows = db.session.execute(
        select(Entry.track_id, day, func.count(Entry.id))
        .where(Entry.challenge_id == challenge.id)
        .group_by(Entry.track_id, day)
        .order_by(day, Entry.track_id)
    ).all()
    return tuple(DayCount(t, date.fromisoformat(d), n) for t, d, n in rows)


def _entrants(
    challenge: Challenge,
) -> tuple[tuple[KeyCount, ...], tuple[KeyCount, ...], tuple[KeyCount, ...]]:
    """Active entries per track by country, by entrant type and by outcome, from one grouped
    query (per track, country, type and outcome: a few hundred rows at most) summed three ways.
    The team's lead (at most one per team) gives the country of residence."""
    residence = func.coalesce(Team.organisation_country, TeamMember.residence)
    keys = (
        Entry.track_id,
        func.upper(func.substr(residence, 1, 2)).label("country"),
        Team.entrant_type.label("kind"),
        func.coalesce(Entry.override, Entry.eligibility).label("outcome"),
    )
    rows = db.session.execute(
        select(*keys, func.count(Entry.id))
        .join(Team, Team.id == Entry.team_id)
        .outerjoin(
            TeamMember, and_(TeamMember.team_id == Team.id, TeamMember.role == TeamRole.LEAD.value)
        )
        .where(*_active(challenge))
        .group_by(*keys)
    ).all()
    sums: tuple[dict[tuple[int, str], int], ...] = ({}, {}, {})
    for track_id, *values, count in rows:
        for per, value in zip(sums, values, strict=True):
            key = (track_id, value or "")
            per[key] = per.get(key, 0) + count

    def counts(per: dict[tuple[int, str], int]) -> tuple[KeyCount, ...]:
        return tuple(KeyCount(t, k, n) for (t, k), n in sorted(per.items()))

    return counts(sums[0]), counts(sums[1]), counts(sums[2])


def countries(challenge: Challenge) -> tuple[KeyCount, ...]:
    return _entrants(challenge)[0]


def entrant_types(challenge: Challenge) -> tuple[KeyCount, ...]:
    return _entrants(challenge)[1]


def outcomes(challenge: Challenge) -> tuple[KeyCount, ...]:
    return _entrants(challenge)[2]


def reasons(challenge: Challenge) -> tuple[KeyCount, ...]:
    """Each blocking reason code of the active entries' stored decisions, per track."""
    if _dialect() == "postgresql":
        item = func.json_array_elements(Entry.eligibility_reasons).table_valued(
            "value", joins_implicitly=True
        )
        code: Any = item.c.value.op("->>")("code")
        severity: Any = item.c.value.op("->>")("severity")
    else:
        item = func.json_each(Entry.eligibility_reasons).table_valued(
            "value", joins_implicitly=True
        )
        code = func.json_extract(item.c.value, "$.code")
        severity = func.json_extract(item.c.value, "$.severity")
    rows = db.session.execute(
        select(Entry.track_id, code.label("code"), func.count())
        .select_from(Entry)
        .join(item, sa.true())
        .where(*_active(challenge), severity != "ok")
        .group_by(Entry.track_id, code)
        .order_by(Entry.track_id, code)
    ).all()
    return tuple(KeyCount(t, str(c), n) for t, c, n in rows)


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def funnel(challenge: Challenge) -> tuple[RoundCount, ...]:
    """Submitted, eligible and advanced entries per track and round (one query; the decisions
    at each round's last stage are joined, not looked up per row)."""
    last = (
        select(Rubric.round_id, func.max(Rubric.stage).label("stage"))
        .group_by(Rubric.round_id)
        .subquery()
    )
    advancing = (
        select(Advancement.round_id, Advancement.entry_id)
        .outerjoin(last, last.c.round_id == Advancement.round_id)
        .where(
            Advancement.advancing.is_(True),
            Advancement.stage == func.coalesce(last.c.stage, 1),
            Advancement.round_id.in_([r.id for r in challenge.rounds]),
        )
        .subquery()
    )
    versioned = select(SubmissionVersion.submission_id)
    eligible = func.coalesce(Entry.override, Entry.eligibility) != "not_eligible"
    rows = db.session.execute(
        select(
            Entry.track_id,
            Submission.round_id,
            func.count(Submission.id),
            _count_if(eligible),
            _count_if(advancing.c.entry_id.is_not(None)),
        )
        .join(Entry, Entry.id == Submission.entry_id)
        .outerjoin(
            advancing,
            and_(advancing.c.round_id == Submission.round_id, advancing.c.entry_id == Entry.id),
        )
        .where(*_active(challenge), Submission.withdrawn_at.is_(None), Submission.id.in_(versioned))
        .group_by(Entry.track_id, Submission.round_id)
        .order_by(Entry.track_id, Submission.round_id)
    ).all()
    return tuple(RoundCount(t, r, s, e, a) for t, r, s, e, a in rows)


def _judging(challenge: Challenge) -> tuple[tuple[ProgressCount, ...], tuple[ScoreBin, ...]]:
    """Judging progress and score bins in one pass over the active assignments: grouped by
    track, round, stage, review state and, for submitted reviews, the bin of the weighted score
    the review keeps (``Review.weighted_score``: 30,000 reviews read, not 150,000 scores)."""
    state = func.coalesce(Review.status, ReviewProgress.NEW.value).label("state")
    raw = Review.weighted_score
    # A score on a bin's edge (30, computed as 29.999…) belongs to the bin it starts.
    edges = [(raw < 10 * (i + 1) - EDGE_SLACK, i) for i in range(BINS - 1)]
    bin_ = case(
        (Review.status != ReviewStatus.SUBMITTED.value, None),
        (raw.is_(None), None),
        *edges,
        else_=BINS - 1,
    ).label("bin")
    keys = (Entry.track_id, Assignment.round_id, Assignment.stage)
    rows = db.session.execute(
        select(*keys, state, bin_, func.count())
        .select_from(Assignment)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(Entry, Entry.id == Submission.entry_id)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .where(
            # The challenge's rounds first: the assignments' (round, user) index, not every
            # challenge's assignments.
            Assignment.round_id.in_([r.id for r in challenge.rounds]),
            Entry.challenge_id == challenge.id,
            Assignment.ended_at.is_(None),
        )
        .group_by(*keys, state, bin_)
        .order_by(*keys, state, bin_)
    ).all()
    progress: dict[tuple[int, int, int, str], int] = {}
    bins: list[ScoreBin] = []
    for track_id, round_id, stage, state_, bin_value, count in rows:
        key = (track_id, round_id, stage, state_)
        progress[key] = progress.get(key, 0) + count
        if bin_value is not None:
            bins.append(ScoreBin(track_id, round_id, stage, bin_value, count))
    return tuple(ProgressCount(*k, n) for k, n in progress.items()), tuple(bins)


def progress(challenge: Challenge) -> tuple[ProgressCount, ...]:
    """The active assignments per track, round, stage and state of their review."""
    return _judging(challenge)[0]


def scores(challenge: Challenge) -> tuple[ScoreBin, ...]:
    """The counted reviews' weighted scores (0-100) in ten bins, per track, round and stage."""
    return _judging(challenge)[1]


def outreach(challenge: Challenge) -> tuple[OutreachCount, ...]:
    """The announcements' emails per track and language by state: one pass over the outbox
    rows of the challenge's announcements, joined to their subscription by its id."""
    m = OutboxMessage
    source = sa.literal("announcement:") + cast(Announcement.id, sa.String)
    waiting = (OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value, OutboxStatus.RETRYING.value)
    language = func.coalesce(Subscription.language, "").label("language")
    rows = db.session.execute(
        select(
            Announcement.track_id,
            language,
            _count_if(m.status.in_(waiting)),
            _count_if(m.status == OutboxStatus.SENT.value),
            _count_if(m.status == OutboxStatus.FAILED.value),
            _count_if(Subscription.status == SubscriptionStatus.UNSUBSCRIBED.value),
        )
        .select_from(m)
        .join(Announcement, m.source == source)
        .outerjoin(Subscription, Subscription.id == m.subscription_id)
        .where(Announcement.challenge_id == challenge.id)
        .group_by(Announcement.track_id, language)
        .order_by(Announcement.track_id, language)
    ).all()
    return tuple(OutreachCount(*row) for row in rows)


def figures(challenge: Challenge) -> Figures:
    """Every figure of the challenge: six grouped queries (registrations, entrants, reasons,
    funnel, judging, outreach)."""
    judging_progress, score_bins = _judging(challenge)
    by_country, by_type, by_outcome = _entrants(challenge)
    return Figures(
        registrations=registrations(challenge),
        countries=by_country,
        entrant_types=by_type,
        outcomes=by_outcome,
        reasons=reasons(challenge),
        funnel=funnel(challenge),
        progress=judging_progress,
        scores=score_bins,
        outreach=outreach(challenge),
    )
