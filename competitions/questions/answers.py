"""Answers: drafting, publishing (to one track, or with the lead's approval to the whole
challenge), the public Q&A, and reports of abuse.

Rules of publication:

* Every language the answer speaks to must be written: the track's languages for a track's
  answer, every track's languages for a challenge-wide one. A missing one blocks it and says
  which (``missing_languages``).
* A challenge-wide answer is published by the lead agency's admins (``approve``); another
  agency's request waits for them (``awaiting_approval``).
* An answer that changes the rules is never published before the terms of every track it
  concerns have a new version, published after the answer was so marked (entrants accept the
  new terms again): the Q&A never contradicts the terms silently.

Correcting and withdrawing a published answer: ``corrections``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from competitions.challenges.models import Challenge, ChallengeStatus, Track
from competitions.challenges.services import clean_lines, clean_texts, current_terms
from competitions.core import audit, clock, mail
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.i18n import language_name
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.urls import external_url
from competitions.questions import permissions
from competitions.questions.models import (
    Answer,
    AnswerReport,
    AnswerScope,
    AnswerStatus,
    AnswerVersion,
    AnswerVersionStatus,
    Question,
    QuestionStatus,
)
from competitions.questions.services import reason_text

MAX_TOPIC = 80
MAX_WORDING = 1000
MAX_BODY = 20_000
MAX_REPORT = 1000


@dataclass(frozen=True)
class AnswerDraft:
    """What the answer form sends: for which track (empty: every track), texts per language."""

    scope_track: str  # a track's slug, or "" for the whole challenge
    topic: dict[str, str]
    question_text: dict[str, str]
    body: dict[str, str]
    changes_rules: bool


def save_draft(actor: Actor, question: Question, draft: AnswerDraft) -> Answer:
    """Write (or rewrite) the question's answer as a draft; a draft awaiting approval goes
    back to draft when changed."""
    if not permissions.can_answer(actor.user, question):
        raise PermissionDenied("not an agency of this question")
    if question.status in (QuestionStatus.DECLINED, QuestionStatus.MERGED):
        raise DomainError(_("This question is declined or merged: it is not answered here."))
    answer = question.answer
    if answer is not None and answer.is_published:
        raise DomainError(_("This answer is published: it cannot change any more."))
    tracks = permissions.answering_tracks(actor.user, question)
    if draft.scope_track:
        track = next((t for t in tracks if t.slug == draft.scope_track), None)
        if track is None:
            raise DomainError(_("Choose a track your agency runs."), field="scope")
    else:
        track = None
    if not any(v.strip() for v in draft.body.values()):
        raise DomainError(_("Write the answer in at least one language."), field="body_en")
    agency_id = track.agency_id if track is not None else _agency_of(actor, question, tracks)
    if answer is None:
        answer = Answer(question=question, challenge_id=question.challenge_id)
        db.session.add(answer)
    answer.track = track
    answer.agency_id = agency_id
    answer.scope = (AnswerScope.TRACK if track is not None else AnswerScope.CHALLENGE).value
    answer.topic = clean_lines(draft.topic, MAX_TOPIC)
    answer.question_text = clean_texts(draft.question_text, MAX_WORDING)
    answer.body = clean_texts(draft.body, MAX_BODY)
    with db.session.no_autoflush:
        _mark_rules(answer, draft.changes_rules, track)
    answer.changes_rules = draft.changes_rules
    answer.status = AnswerStatus.DRAFT.value
    answer.approval_requested_at = None
    answer.created_by_id = answer.created_by_id or actor.user_id
    question.status = QuestionStatus.BEING_ANSWERED.value
    db.session.flush()
    audit.record(
        actor,
        "answer.drafted",
        obj=answer,
        after={"scope": answer.scope, "track": track.slug if track else None},
    )
    return answer


def _mark_rules(answer: Answer, changes_rules: bool, track: Track | None) -> None:
    """Remember each concerned track's terms version when the answer is marked as changing
    the rules (kept while it stays marked and speaks for the same tracks)."""
    if not changes_rules:
        answer.rules_flagged_at, answer.terms_before = None, {}
        return
    concerned = [track] if track is not None else list(answer.question.challenge.tracks)
    versions = {}
    for t in concerned:
        terms = current_terms(t)
        versions[str(t.id)] = terms.version if terms is not None else 0
    if answer.rules_flagged_at is None or set(versions) != set(answer.terms_before or {}):
        answer.rules_flagged_at = clock.now()
        answer.terms_before = versions


def _agency_of(actor: Actor, question: Question, tracks: list[Track]) -> int:
    """The agency a challenge-wide answer comes from: the question's track's, else the
    actor's first track's, else the lead's (a platform admin)."""
    if question.track is not None:
        return question.track.agency_id
    if tracks and len(tracks) < len(question.challenge.tracks):
        return tracks[0].agency_id
    return question.challenge.lead_agency_id


