"""A judge's reviews: the rounds they judge and their queue, the version they review (and a
file's name under blind judging), scores typed on a criterion's scale, saving and submitting a
review."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.orm import selectinload

from competitions.accounts.models import User
from competitions.challenges.models import Challenge, Round
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, FieldErrors, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.filetypes import typed_name
from competitions.core.forms import CONTROL_MESSAGE
from competitions.core.text import plain_number
from competitions.core.translate import gettext as _
from competitions.entries.models import Entry, Team
from competitions.judging import normalization, panels, permissions, refresh, results, rubrics
from competitions.judging.models import (
    Assignment,
    Judge,
    Review,
    ReviewProgress,
    ReviewStatus,
    Rubric,
    Score,
)
from competitions.submissions.fields import unreadable
from competitions.submissions.models import Submission, SubmissionFile, SubmissionVersion

COMMENT_MAX = 20_000


class InvalidReview(FieldErrors):
    """Scores or comments that cannot be kept, even in a draft review."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(
            _("Some answers cannot be saved as they are: correct them and save again."), problems
        )


def judged_round(user: User, round_id: int) -> Round:
    """A round of a challenge on whose panels the user sits (to anyone else it does not exist)."""
    return judged_round_and_seats(user, round_id)[0]


def judged_round_and_seats(user: User, round_id: int) -> tuple[Round, list[Judge]]:
    """``judged_round`` and the user's seats on the challenge's panels (never empty)."""
    round_ = db.session.get(Round, round_id)
    seats = panels.judge_seats(user, round_.challenge) if round_ is not None else []
    if round_ is None or not seats:
        raise NotFound(_("No such round."))
    return round_, seats


@dataclass(frozen=True)
class QueueRow:
    """A line of the judge's queue: what the page shows of an assignment, nothing more."""

    assignment_id: int
    number: int | None
    stage: int
    team_name: str
    status: ReviewProgress


