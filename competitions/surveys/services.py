"""Surveys: written, answered once per person, read (sending is ``sending``).

* The questions are a round form's definition (``submissions.fields``: same types and checks,
  edited with the same builder), file uploads aside. Entrants who registered and did not
  submit get two more questions, asking why (``why_fields``).
* Answering writes the participation (unique per survey and person: a second answer, even a
  concurrent one, is refused by the database) and the response in one transaction. For an
  anonymous survey nothing links the two — no shared key, no time, no audit event, no log line
  naming the person — see ``models``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from competitions.challenges.home_sections import languages_of
from competitions.challenges.models import Challenge, Track, pick
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, FieldErrors, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import current_language, languages
from competitions.core.text import blocks_in, lines_in
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.submissions.fields import (
    FieldDef,
    FieldsError,
    FieldType,
    completeness_problems,
    draft_problems,
    fields_to_data,
    parse_fields,
)
from competitions.surveys import permissions
from competitions.surveys.models import (
    MIN_GROUP,
    Segment,
    Survey,
    SurveyAudience,
    SurveyInvitee,
    SurveyParticipation,
    SurveyResponse,
    SurveyStatus,
    text_in,
)

WHY_KEY = "why_not_submitted"
WHY_MORE_KEY = "why_not_submitted_more"
RESERVED_KEYS = frozenset({WHY_KEY, WHY_MORE_KEY})
WHY_REASONS: tuple[tuple[str, Any], ...] = (
    ("time", _l("Not enough time before the deadline")),
    ("eligibility", _l("We were not eligible, or not sure we were")),
    ("rules", _l("The rules or the form were unclear")),
    ("effort", _l("It was too much work for the prize")),
    ("team", _l("Our team changed or broke up")),
    ("other", _l("Another reason")),
)


def why_fields() -> list[FieldDef]:
    """The questions only those who registered and did not submit are asked."""
    options = []
    for value, label in WHY_REASONS:
        texts = {}
        for lang in languages():
            with force_locale(lang):
                texts[lang] = str(label)
        options.append({"value": value, "label": texts})
    question, more = {}, {}
    for lang in languages():
        with force_locale(lang):
            question[lang] = _("Why did your team not submit?")
            more[lang] = _("Anything else you would like to tell us about it?")
    return parse_fields(
        [
            {"key": WHY_KEY, "type": "multi_choice", "label": question, "options": options},
            {"key": WHY_MORE_KEY, "type": "long_text", "label": more, "max_words": 300},
        ]
    )


# --- writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyData:
    title: dict[str, str]
    intro: dict[str, str]
    audiences: list[str]
    anonymous: bool
    round_id: int | None


def _check(challenge: Challenge, data: SurveyData) -> SurveyData:
    title, intro = lines_in(data.title, languages()), blocks_in(data.intro, languages())
    if not title:
        raise DomainError(_("Give the survey a title in at least one language."), "title_en")
    if any(len(t) > 200 for t in title.values()):
        raise DomainError(_("A title must be 200 characters or fewer."), "title_en")
    if any(len(t) > 5000 for t in intro.values()):
        raise DomainError(_("An introduction must be 5,000 characters or fewer."), "intro_en")
    audiences: list[str] = [a.value for a in SurveyAudience if a.value in data.audiences]
    if not audiences or len(audiences) != len(set(data.audiences)):
        raise DomainError(_("Choose who is asked."), "audiences")
    if data.round_id is not None and not any(r.id == data.round_id for r in challenge.rounds):
        raise DomainError(_("Choose one of the challenge's rounds."), "round_id")
    return SurveyData(title, intro, audiences, bool(data.anonymous), data.round_id)


def create(actor: Actor, challenge: Challenge, track: Track | None, data: SurveyData) -> Survey:
    """A draft survey of ``track`` (None: the whole challenge), owned by its agency."""
    if not permissions.can_compose(actor.user, challenge, track):
        raise NotFound(_("No such challenge."))
    clean = _check(challenge, data)
    survey = Survey(
        challenge=challenge,
        track=track,
        agency_id=track.agency_id if track is not None else challenge.lead_agency_id,
        title=clean.title,
        intro=clean.intro,
        audiences=clean.audiences,
        anonymous=clean.anonymous,
        round_id=clean.round_id,
        form_fields=[],
        created_by_id=actor.user_id,
    )
    return audit.created(actor, "survey.created", survey)


def require_manage(actor: Actor, survey: Survey) -> None:
    if not permissions.can_manage(actor.user, survey):
        raise NotFound(_("No such survey."))


def _require_draft(survey: Survey) -> None:
    if survey.status != SurveyStatus.DRAFT:
        raise DomainError(_("The survey was sent: its questions can no longer change."))


def update(actor: Actor, survey: Survey, data: SurveyData) -> None:
    require_manage(actor, survey)
    _require_draft(survey)
    clean = _check(survey.challenge, data)
    survey.title, survey.intro, survey.audiences = clean.title, clean.intro, clean.audiences
    survey.anonymous, survey.round_id = clean.anonymous, clean.round_id
    audit.record(actor, "survey.updated", obj=survey)


def fields_of(survey: Survey) -> list[FieldDef]:
    return parse_fields(survey.form_fields or [])


def define_fields(actor: Actor, survey: Survey, data: Any) -> list[FieldDef]:
    """Replace the questions (checked as a round's form is; no file uploads, no reserved key)."""
    require_manage(actor, survey)
    _require_draft(survey)
    try:
        fields = parse_fields(data)
    except FieldsError as err:
        raise DomainError(err.message) from err
    if any(f.type == FieldType.FILE for f in fields):
        raise DomainError(_("A survey cannot ask for files."))
    if any(f.key in RESERVED_KEYS for f in fields):
        raise DomainError(_("That key is kept for the question to those who did not submit."))
    survey.form_fields = fields_to_data(fields)
    audit.record(actor, "survey.fields_defined", obj=survey, after={"fields": len(fields)})
    return fields


def form_for(survey: Survey, segment: str) -> list[FieldDef]:
    """The questions one segment answers."""
    fields = fields_of(survey)
    if segment == Segment.NOT_SUBMITTED:
        fields = fields + why_fields()
    return fields


# --- answering ------------------------------------------------------------------------------


def invitee_of(survey: Survey, user: Any) -> SurveyInvitee | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(SurveyInvitee).where(
            SurveyInvitee.survey_id == survey.id, SurveyInvitee.user_id == user.id
        )
    )


