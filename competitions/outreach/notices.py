"""Deadline reminders drawn from the shared timeline.

Each challenge reminds, at set offsets before every submission deadline (default 7 days, 1 day
and 2 hours), each member of each active entry that has no final submission in that round yet.
A beat tick runs ``run_due``: the offsets whose instant has come are recorded in ``NoticeRun``
(unique per round and offset, so two ticks or a moved deadline never send one twice); when
several are due at once (a late start, a tick that was down) only the latest is sent and the
earlier ones are recorded as skipped. Messages go through the outbox, one per address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from competitions.challenges.models import (
    Challenge,
    ChallengeStatus,
    Milestone,
    Round,
    TimelineChange,
    Track,
)
from competitions.challenges.timeline import INSTANT_LABELS
from competitions.core import audit, clock, mail
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound
from competitions.core.i18n import format_duration, languages
from competitions.core.locks import tick_lock
from competitions.core.urls import external_url
from competitions.entries.models import Entry, Team, TeamMember
from competitions.extensions import db
from competitions.outreach import permissions
from competitions.outreach.models import (
    DEFAULT_DEADLINE_OFFSETS,
    NoticeRun,
    NoticeSettings,
    Subscription,
    SubscriptionStatus,
    TimelineNotice,
)
from competitions.outreach.services import (
    LazyFormat,
    ensure_subscription,
    unsubscribe_headers,
)
from competitions.submissions.models import Submission, SubmissionVersion
from competitions.submissions.services import deadline_for

MAX_OFFSETS = 6
MAX_OFFSET_HOURS = 90 * 24


def offsets_of(challenge: Challenge) -> list[int]:
    settings = db.session.get(NoticeSettings, challenge.id)
    offsets = settings.deadline_offsets if settings is not None else DEFAULT_DEADLINE_OFFSETS
    return sorted(set(offsets), reverse=True)


def parse_hours(text: str) -> list[int]:
    """ "168, 24, 2" → minutes, or ``DomainError`` saying what is wrong."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        hours = [float(p) for p in parts]
    except ValueError as exc:
        raise DomainError(
            _("Give hours as numbers separated by commas, like 168, 24, 2."), "hours"
        ) from exc
    if len(hours) > MAX_OFFSETS:
        raise DomainError(_("At most %(n)d reminders per deadline.", n=MAX_OFFSETS), "hours")
    if any(not 0 < h <= MAX_OFFSET_HOURS for h in hours):
        raise DomainError(
            _("Each reminder must come between 0 and %(n)d hours before.", n=MAX_OFFSET_HOURS),
            "hours",
        )
    return sorted({round(h * 60) for h in hours}, reverse=True)


def set_offsets(actor: Actor, challenge: Challenge, minutes: list[int]) -> None:
    if not permissions.can_compose(actor.user, challenge, None):
        raise NotFound(_("No such challenge."))
    settings = db.session.get(NoticeSettings, challenge.id)
    before = offsets_of(challenge)
    if settings is None:
        settings = NoticeSettings(challenge_id=challenge.id)
        db.session.add(settings)
    settings.deadline_offsets = minutes
    settings.updated_at = clock.now()
    audit.record(
        actor,
        "notices.settings_changed",
        obj=challenge,
        agency_id=challenge.lead_agency_id,
        before={"offsets": before},
        after={"offsets": minutes},
    )


def schedule_of(challenge: Challenge) -> list[tuple[Round, int, datetime, NoticeRun | None]]:
    """Every reminder of the challenge: round, offset, instant, and its run if it happened."""
    runs = {
        (r.round_id, r.offset_minutes): r
        for r in db.session.scalars(select(NoticeRun).where(NoticeRun.challenge_id == challenge.id))
    }
    return [
        (rnd, o, rnd.submission_deadline - timedelta(minutes=o), runs.get((rnd.id, o)))
        for rnd in challenge.rounds
        for o in offsets_of(challenge)
    ]


