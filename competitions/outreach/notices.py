"""Deadline reminders drawn from the shared timeline.

Each challenge reminds, at set offsets before every submission deadline (default 7 days, 1 day
and 2 hours), each member of each active entry that has no final submission in that round yet;
and, before judging closes (default 3 days and 1 day), each judge with reviews left in the round.
A beat tick runs ``run_due``: the offsets whose instant has come are recorded in ``NoticeRun``
(unique per round, kind and offset, so two ticks or a moved deadline never send one twice); when
several are due at once (a late start, a tick that was down) only the latest is sent and the
earlier ones are recorded as skipped. Messages go through the outbox, one per address.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import ColumnElement, exists, select
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
from competitions.core import audit, clock
from competitions.core.actor import Actor
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.i18n import format_duration
from competitions.core.instants import supported
from competitions.core.languages import email_language
from competitions.core.locks import tick_lock
from competitions.core.periodic import isolated
from competitions.core.translate import gettext as _
from competitions.core.translate import lazy_gettext as _l
from competitions.core.urls import external_url
from competitions.entries.models import Entry, Team, TeamMember
from competitions.judging import audiences as judging
from competitions.outreach import permissions
from competitions.outreach.models import (
    DEFAULT_DEADLINE_OFFSETS,
    DEFAULT_JUDGING_OFFSETS,
    NoticeKind,
    NoticeRun,
    NoticeSettings,
    Subscription,
    TimelineNotice,
)
from competitions.outreach.readers import entrants_and_followers
from competitions.outreach.services import (
    LazyFormat,
    ensure_subscription,
    send_with_unsubscribe,
    subscriptions_by_address,
)
from competitions.submissions.deadlines import deadline_for
from competitions.submissions.models import Submission, SubmissionVersion

MAX_OFFSETS = 6
MAX_OFFSET_HOURS = 90 * 24


def offsets_of(challenge: Challenge, kind: str = NoticeKind.DEADLINE) -> list[int]:
    """Minutes before each submission deadline (or before judging closes) to remind at."""
    settings = db.session.get(NoticeSettings, challenge.id)
    if kind == NoticeKind.JUDGING:
        chosen = settings.judging_offsets if settings is not None else None
        offsets = DEFAULT_JUDGING_OFFSETS if chosen is None else chosen
    else:
        offsets = settings.deadline_offsets if settings is not None else DEFAULT_DEADLINE_OFFSETS
    return sorted(set(offsets), reverse=True)


def parse_hours(text: str, field: str = "hours") -> list[int]:
    """ "168, 24, 2" → minutes, or ``DomainError`` (on ``field``) saying what is wrong."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        hours = [float(p) for p in parts]
    except ValueError as exc:
        raise DomainError(
            _("Give hours as numbers separated by commas, like 168, 24, 2."), field
        ) from exc
    if len(hours) > MAX_OFFSETS:
        raise DomainError(_("At most %(n)d reminders per deadline.", n=MAX_OFFSETS), field)
    if any(not 0 < h <= MAX_OFFSET_HOURS for h in hours):
        raise DomainError(
            _("Each reminder must come between 0 and %(n)d hours before.", n=MAX_OFFSET_HOURS),
            field,
        )
    return sorted({round(h * 60) for h in hours}, reverse=True)


def set_hours(actor: Actor, challenge: Challenge, deadline_hours: str, judging_hours: str) -> None:
    """Save the reminders given as hours ("168, 24, 2") before deadlines and judging's close."""
    deadline = parse_hours(deadline_hours)
    judging = parse_hours(judging_hours, "judging_hours")
    set_offsets(actor, challenge, deadline, judging)


def set_offsets(
    actor: Actor, challenge: Challenge, minutes: list[int], judging: list[int] | None = None
) -> None:
    """Save the reminder offsets (``judging`` None: leave the judges' ones as they are)."""
    if not permissions.can_compose(actor.user, challenge, None):
        raise NotFound(_("No such challenge."))
    settings = db.session.get(NoticeSettings, challenge.id)
    before = {
        "offsets": offsets_of(challenge),
        "judging": offsets_of(challenge, NoticeKind.JUDGING),
    }
    if settings is None:
        settings = NoticeSettings(challenge_id=challenge.id)
        db.session.add(settings)
    settings.deadline_offsets = minutes
    if judging is not None:
        settings.judging_offsets = judging
    settings.updated_at = clock.now()
    audit.record(
        actor,
        "notices.settings_changed",
        obj=challenge,
        agency_id=challenge.lead_agency_id,
        before=before,
        after={"offsets": minutes, "judging": offsets_of(challenge, NoticeKind.JUDGING)},
    )