def queue(user_id: int, round_: Round) -> list[QueueRow]:
    # The queue shows each submission's number, stage and team name: selected as columns, so
    # no assignment, submission, entry or team object (and their JSON columns) is built per row.
    rows = db.session.execute(
        select(Assignment.id, Assignment.number, Assignment.stage, Team.name, Review.status)
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .join(Judge, Judge.id == Assignment.judge_id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(Entry, Entry.id == Submission.entry_id)
        .join(Team, Team.id == Entry.team_id)
        .where(
            Assignment.round_id == round_.id,
            Assignment.user_id == user_id,
            Assignment.ended_at.is_(None),
            Judge.removed_at.is_(None),
        )
        .order_by(Assignment.stage, Assignment.number, Assignment.id)
    ).all()
    return [
        QueueRow(aid, number, stage, name, ReviewProgress(status or ReviewProgress.NEW))
        for aid, number, stage, name, status in rows
    ]


@functools.cache
def _progress() -> Any:
    """``my_rounds``' statement, built once, the user bound at each call: every signed-in
    home page runs it, and building it and its cache key cost more than running it."""
    return (
        select(
            Assignment.round_id,
            func.count(Assignment.id),
            func.count(Review.submitted_at),
        )
        .outerjoin(Review, Review.assignment_id == Assignment.id)
        .join(Judge, Judge.id == Assignment.judge_id)
        .where(
            Assignment.user_id == bindparam("user_id", type_=Integer),
            Assignment.ended_at.is_(None),
            Judge.removed_at.is_(None),
        )
        .group_by(Assignment.round_id)
    )


def my_rounds(user_id: int) -> list[tuple[Challenge, Round, int, int]]:
    """(challenge, round, assigned, submitted) for every round the user has active work in."""
    rows = db.session.execute(_progress(), {"user_id": user_id}).all()
    out = []
    for round_id, assigned, submitted in rows:
        round_ = db.session.get(Round, round_id)
        if round_ is not None:
            out.append((round_.challenge, round_, int(assigned), int(submitted)))
    return sorted(out, key=lambda r: (r[1].judging_closes, r[1].id))


def counting_version(submission: Submission) -> SubmissionVersion | None:
    """The version judges review: the latest one (every stored version was on time)."""
    return db.session.scalar(
        select(SubmissionVersion)
        .where(SubmissionVersion.submission_id == submission.id)
        .order_by(SubmissionVersion.number.desc())
        .limit(1)
    )


def file_name_for_judge(assignment: Assignment, record: SubmissionFile) -> str:
    """The name a judge downloads a submission's file under: under blind judging, one that
    does not name the team; its extension is always the detected type's."""
    rubric = rubrics.rubric_for(assignment.submission.round, assignment.stage, create=False)
    name = record.filename
    if rubric is not None and rubric.blind:
        files = _files_reviewed(assignment)
        n = next((i for i, f in enumerate(files, 1) if f.id == record.id), 0)
        name = f"submission-{assignment.number}-{record.field_key}-{n}"
    return typed_name(name, record.content_type)


def _files_reviewed(assignment: Assignment) -> list[SubmissionFile]:
    """The files of the version the judge reviews, in the order its page lists them."""
    version = counting_version(assignment.submission)
    return list(version.files) if version is not None else []


def parse_score(raw: Any, criterion: Any) -> Decimal | None:
    """A score typed by a judge on the criterion's scale (text, as the form sends it), or None
    when left empty."""
    if raw is not None and not isinstance(raw, str):
        raise DomainError(
            _("Enter a number for “%(c)s”.", c=criterion.audit_label), f"c{criterion.id}"
        )
    text = (raw or "").strip().replace(",", ".")
    if not text:
        return None
    if len(text) > 50:
        raise DomainError(
            _("Enter a number for “%(c)s”.", c=criterion.audit_label), f"c{criterion.id}"
        )
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise DomainError(
            _("Enter a number for “%(c)s”.", c=criterion.audit_label), f"c{criterion.id}"
        ) from exc
    if not value.is_finite() or value < criterion.scale_min or value > criterion.scale_max:
        raise DomainError(
            _(
                "“%(c)s” is scored from %(lo)s to %(hi)s.",
                c=criterion.audit_label,
                lo=plain_number(criterion.scale_min),
                hi=plain_number(criterion.scale_max),
            ),
            f"c{criterion.id}",
        )
    if (value - criterion.scale_min) % criterion.step != 0:
        raise DomainError(
            _(
                "“%(c)s” is scored in steps of %(step)s.",
                c=criterion.audit_label,
                step=plain_number(criterion.step),
            ),
            f"c{criterion.id}",
        )
    return value.quantize(Decimal("0.01"))


def save_review(
    actor: Actor,
    assignment: Assignment,
    scores: dict[int, Any],
    comment_to_team: str,
    comment_to_admins: str,
    submit: bool,
) -> Review:
    """Save the judge's scores and comments; ``submit`` requires a score for every criterion.
    A submitted review stays editable (and submitted) until judging closes."""
    if not permissions.can_score(actor.user, assignment):
        raise PermissionDenied(_("This is not one of your assignments."))
    round_ = assignment.submission.round
    if clock.now() > round_.judging_closes:
        raise DomainError(_("Judging of this round has closed: reviews can no longer change."))
    rubric = rubrics.get_stage(round_, assignment.stage)
    values = _checked(
        rubric, scores, {"comment_to_team": comment_to_team, "comment_to_admins": comment_to_admins}
    )
    review = assignment.review
    if review is None:
        review = Review(assignment=assignment)
        db.session.add(review)
    if submit or review.status == ReviewStatus.SUBMITTED:
        missing = [c.audit_label for c in rubric.criteria if c.id not in values]
        if missing:
            raise DomainError(
                _("Score every criterion before submitting: %(list)s.", list=", ".join(missing))
            )
    if values:
        rubrics.lock(rubric)
    _set_scores(review, values)
    review.weighted_score = weighted_score(rubric, values)
    review.comment_to_team = (comment_to_team or "").strip()
    review.comment_to_admins = (comment_to_admins or "").strip()
    now = clock.now()
    review.updated_at = now
    review.revision = (review.revision or 0) + 1
    if submit and review.status != ReviewStatus.SUBMITTED:
        review.status, review.submitted_at = ReviewStatus.SUBMITTED.value, now
    db.session.flush()
    if review.status == ReviewStatus.SUBMITTED:
        refresh.after_commit(round_.id, assignment.stage)  # the results move with it
    if submit:
        audit.record(
            actor,
            "judging.review_submitted",
            obj=review,
            agency_id=assignment.submission.entry.track.agency_id,
            after={"scores": {str(k): str(v) for k, v in values.items()}},
        )
    return review


def _parsed(rubric: Rubric, scores: dict[int, Any], problems: dict[str, str]) -> dict[int, Decimal]:
    """The scores typed for the rubric's criteria (left empty: absent); why a score cannot be
    taken (off the criterion's scale, not a number) goes into ``problems`` under its field."""
    if not rubric.criteria:
        raise DomainError(_("The rubric has no criteria yet: scoring opens when it has."))
    values: dict[int, Decimal] = {}
    for criterion in rubric.criteria:
        try:
            value = parse_score(scores.get(criterion.id), criterion)
        except DomainError as err:
            problems[err.field or ""] = err.message
            continue
        if value is not None:
            values[criterion.id] = value
    return values


def _checked(
    rubric: Rubric, scores: dict[int, Any], comments: dict[str, Any]
) -> dict[int, Decimal]:
    """The review's scores, once every score and comment passed its checks; otherwise
    ``InvalidReview`` says what is wrong with each field (nothing is changed)."""
    problems: dict[str, str] = {}
    values = _parsed(rubric, scores, problems)
    for key, comment in comments.items():
        problem = comment_problem(comment)
        if problem:
            problems[key] = problem
    if problems:
        raise InvalidReview(problems)
    return values


def comment_problem(comment: Any) -> str | None:
    """Why a comment cannot be kept (``None``: it can): not text, longer than
    ``COMMENT_MAX`` characters, or holding control characters or lone surrogates."""
    if comment is None:
        return None
    if not isinstance(comment, str):
        return _("Enter text.")
    if unreadable(comment):
        return str(CONTROL_MESSAGE)
    if len(comment.strip()) > COMMENT_MAX:
        return _("Use at most %(n)d characters.", n=COMMENT_MAX)
    return None


def weighted_score(rubric: Rubric, values: dict[int, Decimal]) -> float | None:
    """The review's weighted raw score on 0-100 once every criterion of ``rubric`` is scored
    (``normalization.weighted_raw``, the results' formula), else None."""
    if not rubric.criteria or any(c.id not in values for c in rubric.criteria):
        return None
    criteria = [
        normalization.Criterion(
            c.id, float(c.weight), float(c.scale_min), float(c.scale_max), float(c.step)
        )
        for c in rubric.criteria
    ]
    return normalization.weighted_raw(values, criteria)


def _set_scores(review: Review, values: dict[int, Decimal]) -> None:
    """The review's scores become ``values``: changed in place, added, or removed."""
    current = {s.criterion_id: s for s in review.scores}
    for criterion_id, value in values.items():
        if criterion_id in current:
            current[criterion_id].value = value
        else:
            review.scores.append(Score(criterion_id=criterion_id, value=value))
    for criterion_id, score in current.items():
        if criterion_id not in values:
            review.scores.remove(score)


# --- the counted reviews of a track, for the API's export ------------------------------------


def track_reviews(round_: Round, stage: int, track_id: int) -> Any:
    """The counted reviews of the round's stage in one track (the export's rows, as objects):
    a statement to page through by review id, with each review's scores loaded with it."""
    return (
        select(Review)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(Entry, Entry.id == Submission.entry_id)
        .where(*results.counted_reviews(round_.id, stage), Entry.track_id == track_id)
        .options(selectinload(Review.scores))
    )


def reviews_about(review_ids: list[int]) -> dict[int, Any]:
    """For each review: its submission, entry and judge (user id and email), in one query."""
    rows = db.session.execute(
        select(
            Review.id, Assignment.submission_id, Submission.entry_id, Assignment.user_id, User.email
        )
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(User, User.id == Assignment.user_id)
        .where(Review.id.in_(review_ids))
    )
    return {row.id: row for row in rows}
