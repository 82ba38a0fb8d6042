"""What a user's personal calendar holds, as iCalendar (RFC 5545).

- for each entry of the user's teams (not withdrawn) in a published challenge: every instant
  of the challenge's rounds (registration, submissions, deadline, judging, results) and the
  milestones shared by all tracks or of the entry's track;
- for each published challenge where the user sits on a panel (not removed): each round's
  judging window (it opens at the submission deadline) and its results instant, marked as
  judging.

The events are the challenge calendar's (``challenges.calendar``): the same UIDs for the same
instants (judging ones get their own suffix), SEQUENCE bumped when a date moves, times on the
challenge's clock with their VTIMEZONE. The icalendar package escapes text and folds lines.
A constant number of queries whatever the number of entries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask_babel import force_locale
from icalendar import Event
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competitions.accounts.models import User
from competitions.challenges.calendar import host_of, milestone_event, new_calendar, round_events
from competitions.challenges.models import Challenge, ChallengeStatus, Milestone, Track
from competitions.core.extensions import db
from competitions.core.translate import gettext as _
from competitions.entries.models import Entry, TeamMember
from competitions.judging.models import Judge, Panel

JUDGING_FIELDS = ("submission_deadline", "judging_closes", "results_at")

_LOADED = (
    selectinload(Challenge.tracks),  # titles fall back on the tracks' languages
    selectinload(Challenge.rounds),
    selectinload(Challenge.milestones).joinedload(Milestone.track),
)


def entered_tracks(user: User) -> list[Track]:
    """The tracks the user's teams entered (entries not withdrawn), published challenges."""
    entered = (
        select(Entry.track_id)
        .join(TeamMember, TeamMember.team_id == Entry.team_id)
        .where(TeamMember.user_id == user.id, Entry.withdrawn_at.is_(None))
    )
    stmt = (
        select(Track)
        .join(Challenge, Challenge.id == Track.challenge_id)
        .where(Track.id.in_(entered), Challenge.status == ChallengeStatus.PUBLISHED)
        .options(selectinload(Track.challenge).options(*_LOADED))
        .order_by(Track.id)
    )
    return list(db.session.scalars(stmt))


def judged_challenges(user: User) -> list[Challenge]:
    """Published challenges where the user is on a panel."""
    judged = (
        select(Panel.challenge_id)
        .join(Judge, Judge.panel_id == Panel.id)
        .where(Judge.user_id == user.id, Judge.removed_at.is_(None))
    )
    stmt = (
        select(Challenge)
        .where(Challenge.id.in_(judged), Challenge.status == ChallengeStatus.PUBLISHED)
        .options(*_LOADED)
        .order_by(Challenge.id)
    )
    return list(db.session.scalars(stmt))


def _entry_events(track: Track, lang: str, host: str, page_url: str, now: datetime) -> list[Event]:
    challenge = track.challenge
    events = [
        e for r in challenge.rounds for e in round_events(challenge, r, lang, host, page_url, now)
    ]
    for m in challenge.milestones:
        if m.track_id in (None, track.id):
            event = milestone_event(challenge, m, lang, host, page_url, now)
            if event is not None:
                events.append(event)
    return events


def personal_calendar(
    user: User, base_url: str, page_url: Callable[[Challenge], str], now: datetime
) -> bytes:
    """The user's calendar, in the user's preferred language."""
    lang = user.preferred_language or "en"
    host = host_of(base_url)
    with force_locale(lang):
        cal = new_calendar(_("Tandem — your deadlines"))
        # How often calendar apps should read it again (RFC 7986; Outlook's own name).
        cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
        seen: set[str] = set()

        def add(events: list[Event]) -> None:
            for event in events:
                uid = str(event["uid"])
                if uid not in seen:
                    seen.add(uid)
                    cal.add_component(event)

        for track in entered_tracks(user):
            add(_entry_events(track, lang, host, page_url(track.challenge), now))
        prefix = _("Judging") + ": "
        for challenge in judged_challenges(user):
            for r in challenge.rounds:
                add(
                    round_events(
                        challenge,
                        r,
                        lang,
                        host,
                        page_url(challenge),
                        now,
                        fields=JUDGING_FIELDS,
                        prefix=prefix,
                        uid_suffix="-judging",
                    )
                )
    cal.add_missing_timezones()
    return cal.to_ical()
