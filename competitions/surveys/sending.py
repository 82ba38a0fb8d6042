"""Sending surveys: who is asked (the audience and its segments), the invitations and the
one reminder through the outbox, scheduling and closing.

Each person gets one invitation per survey and at most one reminder, in their language
(else their track's, else the survey's first): outbox rows are unique per (source, address),
so a second release or reminder — a tick run twice, a crashed one run again — sends nobody
anything twice. Who is asked is recorded (``survey_invitee``) when the invitations are
written: the response rates' denominator and the list of who may answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import exists, select

from competitions.accounts.models import User
from competitions.agencies.models import Membership
from competitions.challenges.models import Track
from competitions.core import audit, clock, instants, outbox
from competitions.core.actor import Actor
from competitions.core.after_commit import run_after_commit
from competitions.core.errors import DomainError
from competitions.core.extensions import db
from competitions.core.languages import email_language
from competitions.core.locks import tick_lock
from competitions.core.periodic import isolated
from competitions.core.text import one_line, text_block
from competitions.core.translate import gettext as _
from competitions.core.urls import external_url
from competitions.entries.models import Entry, TeamMember
from competitions.judging import audiences as judging
from competitions.judging.models import Assignment
from competitions.outreach.announcements import insert_once, wake_dispatchers
from competitions.outreach.notices import has_final_submission
from competitions.submissions.models import Submission, SubmissionVersion
from competitions.surveys.models import (
    Segment,
    Survey,
    SurveyAudience,
    SurveyInvitee,
    SurveyParticipation,
    SurveyStatus,
)
from competitions.surveys.services import require_manage

MAX_DAYS_OPEN = 90


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
    for kind, people in (
        (SurveyAudience.ENTRANTS, _entrants),
        (SurveyAudience.JUDGES, _judges),
        (SurveyAudience.PARTNERS, _partners),
    ):
        if kind in wanted:
            for c in people(survey):
                found.setdefault(c.user_id, c)
    return list(found.values())


def _entrants(survey: Survey) -> list[Candidate]:
    """Members of the active entries in scope, in the segment of their entry."""
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
    return [
        Candidate(
            user_id,
            email,
            lang,
            (Segment.SUBMITTED if did_submit else Segment.NOT_SUBMITTED).value,
            track_id,
        )
        for user_id, email, lang, track_id, did_submit in db.session.execute(stmt)
    ]


def _judges(survey: Survey) -> list[Candidate]:
    """After a round: the judges who were given its submissions; at the end: every judge."""
    judged = None
    if survey.round_id is not None:
        judged = set(
            db.session.scalars(
                select(Assignment.judge_id).where(Assignment.round_id == survey.round_id)
            )
        )
    out = []
    for r in judging.seated_judges(survey.challenge_id, survey.track_id):
        if judged is not None and r.judge.id not in judged:
            continue
        user = r.judge.user
        track_id = r.judge.panel.track_id or survey.track_id
        out.append(
            Candidate(user.id, user.email, user.preferred_language, Segment.JUDGE.value, track_id)
        )
    return out


def _partners(survey: Survey) -> list[Candidate]:
    """Members of the agencies in scope, each under their agency's (first) track."""
    challenge = survey.challenge
    track_of: dict[int, int | None] = {}
    for t in challenge.tracks:
        if survey.track_id in (None, t.id):
            track_of.setdefault(t.agency_id, t.id)
    if survey.track_id is None:
        track_of.setdefault(challenge.lead_agency_id, None)
    members = db.session.execute(
        select(Membership.agency_id, User.id, User.email, User.preferred_language)
        .join(User, User.id == Membership.user_id)
        .where(Membership.agency_id.in_(list(track_of)))
        .order_by(Membership.id)
    )
    return [
        Candidate(user_id, email, lang, Segment.PARTNER.value, track_of[agency_id])
        for agency_id, user_id, email, lang in members
    ]


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
    require_manage(actor, survey)
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
    return email_language(wanted, track.languages if track is not None else [], survey.title)


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
    written = insert_once(rows)
    outbox.written_in_bulk(written)
    run_after_commit(lambda: wake_dispatchers(now))
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
        require_manage(actor, survey)
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
    require_manage(actor, survey)
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