def _without_submission(challenge: Challenge, rnd: Round) -> list[Entry]:
    submitted = exists().where(
        Submission.entry_id == Entry.id,
        Submission.round_id == rnd.id,
        Submission.withdrawn_at.is_(None),
        exists().where(SubmissionVersion.submission_id == Submission.id),
    )
    return list(
        db.session.scalars(
            select(Entry)
            .where(Entry.challenge_id == challenge.id, Entry.withdrawn_at.is_(None), ~submitted)
            .options(
                selectinload(Entry.team).selectinload(Team.members).selectinload(TeamMember.user)
            )
            .order_by(Entry.id)
        ).unique()
    )


def _remind(challenge: Challenge, rnd: Round, offset: int, now: datetime) -> int:
    """Write the reminders of one (round, offset) to the outbox; answer how many."""
    unsubscribed = set(
        db.session.scalars(
            select(Subscription.email_normalized).where(
                Subscription.challenge_id == challenge.id,
                Subscription.status == SubscriptionStatus.UNSUBSCRIBED.value,
            )
        )
    )
    subs = {
        s.email_normalized: s
        for s in db.session.scalars(
            select(Subscription).where(Subscription.challenge_id == challenge.id)
        )
    }
    seen: set[str] = set()
    written = 0
    for entry in _without_submission(challenge, rnd):
        deadline = deadline_for(entry, rnd)
        if deadline <= now:
            continue
        track = entry.track
        for member in entry.team.members:
            user = member.user
            key = user.email_normalized
            if key in seen or key in unsubscribed:
                continue
            seen.add(key)
            lang = user.preferred_language if user.preferred_language in languages() else "en"
            if lang not in track.languages and track.languages:
                lang = track.languages[0]
            sub = ensure_subscription(challenge, user.email, lang, subs.get(key))
            left = deadline - now
            message = mail.render_mail(
                "outreach/deadline_notice",
                user.email,
                lang,
                LazyFormat(
                    _l("Reminder: %(round)s closes in %(left)s"),
                    round=rnd.name_in(lang),
                    left=lambda left=left: format_duration(left),
                ),
                challenge=challenge.title_in(lang),
                round=rnd.name_in(lang),
                team=entry.team.name,
                track=track.name_in(lang),
                deadline=deadline,
                zone=track.timezone,
                left=left,
                link=external_url("submissions.edit", entry_id=entry.id, round_id=rnd.id),
                unsubscribe_link=unsubscribe_headers(sub)["List-Unsubscribe"].strip("<>"),
                agency=track.agency.name,
            )
            message.headers.update(unsubscribe_headers(sub))
            mail.send_after_commit(message, source=f"notice:deadline:{rnd.id}:{offset}")
            written += 1
    return written


def run_due(now: datetime | None = None) -> int:
    """One tick at a time across processes (a second beat process skips its tick)."""
    with tick_lock("outreach.deadline_notices") as mine:
        return _run_due(now) if mine else 0


def _run_due(now: datetime | None = None) -> int:
    """The beat tick: send the reminders whose instant has come. Answers how many were sent."""
    now = now or clock.now()
    rounds = db.session.scalars(
        select(Round)
        .join(Challenge, Challenge.id == Round.challenge_id)
        .where(
            Challenge.status == ChallengeStatus.PUBLISHED.value,
            Round.submission_deadline > now,
            Round.submission_opens <= now,
        )
    ).all()
    sent = 0
    for rnd in rounds:
        challenge = rnd.challenge
        offsets = offsets_of(challenge)
        due = [o for o in offsets if rnd.submission_deadline - timedelta(minutes=o) <= now]
        if not due:
            continue
        done = set(
            db.session.scalars(select(NoticeRun.offset_minutes).where(NoticeRun.round_id == rnd.id))
        )
        pending = [o for o in due if o not in done]
        if not pending:
            continue
        latest = min(due)
        try:
            with db.session.begin_nested():
                runs = {
                    o: NoticeRun(
                        challenge_id=challenge.id,
                        round_id=rnd.id,
                        offset_minutes=o,
                        ran_at=now,
                        skipped=o != latest,
                    )
                    for o in pending
                }
                db.session.add_all(runs.values())
                db.session.flush()  # another tick took this round and offset: stop here
                if latest in runs:
                    runs[latest].recipients = _remind(challenge, rnd, latest, now)
                    sent += runs[latest].recipients
        except IntegrityError:
            continue
        db.session.commit()
    db.session.commit()
    return sent


