"""Correcting and withdrawing a published answer.

A published answer is **corrected** with a new text version (``AnswerVersion``; the page says
"corrected on", its agencies see every earlier text, the feed's entry is updated and the next
digest tells the correction) under the same rules as publishing: every language written, and
for a challenge-wide answer the lead agency's approval (meanwhile the published text stays).
It is **withdrawn** with a reason (audited): it leaves the public pages and the feed and is a
draft again, which its agency may rewrite and publish, or decline. A challenge-wide answer is
withdrawn by the lead agency's admins, a track's by its agency.
"""

from __future__ import annotations

from competitions.challenges.services import clean_lines, clean_texts
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, PermissionDenied
from competitions.core.extensions import db
from competitions.core.i18n import language_name
from competitions.core.translate import gettext as _
from competitions.questions import permissions
from competitions.questions.answers import (
    MAX_BODY,
    MAX_TOPIC,
    MAX_WORDING,
    AnswerDraft,
    search_text,
)
from competitions.questions.models import (
    Answer,
    AnswerStatus,
    AnswerVersion,
    AnswerVersionStatus,
    Question,
    QuestionStatus,
)
from competitions.questions.services import reason_text


def can_withdraw(user: object, answer: Answer) -> bool:
    """A track's answer: its agency; a challenge-wide one: the lead agency's admins."""
    if answer.is_challenge_wide:
        return permissions.can_approve(user, answer.challenge)
    return permissions.can_answer(user, answer.question)


def _published(actor: Actor, question: Question) -> Answer:
    if not permissions.can_answer(actor.user, question):
        raise PermissionDenied("not an agency of this question")
    answer = question.answer
    if answer is None or not answer.is_published:
        raise DomainError(_("Only a published answer is corrected or withdrawn."))
    return answer


def correct(actor: Actor, question: Question, draft: AnswerDraft, note: str) -> str:
    """Correct the published answer's texts, saying why (``draft``'s scope is ignored: it
    stays as published). Published at once, or, for a challenge-wide answer corrected by
    another agency than the lead, sent to the lead's admins for approval (the published text
    stays meanwhile). Answers the new version's status. A correction that changes the rules
    is refused: the answer is withdrawn, the terms get a new version, then it is published
    again (``terms_to_update``), so the Q&A never contradicts the terms silently."""
    answer = _published(actor, question)
    if draft.changes_rules:
        raise DomainError(
            _(
                "A correction that changes the rules cannot be published as it is: withdraw "
                "the answer, mark it as changing the rules, publish the new terms of the "
                "tracks concerned (entrants accept them again), then publish it again."
            ),
            field="changes_rules",
        )
    why = reason_text(note, field="note")
    texts = {
        "topic": clean_lines(draft.topic, MAX_TOPIC),
        "question_text": clean_texts(draft.question_text, MAX_WORDING),
        "body": clean_texts(draft.body, MAX_BODY),
    }
    if (texts["topic"], texts["question_text"], texts["body"]) == (
        answer.topic,
        answer.question_text,
        answer.body,
    ):
        raise DomainError(_("Change the text of the answer to correct it."), field="body_en")
    _legacy_version(answer)
    version = AnswerVersion(
        status=AnswerVersionStatus.AWAITING_APPROVAL.value,
        note=why,
        created_by_id=actor.user_id,
        **texts,
    )
    _check_languages(answer, version)
    pending = answer.pending_correction()
    if pending is not None:
        answer.versions.remove(pending)  # a later correction replaces the one awaiting
    answer.versions.append(version)
    if answer.is_challenge_wide and not permissions.can_approve(actor.user, answer.challenge):
        db.session.flush()
        audit.record(actor, "answer.correction_requested", obj=answer, after={"note": why})
        return version.status
    _apply(actor, answer, version)
    return version.status


def _legacy_version(answer: Answer) -> None:
    """An answer published before versions were kept: its text becomes its first version."""
    if answer.history():
        return
    answer.versions.insert(
        0,
        AnswerVersion(
            status=AnswerVersionStatus.PUBLISHED.value,
            topic=dict(answer.topic),
            question_text=dict(answer.question_text),
            body=dict(answer.body),
            created_by_id=answer.created_by_id,
            published_at=answer.published_at,
            approved_by_id=answer.approved_by_id,
        ),
    )