def has_answered(survey: Survey, user: Any) -> bool:
    return (
        db.session.scalar(
            select(SurveyParticipation.id).where(
                SurveyParticipation.survey_id == survey.id,
                SurveyParticipation.user_id == user.id,
            )
        )
        is not None
    )


class AlreadyAnswered(DomainError):
    pass


def _stored_track(survey: Survey, invitee: SurveyInvitee) -> int | None:
    """The track a response is filed under. For an anonymous survey, only when at least
    ``MIN_GROUP`` people of the same segment were asked in that track: otherwise the track and
    the segment together would nearly name the person (the only judge of a track), so the
    response counts in the totals and in its segment, not in its track."""
    if not survey.anonymous or invitee.track_id is None:
        return invitee.track_id
    peers = db.session.scalar(
        select(func.count()).where(
            SurveyInvitee.survey_id == survey.id,
            SurveyInvitee.track_id == invitee.track_id,
            SurveyInvitee.segment == invitee.segment,
        )
    )
    return invitee.track_id if (peers or 0) >= MIN_GROUP else None


def answer(actor: Actor, survey: Survey, answers: dict[str, Any]) -> None:
    """Record the person's answers — once. The participation and the response are written in
    the same transaction; a second answer (even at the same instant) breaks the unique
    constraint on the participation and is refused. Nothing is audited or logged for an
    anonymous survey: the audit log would tie the person to the instant of the response."""
    invitee = invitee_of(survey, actor.user)
    if invitee is None:
        raise NotFound(_("No such survey."))
    if not survey.is_open():
        raise DomainError(_("This survey is closed."))
    fields = form_for(survey, invitee.segment)
    problems = draft_problems(fields, answers) or completeness_problems(fields, answers, {})
    if problems:
        raise FieldErrors(_("Some answers need your attention."), problems)
    kept = {f.key: answers[f.key] for f in fields if answers.get(f.key) not in (None, "", [])}
    response = SurveyResponse(
        survey_id=survey.id,
        segment=invitee.segment,
        track_id=_stored_track(survey, invitee),
        answers=kept,
    )
    participation = SurveyParticipation(
        survey_id=survey.id, user_id=invitee.user_id, anonymous=survey.anonymous
    )
    try:
        with db.session.begin_nested():
            db.session.add(participation)
            db.session.flush()  # the unique constraint speaks first
            db.session.add(response)
            db.session.flush()
            if not survey.anonymous:
                participation.response_id = response.id
                db.session.flush()
    except IntegrityError as err:
        raise AlreadyAnswered(_("You have already answered this survey.")) from err
    if not survey.anonymous:
        audit.record(actor, "survey.answered", obj=survey)


