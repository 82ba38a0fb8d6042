"""Questions: asking, the agencies' queue, declining, merging and hiding (moderation).

A question is private: the asker and the agencies that answer it see it (``permissions``).
Every change an agency makes is audited in the question's agency's log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from competitions.challenges.models import Challenge
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.i18n import languages
from competitions.core.text import text_block
from competitions.core.translate import gettext as _
from competitions.questions import permissions
from competitions.questions.models import (
    Answer,
    AnswerStatus,
    AnswerVersion,
    AnswerVersionStatus,
    Question,
    QuestionStatus,
)

MIN_QUESTION = 10
MAX_QUESTION = 4000
MAX_REASON = 1000

# The order of the queue: what needs an answer first.
QUEUE_ORDER = {
    QuestionStatus.NEW: 0,
    QuestionStatus.BEING_ANSWERED: 1,
    QuestionStatus.ANSWERED: 2,
    QuestionStatus.MERGED: 3,
    QuestionStatus.DECLINED: 4,
}


def get_question(challenge: Challenge, question_id: int) -> Question:
    """The question ``question_id`` of ``challenge`` (``NotFound`` otherwise)."""
    question = db.session.get(Question, question_id)
    if question is None or question.challenge_id != challenge.id:
        raise NotFound(_("No such question."))
    return question


def ask(actor: Actor, challenge: Challenge, track_slug: str, body: str, lang: str) -> Question:
    """A signed-in person asks a question of the challenge, or of one of its tracks."""
    if actor.user is None or not challenge.is_published:
        raise NotFound(_("No such challenge."))
    track = None
    if track_slug:
        track = next((t for t in challenge.tracks if t.slug == track_slug), None)
        if track is None:
            raise DomainError(_("Choose one of the challenge's tracks."), field="track")
    text = text_block(body)
    if len(text) < MIN_QUESTION:
        raise DomainError(
            _("Write your question in at least %(n)d characters.", n=MIN_QUESTION), field="body"
        )
    if len(text) > MAX_QUESTION:
        raise DomainError(
            _("Keep your question under %(n)d characters.", n=MAX_QUESTION), field="body"
        )
    question = Question(
        challenge=challenge,
        track=track,
        asker_id=actor.user_id,
        body=text,
        language=lang if lang in languages() else languages()[0],
        status=QuestionStatus.NEW.value,
    )
    db.session.add(question)
    db.session.flush()
    audit.record(
        actor,
        "question.asked",
        obj=question,
        agency_id=question.audit_agency_id,
        after={"track": track.slug if track else None},
    )
    return question


def asked_by(user: Any, challenge: Challenge) -> list[Question]:
    """The questions ``user`` asked of ``challenge``, newest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.challenge_id == challenge.id, Question.asker_id == user.id)
            .options(selectinload(Question.answer))
            .order_by(Question.id.desc())
        )
    )


@dataclass(frozen=True)
class Queue:
    """What an agency member sees of a challenge's questions."""

    questions: list[Question]
    # challenge-wide answers (or corrections of published ones) the user may approve
    awaiting_approval: list[Question]
    hidden: int


def queue(user: Any, challenge: Challenge, status: str = "", show_hidden: bool = False) -> Queue:
    """The questions ``user`` may answer (and those awaiting their approval), needing an
    answer first; ``status`` filters by one status."""
    rows = list(
        db.session.scalars(
            select(Question)
            .where(Question.challenge_id == challenge.id)
            .options(
                selectinload(Question.answer).selectinload(Answer.versions),
                selectinload(Question.track),
            )
            .order_by(Question.id)
        )
    )
    visible = [q for q in rows if permissions.can_see_question(user, q)]
    hidden = sum(1 for q in visible if q.is_hidden)
    shown = [q for q in visible if show_hidden or not q.is_hidden]
    if status:
        shown = [q for q in shown if q.status == status]
    shown.sort(key=lambda q: (QUEUE_ORDER.get(QuestionStatus(q.status), 9), -q.id))
    approving = permissions.can_approve(user, challenge)
    waiting = [
        q
        for q in visible
        if approving
        and q.answer is not None
        and (
            q.answer.status == AnswerStatus.AWAITING_APPROVAL
            or (q.answer.is_published and q.answer.pending_correction() is not None)
        )
        and not q.is_hidden
    ]
    return Queue(shown, waiting, hidden)


def to_answer_count(user: Any, challenge_ids: list[int]) -> dict[int, int]:
    """Per challenge, the questions ``user``'s agencies have to answer (new or being
    answered, not hidden) — for the home page."""
    if not challenge_ids:
        return {}
    rows = db.session.scalars(
        select(Question)
        .where(
            Question.challenge_id.in_(challenge_ids),
            Question.hidden_at.is_(None),
            or_(
                Question.status == QuestionStatus.NEW.value,
                Question.status == QuestionStatus.BEING_ANSWERED.value,
            ),
        )
        .options(selectinload(Question.track))
        .limit(500)
    )
    counts: dict[int, int] = {}
    for q in rows:
        if permissions.can_answer(user, q):
            counts[q.challenge_id] = counts.get(q.challenge_id, 0) + 1
    return counts