def _check_languages(answer: Answer, version: AnswerVersion) -> None:
    needed = answer.languages()
    missing = [c for c in needed if not version.question_text.get(c) or not version.body.get(c)]
    if any(version.topic.values()):
        missing += [c for c in needed if not version.topic.get(c) and c not in missing]
    if missing:
        names = ", ".join(language_name(c) for c in missing)
        raise DomainError(
            _(
                "Translate the correction before it is released: the wording of the question, "
                "the answer (and the topic, if any) are missing in %(languages)s.",
                languages=names,
            )
        )


def _apply(actor: Actor, answer: Answer, version: AnswerVersion) -> None:
    """The correction becomes the published text; the next digest tells it."""
    now = clock.now()
    before = {"body": dict(answer.body)}
    version.status = AnswerVersionStatus.PUBLISHED.value
    version.published_at = now
    if answer.is_challenge_wide:
        version.approved_by_id = actor.user_id
    answer.topic = dict(version.topic)
    answer.question_text = dict(version.question_text)
    answer.body = dict(version.body)
    answer.search_text = search_text(answer)
    answer.corrected_at = now
    answer.digest_run_id = None
    db.session.flush()
    audit.record(
        actor,
        "answer.corrected",
        obj=answer,
        agency_id=answer.challenge.lead_agency_id if answer.is_challenge_wide else None,
        before=before,
        after={"body": dict(answer.body), "note": version.note},
    )


def _awaiting_correction(actor: Actor, question: Question) -> tuple[Answer, AnswerVersion]:
    if not permissions.can_approve(actor.user, question.challenge):
        raise PermissionDenied("not the lead agency's admin")
    answer = question.answer
    pending = answer.pending_correction() if answer is not None else None
    if answer is None or pending is None or not answer.is_published:
        raise DomainError(_("No correction of this answer awaits approval."))
    return answer, pending


def approve_correction(actor: Actor, question: Question) -> None:
    """The lead agency's admin approves a challenge-wide answer's correction: it is published."""
    answer, pending = _awaiting_correction(actor, question)
    _check_languages(answer, pending)
    _apply(actor, answer, pending)


def send_back_correction(actor: Actor, question: Question, reason: str) -> None:
    """The lead agency's admin refuses a correction, saying why; the published text stays."""
    answer, pending = _awaiting_correction(actor, question)
    text = reason_text(reason)
    answer.versions.remove(pending)
    audit.record(
        actor,
        "answer.correction_sent_back",
        obj=answer,
        agency_id=answer.challenge.lead_agency_id,
        before={"body": dict(pending.body), "note": pending.note},
        after={"reason": text},
    )


def withdraw(actor: Actor, question: Question, reason: str) -> None:
    """Take the published answer off the public pages and the feed, saying why (audited). It
    is a draft again: its agency rewrites and publishes it, or declines the question."""
    if not (
        permissions.can_answer(actor.user, question)
        or permissions.can_approve(actor.user, question.challenge)
    ):
        raise PermissionDenied("not an agency of this question")
    answer = question.answer
    if answer is None or not answer.is_published:
        raise DomainError(_("Only a published answer is corrected or withdrawn."))
    if not can_withdraw(actor.user, answer):
        raise DomainError(
            _(
                "An answer for every track is withdrawn by the lead agency: ask %(agency)s.",
                agency=answer.challenge.lead_agency.name,
            )
        )
    text = reason_text(reason)
    pending = answer.pending_correction()
    if pending is not None:
        answer.versions.remove(pending)
    now = clock.now()
    answer.status = AnswerStatus.DRAFT.value
    answer.published_at = None
    answer.approved_at = answer.approved_by_id = answer.approval_requested_at = None
    answer.withdrawn_at = now
    answer.withdrawn_reason = text
    answer.withdrawn_by_id = actor.user_id
    answer.digest_run_id = None
    question.status = QuestionStatus.BEING_ANSWERED.value
    audit.record(
        actor,
        "answer.withdrawn",
        obj=answer,
        agency_id=answer.challenge.lead_agency_id if answer.is_challenge_wide else None,
        before={"status": AnswerStatus.PUBLISHED.value},
        after={"status": answer.status, "reason": text},
    )
