"""Blind judging: the numbers a judge's queue shows, and why a conflict of interest never
shows the judge which anonymous submission was the team they named.

The leak this closes: a judge of a blind stage saw "Submission #<the submission's id>" for
each assignment; declaring a conflict with a named team ended that team's assignment, so the
number that left the queue was that team's. Comparing the queue before and after told the judge
who was behind it (and, the ids being global, told every judge who compared notes).

What a judge sees of their queue without opening a submission: the numbers, their order, each
one's review status, how many there are, and where each links to. The rules below make all of
these the same whatever team was named, whether or not it was in the queue:

1. **The judge's own numbers.** Each assignment carries a number (1000-9999) drawn at random
   among those the judge has not had in the round: not the submission's id (nothing to compare
   with other judges or other pages), not a position (it says nothing of when or in which order
   work came). The queue is sorted by number and links to ``/judging/rounds/<round>/
   submissions/<number>``, so no id in the page depends on what lies behind a number.
2. **Refill under the same number.** When a conflict ends a judge's assignment in a blind stage
   (whatever recorded it: the judge naming a team or an organisation, an admin, detection) and
   the judge had not started its review, another submission of the stage takes its place at
   once, under the same number: the one "score the next least-reviewed" would give them (fewest
   active reviews, neither conflicted nor already theirs). The queue page is then exactly the
   page it was.
3. **Renumbering when nothing can take its place** (the judge already has every submission they
   may judge): every assignment whose review the judge has not started in that round is given a
   fresh number, in random order. The queue is one shorter, and which number went cannot be told
   among the not-started ones.

What no queue can hide, and is left as it is:

- A submission the judge has already opened: they have read it, and it must leave them (they
  may not judge it). Seeing another submission under its number, or not finding it again,
  tells them. A judge who recognizes a submission should step back from it on its page.
- A review they had started (a draft or submitted): the review is theirs and ends with the
  assignment (kept for the record, out of the results), so the queue shows one fewer started
  review. Such an assignment is not refilled: a new submission under a number whose draft they
  wrote would say the same and puzzle them.

Non-blind stages show team names anyway: nothing is refilled or renumbered there. Recusing
(stepping back from one submission) is not a conflict by name: that assignment simply ends.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from competitions.challenges.models import Round
from competitions.core import audit, clock
from competitions.core.actor import SYSTEM
from competitions.core.errors import NotFound
from competitions.core.extensions import db
from competitions.judging import rubrics
from competitions.judging.models import Assignment, AssignmentSource, Review

LOWEST, HIGHEST = 1000, 9999
_draw = random.SystemRandom()


def numbers_used(round_id: int, user_ids: Iterable[int]) -> dict[int, set[int]]:
    """Per judge, every number they have had in the round (active or ended)."""
    used: dict[int, set[int]] = defaultdict(set)
    for user_id, number in db.session.execute(
        select(Assignment.user_id, Assignment.number).where(
            Assignment.round_id == round_id,
            Assignment.user_id.in_(set(user_ids)),
        )
    ):
        if number is not None:
            used[user_id].add(number)
    return used


def draw(used: set[int]) -> int:
    """A number not in ``used`` (which it joins), at random."""
    while len(used) < HIGHEST - LOWEST + 1:
        number = _draw.randint(LOWEST, HIGHEST)
        if number not in used:
            used.add(number)
            return number
    raise RuntimeError("a judge has had every number of the round")


def new_number(round_id: int, user_id: int) -> int:
    """The number of a judge's new assignment in the round."""
    return draw(numbers_used(round_id, {user_id})[user_id])


def slot(user_id: int, round_id: int, number: int) -> Assignment:
    """The judge's active assignment under ``number`` in the round."""
    found = db.session.scalar(
        select(Assignment).where(
            Assignment.user_id == user_id,
            Assignment.round_id == round_id,
            Assignment.number == number,
            Assignment.ended_at.is_(None),
        )
    )
    if found is None:
        raise NotFound("no such submission in your queue")
    return found


def after_conflict(ended_ids: list[int]) -> None:
    """Rules 2 and 3 for assignments a conflict has just ended."""
    ended = db.session.scalars(select(Assignment).where(Assignment.id.in_(ended_ids))).all()
    for a in sorted(ended, key=lambda a: a.id):
        if not _blind(a) or _started(a):
            continue
        if not _refill(a):
            _renumber(a.user_id, a.round_id)


def _blind(a: Assignment) -> bool:
    rubric = rubrics.rubric_for(a.submission.round, a.stage, create=False)
    return bool(rubric is not None and rubric.blind)


def _started(a: Assignment) -> bool:
    return db.session.scalar(select(Review.id).where(Review.assignment_id == a.id)) is not None


def _refill(ended: Assignment) -> bool:
    """Give the judge another submission under the ended assignment's number (rule 2)."""
    from competitions.judging import assignments  # it records conflicts through this module

    round_: Any = db.session.get(Round, ended.round_id)
    if clock.now() > round_.judging_closes:  # no new work once judging has closed
        return False
    chosen = assignments.next_for(round_, ended.stage, ended.user_id)
    if chosen is None:
        return False
    submission_id, seat = chosen
    a = Assignment(
        round_id=ended.round_id,
        stage=ended.stage,
        submission_id=submission_id,
        judge_id=seat.id,
        user_id=seat.user_id,
        source=AssignmentSource.POOL.value,
        number=ended.number,
    )
    db.session.add(a)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # taken meanwhile: renumber instead
        return False
    audit.record(
        SYSTEM,
        "judging.refilled",
        obj=a,
        agency_id=a.submission.entry.track.agency_id,
        after={"in_place_of": ended.id, "submission": submission_id},
    )
    return True


def _renumber(user_id: int, round_id: int) -> None:
    """Fresh numbers, in random order, for the judge's not-started assignments (rule 3)."""
    waiting = list(
        db.session.scalars(
            select(Assignment)
            .outerjoin(Review, Review.assignment_id == Assignment.id)
            .where(
                Assignment.user_id == user_id,
                Assignment.round_id == round_id,
                Assignment.ended_at.is_(None),
                Review.id.is_(None),
            )
        )
    )
    used = numbers_used(round_id, {user_id})[user_id]
    _draw.shuffle(waiting)
    for a in waiting:
        a.number = draw(used)
    db.session.flush()