def _instant(rnd: Round, kind: str) -> datetime:
    return rnd.judging_closes if kind == NoticeKind.JUDGING else rnd.submission_deadline


def schedule_of(
    challenge: Challenge,
) -> list[tuple[Round, str, int, datetime, NoticeRun | None]]:
    """Every reminder of the challenge: round, kind, offset, instant, and its run if it ran
    (none before an instant outside the supported range, stored before it was enforced)."""
    runs = {
        (r.round_id, r.kind, r.offset_minutes): r
        for r in db.session.scalars(select(NoticeRun).where(NoticeRun.challenge_id == challenge.id))
    }
    return [
        (rnd, kind.value, o, at - timedelta(minutes=o), runs.get((rnd.id, kind, o)))
        for rnd in challenge.rounds
        for kind in NoticeKind
        for at in [_instant(rnd, kind)]
        if supported(at)
        for o in offsets_of(challenge, kind)
    ]


def has_final_submission(round_id: int | None) -> ColumnElement[bool]:
    """SQL condition on ``Entry``: it has a submission in the round, not withdrawn, with at
    least one submitted version."""
    return exists().where(
        Submission.entry_id == Entry.id,
        Submission.round_id == round_id,
        Submission.withdrawn_at.is_(None),
        exists().where(SubmissionVersion.submission_id == Submission.id),
    )


def _without_submission(challenge: Challenge, rnd: Round) -> list[Entry]:
    submitted = has_final_submission(rnd.id)
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


def _language(wanted: str | None, track: Track | None) -> str:
    """The reader's language if their track declares it, else the track's first."""
    return email_language(wanted, track.languages if track is not None else [])


def _remind(challenge: Challenge, rnd: Round, offset: int, now: datetime) -> int:
    """Write the reminders of one (round, offset) to the outbox; answer how many."""
    subs, unsubscribed = subscriptions_by_address(challenge)
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
            lang = _language(user.preferred_language, track)
            left = deadline - now
            _notice(
                "outreach/deadline_notice",
                ensure_subscription(challenge, user.email, lang, subs.get(key)),
                user.email,
                lang,
                f"notice:deadline:{rnd.id}:{offset}",
                _l("Reminder: %(round)s closes in %(left)s"),
                left,
                challenge=challenge.title_in(lang),
                round=rnd.name_in(lang),
                team=entry.team.name,
                track=track.name_in(lang),
                deadline=deadline,
                zone=track.timezone,
                link=external_url("submissions.edit", entry_id=entry.id, round_id=rnd.id),
                agency=track.agency.name,
            )
            written += 1
    return written


def _notice(
    template: str,
    sub: Subscription,
    to: str,
    lang: str,
    source: str,
    subject: Any,
    left: timedelta,
    **context: Any,
) -> None:
    """One reminder to the outbox: ``subject`` gets the round's name and the time left, the
    message the one-click unsubscribe of the person's subscription."""
    send_with_unsubscribe(
        sub,
        template,
        to,
        lang,
        LazyFormat(subject, round=context["round"], left=lambda left=left: format_duration(left)),
        source=source,
        left=left,
        **context,
    )


def _remind_judges(challenge: Challenge, rnd: Round, offset: int, now: datetime) -> int:
    """Write one reminder per judge with reviews left in the round; answer how many."""
    if rnd.judging_closes <= now:
        return 0
    subs, unsubscribed = subscriptions_by_address(challenge)
    written = 0
    for who in judging.judges_with_reviews_left(rnd.id):
        user = who.judge.user
        key = user.email_normalized
        if key in unsubscribed:
            continue
        track = who.judge.panel.track
        lang = _language(user.preferred_language, track)
        _notice(
            "outreach/judging_notice",
            ensure_subscription(challenge, user.email, lang, subs.get(key)),
            user.email,
            lang,
            f"notice:judging:{rnd.id}:{offset}",
            _l("Reminder: judging of %(round)s closes in %(left)s"),
            rnd.judging_closes - now,
            challenge=challenge.title_in(lang),
            round=rnd.name_in(lang),
            reviews=who.reviews_left,
            closes=rnd.judging_closes,
            zone=track.timezone if track is not None else challenge.timezone,
            link=external_url("judging.queue", round_id=rnd.id),
            agency=(track.agency.name if track is not None else challenge.lead_agency.name),
        )
        written += 1
    return written


