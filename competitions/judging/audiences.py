"""Judges as outreach's audiences: those seated on a challenge's panels, and those with reviews
still to submit in a round (for announcements and reminder notices)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from competitions.core.extensions import db
from competitions.entries.models import Entry
from competitions.judging.models import Assignment, Judge, Panel, Review, ReviewStatus
from competitions.submissions.models import Submission


@dataclass(frozen=True)
class JudgeRecipient:
    """A judge to write to: their seat (the panel's track signs, or the lead agency for the
    shared panel) and how many of their reviews in the round are not submitted yet."""

    judge: Judge
    reviews_left: int


def seated_judges(challenge_id: int, track_id: int | None = None) -> list[JudgeRecipient]:
    """Judges on the challenge's panels (only the track's panel when ``track_id``), one per
    person, track panels before the shared one."""
    stmt = (
        select(Judge)
        .join(Panel, Panel.id == Judge.panel_id)
        .where(Panel.challenge_id == challenge_id, Judge.removed_at.is_(None))
        .order_by(Panel.track_id.is_(None), Judge.id)
    )
    if track_id is not None:
        stmt = stmt.where(Panel.track_id == track_id)
    seen: dict[int, JudgeRecipient] = {}
    for judge in db.session.scalars(stmt).unique():
        seen.setdefault(judge.user_id, JudgeRecipient(judge, 0))
    return list(seen.values())


def judges_with_reviews_left(round_id: int, track_id: int | None = None) -> list[JudgeRecipient]:
    """Seated judges with active assignments in the round whose review is not submitted (only
    assignments of the track's submissions when ``track_id``), with how many, one per person."""
    submitted = (
        select(Review.id)
        .where(Review.assignment_id == Assignment.id, Review.status == ReviewStatus.SUBMITTED)
        .exists()
    )
    stmt = (
        select(Assignment.judge_id, func.count(Assignment.id))
        .join(Judge, Judge.id == Assignment.judge_id)
        .where(
            Assignment.round_id == round_id,
            Assignment.ended_at.is_(None),
            Judge.removed_at.is_(None),
            ~submitted,
        )
        .group_by(Assignment.judge_id)
    )
    if track_id is not None:
        stmt = (
            stmt.join(Submission, Submission.id == Assignment.submission_id)
            .join(Entry, Entry.id == Submission.entry_id)
            .where(Entry.track_id == track_id)
        )
    left: dict[int, int] = {row[0]: row[1] for row in db.session.execute(stmt).all()}
    if not left:
        return []
    per_user: dict[int, JudgeRecipient] = {}
    for judge in db.session.scalars(
        select(Judge).where(Judge.id.in_(left.keys())).order_by(Judge.id)
    ).unique():
        known = per_user.get(judge.user_id)
        total = left[judge.id] + (known.reviews_left if known else 0)
        per_user[judge.user_id] = JudgeRecipient(known.judge if known else judge, total)
    return list(per_user.values())