def missing_languages(answer: Answer) -> list[str]:
    """The languages the answer must still be written in (wording and reply)."""
    needed = answer.languages()
    missing = [c for c in needed if not answer.question_text.get(c) or not answer.body.get(c)]
    if any(answer.topic.values()):
        missing += [c for c in needed if not answer.topic.get(c) and c not in missing]
    return missing


def tracks_concerned(answer: Answer) -> list[Track]:
    return [answer.track] if answer.track is not None else list(answer.challenge.tracks)


def terms_to_update(answer: Answer) -> list[Track]:
    """The tracks whose terms need a new version before this answer (it changes the rules)."""
    if not answer.changes_rules:
        return []
    before = answer.terms_before or {}
    stale = []
    for track in tracks_concerned(answer):
        terms = current_terms(track)
        if terms is None or terms.version <= before.get(str(track.id), 0):
            stale.append(track)
    return stale


def _check_ready(answer: Answer, lang: str) -> None:
    missing = missing_languages(answer)
    if missing:
        names = ", ".join(language_name(c) for c in missing)
        raise DomainError(
            _(
                "Translate the answer before it is released: the wording of the question, "
                "the answer (and the topic, if any) are missing in %(languages)s.",
                languages=names,
            )
        )
    stale = terms_to_update(answer)
    if stale:
        names = ", ".join(t.name_in(lang) for t in stale)
        raise DomainError(
            _(
                "This answer changes the rules: publish a new version of the terms of "
                "%(tracks)s first (entrants accept the new terms again), then publish it.",
                tracks=names,
            )
        )


def publish(actor: Actor, question: Question, lang: str = "en") -> str:
    """Publish the question's answer: at once for a track, or for the whole challenge when
    the actor is the lead's admin; otherwise ask the lead's approval. Answers the new status."""
    if not permissions.can_answer(actor.user, question):
        raise PermissionDenied("not an agency of this question")
    answer = question.answer
    if answer is None:
        raise DomainError(_("Write the answer first."))
    if answer.is_published:
        return answer.status
    _check_ready(answer, lang)
    if answer.is_challenge_wide and not permissions.can_approve(actor.user, answer.challenge):
        answer.status = AnswerStatus.AWAITING_APPROVAL.value
        answer.approval_requested_at = clock.now()
        audit.record(actor, "answer.approval_requested", obj=answer)
        return answer.status
    if answer.is_challenge_wide:
        answer.approved_at = clock.now()
        answer.approved_by_id = actor.user_id
    _release(actor, answer)
    return answer.status


def _awaiting(actor: Actor, question: Question) -> Answer:
    """The question's answer awaiting the approval of ``actor``, the lead agency's admin."""
    if not permissions.can_approve(actor.user, question.challenge):
        raise PermissionDenied("not the lead agency's admin")
    answer = question.answer
    if answer is None or answer.status != AnswerStatus.AWAITING_APPROVAL:
        raise DomainError(_("This answer does not await approval."))
    return answer


def approve(actor: Actor, question: Question, lang: str = "en") -> None:
    """The lead agency's admin approves a challenge-wide answer: it is published."""
    answer = _awaiting(actor, question)
    _check_ready(answer, lang)
    answer.approved_at = clock.now()
    answer.approved_by_id = actor.user_id
    _release(actor, answer, agency_id=answer.challenge.lead_agency_id)


def send_back(actor: Actor, question: Question, reason: str) -> None:
    """The lead agency's admin does not approve: the answer is a draft again, with why."""
    answer = _awaiting(actor, question)
    text = reason_text(reason)
    answer.status = AnswerStatus.DRAFT.value
    answer.approval_requested_at = None
    audit.record(
        actor,
        "answer.sent_back",
        obj=answer,
        agency_id=answer.challenge.lead_agency_id,
        after={"reason": text},
    )


def search_text(answer: Answer) -> str:
    return " ".join(
        text.lower()
        for texts in (answer.topic, answer.question_text, answer.body)
        for text in texts.values()
    )


def _release(actor: Actor, answer: Answer, agency_id: int | None = None) -> None:
    now = clock.now()
    answer.status = AnswerStatus.PUBLISHED.value
    answer.published_at = now
    answer.corrected_at = None
    answer.withdrawn_at = answer.withdrawn_reason = answer.withdrawn_by_id = None
    answer.digest_run_id = None
    answer.search_text = search_text(answer)
    answer.versions.append(
        AnswerVersion(
            status=AnswerVersionStatus.PUBLISHED.value,
            topic=dict(answer.topic),
            question_text=dict(answer.question_text),
            body=dict(answer.body),
            created_by_id=actor.user_id,
            published_at=now,
            approved_by_id=answer.approved_by_id,
        )
    )
    question = answer.question
    question.status = QuestionStatus.ANSWERED.value
    audit.record(
        actor,
        "answer.published",
        obj=answer,
        agency_id=agency_id,
        after={"scope": answer.scope, "approved_by": answer.approved_by_id},
    )
    merged = db.session.scalars(select(Question).where(Question.merged_into_id == question.id))
    for asked in (question, *merged):
        _tell_asker(asked, answer)