def run_due(now: datetime | None = None) -> int:
    """One tick at a time across processes (a second beat process skips its tick)."""
    with tick_lock("outreach.deadline_notices") as mine:
        return _run_due(now) if mine else 0


def _run_due(now: datetime | None = None) -> int:
    """The beat tick: send the reminders whose instant has come, before submission deadlines
    and before judging closes. Answers how many were sent. A round that fails is logged and
    tried again at the next tick; the others go on."""
    now = now or clock.now()
    sent = 0
    for kind in NoticeKind:
        closes = Round.judging_closes if kind == NoticeKind.JUDGING else Round.submission_deadline
        rounds = db.session.scalars(
            select(Round)
            .join(Challenge, Challenge.id == Round.challenge_id)
            .where(
                Challenge.status == ChallengeStatus.PUBLISHED.value,
                closes > now,
                Round.submission_opens <= now,
            )
        ).all()
        for rnd in rounds:
            unit = f"{kind.value} reminders of round {rnd.id} (challenge {rnd.challenge_id})"
            with isolated("outreach.deadline_notices", unit):
                sent += _run_round(rnd, kind, now)
    db.session.commit()
    return sent


def _run_round(rnd: Round, kind: NoticeKind, now: datetime) -> int:
    """The due reminders of one round and kind: the latest is sent, earlier ones that were
    missed are recorded as skipped; each (round, kind, offset) runs once (unique row)."""
    challenge = rnd.challenge
    if not supported(_instant(rnd, kind)):
        return 0
    due = [
        o for o in offsets_of(challenge, kind) if _instant(rnd, kind) - timedelta(minutes=o) <= now
    ]
    if not due:
        return 0
    done = set(
        db.session.scalars(
            select(NoticeRun.offset_minutes).where(
                NoticeRun.round_id == rnd.id, NoticeRun.kind == kind.value
            )
        )
    )
    pending = [o for o in due if o not in done]
    if not pending:
        return 0
    latest = min(due)
    remind = _remind_judges if kind == NoticeKind.JUDGING else _remind
    sent = 0
    try:
        with db.session.begin_nested():
            runs = {
                o: NoticeRun(
                    challenge_id=challenge.id,
                    round_id=rnd.id,
                    kind=kind.value,
                    offset_minutes=o,
                    ran_at=now,
                    skipped=o != latest,
                )
                for o in pending
            }
            db.session.add_all(runs.values())
            db.session.flush()  # another tick took this round, kind and offset: stop here
            if latest in runs:
                runs[latest].recipients = remind(challenge, rnd, latest, now)
                sent = runs[latest].recipients
    except IntegrityError:
        return 0
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
    """Tell entrants and subscribers about timeline changes made more than a short while ago
    (an admin may correct a slip first); one email per person for all of a challenge's pending
    changes; each change is told once (``TimelineNotice``). Answers how many emails. A
    challenge that fails is logged and tried again at the next tick; the others go on."""
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
        with isolated("outreach.timeline_notices", f"challenge {challenge_id}"):
            sent += _tell_once(challenge_id, changes, now)
    db.session.commit()
    return sent


def _tell_once(challenge_id: int, changes: list[TimelineChange], now: datetime) -> int:
    """Tell one challenge's pending changes, unless another tick told them (committed)."""
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None or not challenge.is_published:
        return 0
    try:
        with db.session.begin_nested():
            marks = [TimelineNotice(change_id=c.id, notified_at=now) for c in changes]
            db.session.add_all(marks)
            db.session.flush()  # another tick told these already
            count = _tell_timeline(challenge, changes, now)
            for mark in marks:
                mark.recipients = count
    except IntegrityError:
        return 0
    db.session.commit()
    return count


def _tell_timeline(challenge: Challenge, changes: list[TimelineChange], now: datetime) -> int:
    people = entrants_and_followers(challenge)
    source = f"notice:timeline:{changes[0].id}"
    written = 0
    for reader in people.values():
        track = reader.tracks[0] if reader.tracks else None
        lang = _language(reader.language, track)
        zone = track.timezone if track is not None else challenge.timezone
        send_with_unsubscribe(
            ensure_subscription(challenge, reader.email, lang, reader.subscription),
            "outreach/timeline_changed",
            reader.email,
            lang,
            LazyFormat(_l("The timeline of %(title)s changed"), title=challenge.title_in(lang)),
            source=source,
            title=challenge.title_in(lang),
            changes=[(_what(c, lang), c.old_at, c.new_at, c.reason) for c in changes],
            zone=zone,
            link=external_url("challenges.challenge_page", slug=challenge.slug),
        )
        written += 1
    return written