def awaiting_approval_count(user: Any, challenges: list[Challenge]) -> dict[int, int]:
    """Per challenge whose lead's admin ``user`` is, the challenge-wide answers and the
    corrections of published ones that wait for their approval — for the home page."""
    ids = [c.id for c in challenges if permissions.can_approve(user, c)]
    if not ids:
        return {}
    pending = exists().where(
        AnswerVersion.answer_id == Answer.id,
        AnswerVersion.status == AnswerVersionStatus.AWAITING_APPROVAL.value,
    )
    rows = db.session.execute(
        select(Answer.challenge_id, func.count())
        .join(Question, Question.id == Answer.question_id)
        .where(
            Answer.challenge_id.in_(ids),
            Question.hidden_at.is_(None),
            or_(
                Answer.status == AnswerStatus.AWAITING_APPROVAL.value,
                and_(Answer.status == AnswerStatus.PUBLISHED.value, pending),
            ),
        )
        .group_by(Answer.challenge_id)
    ).all()
    return {int(challenge_id): int(count) for challenge_id, count in rows}


def _require_answerer(actor: Actor, question: Question) -> None:
    if not permissions.can_answer(actor.user, question):
        raise PermissionDenied("not an agency of this question")


def reason_text(reason: str, field: str = "reason") -> str:
    text = text_block(reason)
    if not text:
        raise DomainError(_("Give a reason."), field=field)
    if len(text) > MAX_REASON:
        raise DomainError(_("Keep the reason under %(n)d characters.", n=MAX_REASON), field=field)
    return text


def _not_published(question: Question) -> None:
    if question.answer is not None and question.answer.is_published:
        raise DomainError(_("This question's answer is published: it cannot change any more."))


def decline(actor: Actor, question: Question, reason: str) -> None:
    """Decline to answer, with a reason the asker reads."""
    _require_answerer(actor, question)
    _not_published(question)
    text = reason_text(reason)
    before = question.status
    question.status = QuestionStatus.DECLINED.value
    question.decline_reason = text
    question.merged_into_id = None
    audit.record(
        actor,
        "question.declined",
        obj=question,
        agency_id=question.audit_agency_id,
        before={"status": before},
        after={"status": question.status, "reason": text},
    )


def merge(actor: Actor, question: Question, target_id: int | None) -> None:
    """The question is the same as ``target_id``'s (of the same challenge): it is answered
    there."""
    _require_answerer(actor, question)
    _not_published(question)
    target = db.session.get(Question, target_id) if target_id else None
    if (
        target is None
        or target.challenge_id != question.challenge_id
        or target.id == question.id
        or not permissions.can_answer(actor.user, target)
    ):
        raise DomainError(_("Choose another question of this challenge."), field="target")
    if target.status == QuestionStatus.MERGED:
        raise DomainError(
            _("That question is itself merged: choose the one it was merged into."),
            field="target",
        )
    before = question.status
    question.status = QuestionStatus.MERGED.value
    question.merged_into_id = target.id
    if question.answer is not None:
        db.session.delete(question.answer)
    audit.record(
        actor,
        "question.merged",
        obj=question,
        agency_id=question.audit_agency_id,
        before={"status": before},
        after={"status": question.status, "into": target.id},
    )


def hide(actor: Actor, question: Question, reason: str) -> None:
    """Moderation: take the question out of the queues (abuse, spam), with a reason."""
    _require_answerer(actor, question)
    _not_published(question)
    text = reason_text(reason)
    question.hidden_at = clock.now()
    question.hidden_reason = text
    question.hidden_by_id = actor.user_id
    audit.record(
        actor,
        "question.hidden",
        obj=question,
        agency_id=question.audit_agency_id,
        after={"reason": text},
    )


def unhide(actor: Actor, question: Question) -> None:
    _require_answerer(actor, question)
    if question.hidden_at is None:
        return
    before = question.hidden_reason
    question.hidden_at = question.hidden_reason = question.hidden_by_id = None
    audit.record(
        actor,
        "question.unhidden",
        obj=question,
        agency_id=question.audit_agency_id,
        before={"reason": before},
    )


def merge_targets(user: Any, question: Question) -> list[Question]:
    """The questions ``question`` may be merged into."""
    rows = db.session.scalars(
        select(Question)
        .where(
            Question.challenge_id == question.challenge_id,
            Question.id != question.id,
            Question.status != QuestionStatus.MERGED.value,
        )
        .order_by(Question.id.desc())
        .limit(200)
    )
    return [q for q in rows if permissions.can_answer(user, q)]
