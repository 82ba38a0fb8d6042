"""Surveys: written, sent through the outbox, answered once per person, closed.

* The questions are a round form's definition (``submissions.fields``: same types and checks,
  edited with the same builder), file uploads aside. Entrants who registered and did not
  submit get two more questions, asking why (``WHY_FIELDS``).
* Sending (now or at ``opens_at``, by the beat tick) records who is asked
  (``survey_invitee``) and writes one invitation per address to the outbox, in each person's
  language; the reminder (at ``remind_at``, or by hand) goes to those who have not answered.
  Outbox rows are unique per (source, address): a second run sends nobody anything twice.
* Answering writes the participation (unique per survey and person: a second answer, even a
  concurrent one, is refused by the database) and the response in one transaction. For an
  anonymous survey nothing links the two — no shared key, no time, no audit event, no log line
  naming the person — see ``models``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from competitions.accounts.models import User
from competitions.agencies.models import Membership
from competitions.challenges.models import Challenge, Track
from competitions.core import audit, clock, instants, outbox
from competitions.core.actor import Actor
from competitions.core.after_commit import run_after_commit
from competitions.core.errors import DomainError, FieldErrors, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import languages
from competitions.core.locks import tick_lock
from competitions.core.periodic import isolated
from competitions.core.text import blocks_in, lines_in, one_line, text_block
from competitions.core.urls import external_url
from competitions.entries.models import Entry, TeamMember
from competitions.judging import audiences as judging
from competitions.outreach.announcements import _insert_once, _wake
from competitions.outreach.notices import has_final_submission
from competitions.submissions.fields import (
    FieldDef,
    FieldsError,
    FieldType,
    completeness_problems,
    draft_problems,
    fields_to_data,
    parse_fields,
)
from competitions.submissions.models import Submission, SubmissionVersion
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
)

MAX_DAYS_OPEN = 90
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


def _require_manage(actor: Actor, survey: Survey) -> None:
    if not permissions.can_manage(actor.user, survey):
        raise NotFound(_("No such survey."))


def _require_draft(survey: Survey) -> None:
    if survey.status != SurveyStatus.DRAFT:
        raise DomainError(_("The survey was sent: its questions can no longer change."))


def update(actor: Actor, survey: Survey, data: SurveyData) -> None:
    _require_manage(actor, survey)
    _require_draft(survey)
    clean = _check(survey.challenge, data)
    survey.title, survey.intro, survey.audiences = clean.title, clean.intro, clean.audiences
    survey.anonymous, survey.round_id = clean.anonymous, clean.round_id
    audit.record(actor, "survey.updated", obj=survey)


def fields_of(survey: Survey) -> list[FieldDef]:
    return parse_fields(survey.form_fields or [])


def define_fields(actor: Actor, survey: Survey, data: Any) -> list[FieldDef]:
    """Replace the questions (checked as a round's form is; no file uploads, no reserved key)."""
    _require_manage(actor, survey)
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


# --- the audience ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    user_id: int
    email: str
    language: str
    segment: str
    track_id: int | None


def _submitted(survey: Survey) -> Any:
    """SQL condition on ``Entry``: it submitted (in the survey's round, or in any round)."""
    if survey.round_id is not None:
        return has_final_submission(survey.round_id)
    return exists().where(
        Submission.entry_id == Entry.id,
        Submission.withdrawn_at.is_(None),
        exists().where(SubmissionVersion.submission_id == Submission.id),
    )


def audience(survey: Survey) -> list[Candidate]:
    """Everyone the survey asks, one per person: entrants first, then judges, then partners."""
    found: dict[int, Candidate] = {}
    wanted = set(survey.audiences or [])
    if SurveyAudience.ENTRANTS in wanted:
        submitted = _submitted(survey).label("submitted")
        stmt = (
            select(User.id, User.email, User.preferred_language, Entry.track_id, submitted)
            .join(TeamMember, TeamMember.team_id == Entry.team_id)
            .join(User, User.id == TeamMember.user_id)
            .where(Entry.challenge_id == survey.challenge_id, Entry.withdrawn_at.is_(None))
            .order_by(Entry.id, TeamMember.id)
        )
        if survey.track_id is not None:
            stmt = stmt.where(Entry.track_id == survey.track_id)
        for user_id, email, lang, track_id, did_submit in db.session.execute(stmt):
            segment = Segment.SUBMITTED if did_submit else Segment.NOT_SUBMITTED
            found.setdefault(user_id, Candidate(user_id, email, lang, segment.value, track_id))
    if SurveyAudience.JUDGES in wanted:
        for r in judging.seated_judges(survey.challenge_id, survey.track_id):
            user = r.judge.user
            track_id = r.judge.panel.track_id or survey.track_id
            found.setdefault(
                user.id,
                Candidate(
                    user.id, user.email, user.preferred_language, Segment.JUDGE.value, track_id
                ),
            )
    if SurveyAudience.PARTNERS in wanted:
        challenge = survey.challenge
        tracks = [t for t in challenge.tracks if survey.track_id in (None, t.id)]
        track_of: dict[int, int | None] = {}
        for t in tracks:
            track_of.setdefault(t.agency_id, t.id)
        if survey.track_id is None:
            track_of.setdefault(challenge.lead_agency_id, None)
        members = db.session.execute(
            select(Membership.agency_id, User.id, User.email, User.preferred_language)
            .join(User, User.id == Membership.user_id)
            .where(Membership.agency_id.in_(list(track_of)))
            .order_by(Membership.id)
        )
        for agency_id, user_id, email, lang in members:
            found.setdefault(
                user_id,
                Candidate(user_id, email, lang, Segment.PARTNER.value, track_of[agency_id]),
            )
    return list(found.values())


# --- sending --------------------------------------------------------------------------------


def _check_days(days_open: int, remind_after: int | None) -> None:
    if not 1 <= days_open <= MAX_DAYS_OPEN:
        raise DomainError(
            _("Keep the survey open from 1 to %(n)d days.", n=MAX_DAYS_OPEN), "days_open"
        )
    if remind_after is not None and not 1 <= remind_after < days_open:
        raise DomainError(
            _("Send the reminder at least a day after the invitation, before it closes."),
            "remind_after",
        )


def schedule(
    actor: Actor, survey: Survey, opens_at: datetime, days_open: int, remind_after: int | None
) -> None:
    """Send the invitations at ``opens_at`` (the beat tick writes them), close ``days_open``
    days later, remind ``remind_after`` days after opening those who have not answered."""
    _require_manage(actor, survey)
    if survey.status not in (SurveyStatus.DRAFT, SurveyStatus.SCHEDULED):
        raise DomainError(_("This survey was already sent."))
    if not survey.form_fields:
        raise DomainError(_("Add at least one question before sending the survey."))
    instants.check(opens_at, "opens_at")
    if opens_at < clock.now() - timedelta(seconds=1):
        raise DomainError(_("Choose an instant in the future, or send it now."), "opens_at")
    _check_days(days_open, remind_after)
    survey.status, survey.opens_at = SurveyStatus.SCHEDULED.value, opens_at
    survey.closes_at = opens_at + timedelta(days=days_open)
    survey.remind_at = opens_at + timedelta(days=remind_after) if remind_after else None
    audit.record(
        actor,
        "survey.scheduled",
        obj=survey,
        after={
            "opens_at": opens_at.isoformat(),
            "closes_at": survey.closes_at.isoformat(),
            "remind_at": survey.remind_at.isoformat() if survey.remind_at else None,
        },
    )


def send_now(actor: Actor, survey: Survey, days_open: int, remind_after: int | None) -> int:
    """Open at once: the invitations are written in this transaction, delivered after it."""
    schedule(actor, survey, clock.now(), days_open, remind_after)
    return release(survey)


def _language(survey: Survey, wanted: str, track: Track | None) -> str:
    if wanted in survey.title:
        return wanted
    for lang in track.languages if track is not None else []:
        if lang in survey.title:
            return lang
    return next(iter(survey.title))


def render(survey: Survey, message: str, lang: str, track: Track | None) -> dict[str, str]:
    """Subject, text and sender of the invitation or the reminder in one language."""
    challenge = survey.challenge
    if track is not None:
        signature = [track.name_in(lang), track.agency.name, track.contact_email or ""]
        name = track.agency.name
    else:
        signature = [challenge.title_in(lang), challenge.lead_agency.name]
        name = challenge.title_in(lang)
    _display, address = parseaddr(current_app.config["MAIL_FROM"])
    with force_locale(lang):
        context = {
            "survey_title": survey.title_in(lang),
            "challenge_title": challenge.title_in(lang),
            "intro": survey.intro.get(lang, ""),
            "anonymous": survey.anonymous,
            "closes_at": survey.closes_at,
            "link": external_url("surveys.answer", survey_id=survey.id),
            "signature": [s for s in signature if s],
            "reminder": message == "reminder",
            "lang": lang,
        }
        if message == "reminder":
            subject = _("Reminder: %(title)s", title=survey.title_in(lang))
        else:
            subject = survey.title_in(lang)
        return {
            "subject": one_line(subject),
            "text": text_block(render_template("emails/surveys/invitation.txt", **context)),
            "sender": str(Address(display_name=one_line(f"{name} via Tandem"), addr_spec=address)),
        }


def _write(survey: Survey, message: str, people: list[tuple[str, str, int | None]]) -> int:
    """One outbox row per (address, survey message), in each person's language."""
    now = clock.now()
    tracks = {t.id: t for t in survey.challenge.tracks}
    rendered: dict[tuple[str, int | None], dict[str, str]] = {}
    rows: list[dict[str, Any]] = []
    for email, wanted, track_id in people:
        track = tracks.get(track_id) if track_id is not None else survey.track
        lang = _language(survey, wanted, track)
        key = (lang, track.id if track else None)
        if key not in rendered:
            rendered[key] = render(survey, message, lang, track)
        copy = rendered[key]
        rows.append(
            {
                "source": survey.source(message),
                "to_address": email,
                "sender": copy["sender"],
                "subject": copy["subject"],
                "text_body": copy["text"],
                "html_body": None,
                "headers": {},
                "status": outbox.Status.QUEUED.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    written = _insert_once(rows)
    outbox.written_in_bulk(written)
    run_after_commit(lambda: _wake(now))
    return written


def release(survey: Survey) -> int:
    """Record who is asked and write their invitations; answer how many rows were new."""
    known = set(
        db.session.scalars(
            select(SurveyInvitee.user_id).where(SurveyInvitee.survey_id == survey.id)
        )
    )
    people = audience(survey)
    for c in people:
        if c.user_id not in known:
            db.session.add(
                SurveyInvitee(
                    survey_id=survey.id,
                    user_id=c.user_id,
                    segment=c.segment,
                    track_id=c.track_id,
                    language=c.language,
                )
            )
    survey.status = SurveyStatus.OPEN.value
    db.session.flush()
    return _write(survey, "invitation", [(c.email, c.language, c.track_id) for c in people])


def remind(actor: Actor | None, survey: Survey) -> int:
    """Remind, once, those asked who have not answered (by hand, or by the tick at
    ``remind_at``); answer how many rows were new."""
    if actor is not None:
        _require_manage(actor, survey)
    if not survey.is_open():
        raise DomainError(_("Only an open survey can be reminded."))
    answered = select(SurveyParticipation.user_id).where(SurveyParticipation.survey_id == survey.id)
    rows = db.session.execute(
        select(User.email, SurveyInvitee.language, SurveyInvitee.track_id)
        .join(User, User.id == SurveyInvitee.user_id)
        .where(SurveyInvitee.survey_id == survey.id, SurveyInvitee.user_id.not_in(answered))
        .order_by(SurveyInvitee.id)
    ).all()
    survey.reminded_at = clock.now()
    written = _write(survey, "reminder", [(r[0], r[1], r[2]) for r in rows])
    if actor is not None:
        audit.record(actor, "survey.reminded", obj=survey, after={"rows": written})
    return written


def close(actor: Actor, survey: Survey) -> None:
    _require_manage(actor, survey)
    if survey.status not in (SurveyStatus.OPEN, SurveyStatus.SCHEDULED):
        raise DomainError(_("Only an open or scheduled survey can be closed."))
    if survey.status == SurveyStatus.SCHEDULED:
        survey.status, survey.opens_at = SurveyStatus.DRAFT.value, None
        survey.closes_at = survey.remind_at = None
    else:
        survey.status = SurveyStatus.CLOSED.value
        survey.closes_at = min(survey.closes_at or clock.now(), clock.now())
    audit.record(actor, "survey.closed", obj=survey)


def release_due() -> int:
    """The beat tick: open scheduled surveys whose instant has come, send due reminders."""
    with tick_lock("surveys.release_due") as mine:
        return _release_due() if mine else 0


def _release_due() -> int:
    done = 0
    now = clock.now()
    due = db.session.scalars(
        select(Survey).where(Survey.status == SurveyStatus.SCHEDULED.value, Survey.opens_at <= now)
    ).all()
    reminders = db.session.scalars(
        select(Survey).where(
            Survey.status == SurveyStatus.OPEN.value,
            Survey.reminded_at.is_(None),
            Survey.remind_at <= now,
        )
    ).all()
    ids = [("open", s.id) for s in due] + [("remind", s.id) for s in reminders]
    db.session.rollback()
    for kind, survey_id in ids:
        with isolated("surveys.release_due", f"survey {survey_id}"):
            survey = db.session.get(Survey, survey_id)
            if survey is None:
                continue
            if kind == "open" and survey.status == SurveyStatus.SCHEDULED:
                release(survey)
            elif kind == "remind" and survey.reminded_at is None and survey.is_open():
                remind(None, survey)
            db.session.commit()
            done += 1
    return done


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
        select(Survey).where(Survey.challenge_id == challenge.id).order_by(Survey.id.desc())
    )
    return [s for s in rows if permissions.can_view(user, s)]


def waiting_for(user: Any, limit: int = 8) -> list[Survey]:
    """Open surveys that ask ``user`` and that they have not answered yet."""
    answered = select(SurveyParticipation.survey_id).where(SurveyParticipation.user_id == user.id)
    rows = db.session.scalars(
        select(Survey)
        .join(SurveyInvitee, SurveyInvitee.survey_id == Survey.id)
        .where(
            SurveyInvitee.user_id == user.id,
            Survey.status == SurveyStatus.OPEN.value,
            Survey.id.not_in(answered),
        )
        .order_by(Survey.closes_at)
        .limit(limit)
    )
    return [s for s in rows if s.is_open()]