def _tell_asker(question: Question, answer: Answer) -> None:
    """The asker learns that their question is answered (in their language), once."""
    asker = question.asker
    if asker is None:
        return
    lang = question.language
    challenge = answer.challenge
    with force_locale(lang):
        subject = _("Your question about %(title)s is answered", title=challenge.title_in(lang))
    mail.send_after_commit(
        mail.render_mail(
            "questions/answered",
            asker.email,
            lang,
            subject,
            title=challenge.title_in(lang),
            wording=answer.question_in(lang),
            answer=answer.body_in(lang),
            link=external_url("questions.public", slug=challenge.slug) + f"#a{answer.id}",
        ),
        source=f"answer:{answer.id}:asker:{question.id}",
    )


# --- the public Q&A -----------------------------------------------------------------------------


def published(
    challenge: Challenge, track: Track | None = None, query: str = "", limit: int | None = None
) -> list[Answer]:
    """The challenge's published answers (for ``track``: its own and the challenge-wide ones),
    newest first; ``query`` searches every language's text."""
    stmt = (
        select(Answer)
        .where(Answer.challenge_id == challenge.id, Answer.status == AnswerStatus.PUBLISHED.value)
        .options(selectinload(Answer.track), selectinload(Answer.agency))
        .order_by(Answer.published_at.desc(), Answer.id.desc())
    )
    if track is not None:
        stmt = stmt.where(or_(Answer.track_id.is_(None), Answer.track_id == track.id))
    for word in query.lower().split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Answer.search_text.like(f"%{escaped}%", escape="\\"))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


OTHER_TOPIC = _l("Other questions")


def by_topic(answers: list[Answer], lang: str) -> list[tuple[str, list[Answer]]]:
    """Answers grouped by their topic in ``lang`` (alphabetical; no topic last)."""
    groups: dict[str, list[Answer]] = {}
    for answer in answers:
        groups.setdefault(answer.topic_in(lang), []).append(answer)
    named = sorted((k for k in groups if k), key=str.casefold)
    ordered = [(k, groups[k]) for k in named]
    if "" in groups:
        ordered.append((str(OTHER_TOPIC), groups[""]))
    return ordered


def recent_for_feed(limit: int = 50) -> list[Answer]:
    """The latest published (or corrected) answers of published challenges, for the Atom
    feed."""
    return list(
        db.session.scalars(
            select(Answer)
            .join(Challenge, Challenge.id == Answer.challenge_id)
            .where(
                Answer.status == AnswerStatus.PUBLISHED.value,
                Challenge.status == ChallengeStatus.PUBLISHED.value,
            )
            .options(selectinload(Answer.challenge), selectinload(Answer.agency))
            .order_by(
                func.coalesce(Answer.corrected_at, Answer.published_at).desc(), Answer.id.desc()
            )
            .limit(limit)
        )
    )


# --- reports of abuse ---------------------------------------------------------------------------


def get_published(challenge: Challenge, answer_id: int) -> Answer:
    answer = db.session.get(Answer, answer_id)
    if answer is None or answer.challenge_id != challenge.id or not answer.is_published:
        raise NotFound(_("No such answer."))
    return answer


def report(actor: Actor, answer: Answer, reason: str) -> AnswerReport:
    """Someone signed in reports a published answer to the agency that wrote it."""
    text = reason_text(reason)[:MAX_REPORT]
    row = AnswerReport(answer=answer, reporter_id=actor.user_id, reason=text)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "answer.reported", obj=row, after={"reason": text})
    return row


def open_reports(user: object, challenge: Challenge) -> list[AnswerReport]:
    rows = db.session.scalars(
        select(AnswerReport)
        .join(Answer, Answer.id == AnswerReport.answer_id)
        .where(Answer.challenge_id == challenge.id, AnswerReport.resolved_at.is_(None))
        .order_by(AnswerReport.id)
    )
    return [r for r in rows if permissions.can_resolve_report(user, r.answer)]


def get_report(challenge: Challenge, report_id: int) -> AnswerReport:
    row = db.session.get(AnswerReport, report_id)
    if row is None or row.answer.challenge_id != challenge.id:
        raise NotFound(_("No such report."))
    return row


def resolve_report(actor: Actor, row: AnswerReport) -> None:
    if not permissions.can_resolve_report(actor.user, row.answer):
        raise PermissionDenied("not the answering agency")
    if row.resolved_at is None:
        row.resolved_at = clock.now()
        row.resolved_by_id = actor.user_id
        audit.record(actor, "answer.report_resolved", obj=row)