# --- the timeline changed ---------------------------------------------------------------------


def _what(change: TimelineChange, lang: str) -> str:
    if change.round_id is not None:
        rnd = db.session.get(Round, change.round_id)
        label = INSTANT_LABELS.get(change.field)
        with force_locale(lang):
            return f"{rnd.name_in(lang) if rnd else ''} — {label if label else change.field}"
    milestone = db.session.get(Milestone, change.milestone_id) if change.milestone_id else None
    if milestone is not None:
        return str(milestone.name.get(lang) or next(iter(milestone.name.values()), ""))
    return change.field


def timeline_due(now: datetime | None = None) -> int:
    """One tick at a time across processes (a second beat process skips its tick)."""
    with tick_lock("outreach.timeline_notices") as mine:
        return _timeline_due(now) if mine else 0


def _timeline_due(now: datetime | None = None) -> int:
    """Tell entrants and followers about timeline changes made more than a short while ago
    (an admin may correct a slip first); one email per person for all of a challenge's pending
    changes; each change is told once (``TimelineNotice``). Answers how many emails."""
    now = now or clock.now()
    delay = timedelta(seconds=current_app.config.get("TIMELINE_NOTICE_DELAY", 120))
    pending = db.session.scalars(
        select(TimelineChange)
        .where(
            TimelineChange.at <= now - delay,
            ~exists().where(TimelineNotice.change_id == TimelineChange.id),
        )
        .order_by(TimelineChange.challenge_id, TimelineChange.id)
    ).all()
    by_challenge: dict[int, list[TimelineChange]] = {}
    for change in pending:
        by_challenge.setdefault(change.challenge_id, []).append(change)
    sent = 0
    for challenge_id, changes in by_challenge.items():
        challenge = db.session.get(Challenge, challenge_id)
        if challenge is None or not challenge.is_published:
            continue
        try:
            with db.session.begin_nested():
                marks = [TimelineNotice(change_id=c.id, notified_at=now) for c in changes]
                db.session.add_all(marks)
                db.session.flush()  # another tick told these already
                count = _tell_timeline(challenge, changes, now)
                for mark in marks:
                    mark.recipients = count
                sent += count
        except IntegrityError:
            continue
        db.session.commit()
    db.session.commit()
    return sent


def _tell_timeline(challenge: Challenge, changes: list[TimelineChange], now: datetime) -> int:
    subs = {
        s.email_normalized: s
        for s in db.session.scalars(
            select(Subscription).where(Subscription.challenge_id == challenge.id)
        )
    }
    people: dict[str, tuple[str, str, Track | None]] = {}
    entries = db.session.scalars(
        select(Entry)
        .where(Entry.challenge_id == challenge.id, Entry.withdrawn_at.is_(None))
        .options(selectinload(Entry.team).selectinload(Team.members).selectinload(TeamMember.user))
    ).unique()
    for entry in entries:
        for member in entry.team.members:
            user = member.user
            people.setdefault(
                user.email_normalized, (user.email, user.preferred_language, entry.track)
            )
    for key, s in subs.items():
        if s.status == SubscriptionStatus.ACTIVE:
            people.setdefault(key, (s.email, s.language, None))
    source = f"notice:timeline:{changes[0].id}"
    written = 0
    for key, (email, wanted, track) in people.items():
        if key in subs and subs[key].status == SubscriptionStatus.UNSUBSCRIBED:
            continue
        lang = wanted if wanted in languages() else "en"
        zone = track.timezone if track is not None else challenge.timezone
        sub = ensure_subscription(challenge, email, lang, subs.get(key))
        headers = unsubscribe_headers(sub)
        message = mail.render_mail(
            "outreach/timeline_changed",
            email,
            lang,
            LazyFormat(_l("The timeline of %(title)s changed"), title=challenge.title_in(lang)),
            title=challenge.title_in(lang),
            changes=[(_what(c, lang), c.old_at, c.new_at, c.reason) for c in changes],
            zone=zone,
            link=external_url("challenges.challenge_page", slug=challenge.slug),
            unsubscribe_link=headers["List-Unsubscribe"].strip("<>"),
        )
        message.headers.update(headers)
        mail.send_after_commit(message, source=source)
        written += 1
    return written