# --- reading --------------------------------------------------------------------------------


def get(challenge: Challenge, survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.challenge_id != challenge.id:
        raise NotFound(_("No such survey."))
    return survey


def get_any(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(_("No such survey."))
    return survey


def for_challenge(user: Any, challenge: Challenge) -> list[Survey]:
    rows = db.session.scalars(
        select(Survey)
        .where(Survey.challenge_id == challenge.id)
        .options(selectinload(Survey.track))
        .order_by(Survey.id.desc())
    )
    return [s for s in rows if permissions.can_view(user, s)]


@dataclass(frozen=True)
class Waiting:
    """A survey waiting for the user's answer, as a line shows it."""

    id: int
    title: dict[str, str]
    challenge_title: str  # in the viewer's language
    closes_at: datetime | None

    def title_in(self, lang: str) -> str:
        return text_in(self.title, lang)


@functools.cache
def _waiting() -> Any:
    """``waiting_for``'s statement, built once, the user and limit bound at each call (the
    home page runs it on every view: building it cost more than running it)."""
    user_id = bindparam("user_id", type_=Integer)
    answered = select(SurveyParticipation.survey_id).where(SurveyParticipation.user_id == user_id)
    return (
        select(
            Survey.id, Survey.title, Survey.closes_at, Challenge.id, Challenge.slug, Challenge.title
        )
        .join(SurveyInvitee, SurveyInvitee.survey_id == Survey.id)
        .join(Challenge, Challenge.id == Survey.challenge_id)
        .where(
            SurveyInvitee.user_id == user_id,
            Survey.status == SurveyStatus.OPEN.value,
            Survey.id.not_in(answered),
        )
        .order_by(Survey.closes_at)
        .limit(bindparam("limit", type_=Integer))
    )


def waiting_for(user: Any, limit: int = 8) -> list[Waiting]:
    """Open surveys that ask ``user`` and that they have not answered yet: the columns a line
    shows (not the surveys' forms), with their challenges' titles (a second query, for the
    challenges' languages, when there is any)."""
    rows = db.session.execute(_waiting(), {"user_id": user.id, "limit": limit}).all()
    now = clock.now()  # ``Survey.is_open``: the status is in the query
    rows = [row for row in rows if row.closes_at is None or now < row.closes_at]
    lang, fallbacks = current_language(), languages_of({row[3] for row in rows})
    return [
        Waiting(id_, title, pick(texts, lang, fallbacks[challenge_id]) or slug, closes_at)
        for id_, title, closes_at, challenge_id, slug, texts in rows
    ]
