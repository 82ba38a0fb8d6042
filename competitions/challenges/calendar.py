"""iCalendar export of a challenge's timeline: stable UIDs, SEQUENCE bumped when a date moves.

The pieces (``new_calendar``, ``round_events``, ``milestone_event``) also build a user's
personal feed (``formats.personal_calendar``), so an instant reads the same in both."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import force_locale
from icalendar import Calendar, Event

from competitions.challenges.models import Challenge, Milestone, Round
from competitions.challenges.timeline import INSTANT_LABELS
from competitions.core.instants import supported


def new_calendar(name: str, timezone: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Tandem//Parallel challenges//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    if timezone:
        cal.add("x-wr-timezone", timezone)
    return cal


def host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or "tandem"


def round_events(
    challenge: Challenge,
    r: Round,
    lang: str,
    host: str,
    page_url: str,
    now: datetime,
    *,
    fields: Iterable[str] = tuple(INSTANT_LABELS),
    prefix: str = "",
    uid_suffix: str = "",
) -> list[Event]:
    """One event per dated instant of the round among ``fields``, on the challenge's clock
    (call under ``force_locale(lang)``: the labels are translated)."""
    zone = zoneinfo.ZoneInfo(challenge.timezone)
    title = challenge.title_in(lang)
    events = []
    for field in fields:
        instant = getattr(r, field)
        if instant is None or not supported(instant):
            continue
        event = Event()
        event.add("uid", f"{challenge.slug}-round-{r.id}-{field}{uid_suffix}@{host}")
        event.add("sequence", r.sequence)
        event.add("dtstamp", now)
        event.add("dtstart", instant.astimezone(zone))
        label = INSTANT_LABELS[field]
        event.add("summary", f"{prefix}{title} — {r.name_in(lang)}: {label}")
        event.add("url", page_url)
        events.append(event)
    return events


def milestone_event(
    challenge: Challenge, m: Milestone, lang: str, host: str, page_url: str, now: datetime
) -> Event | None:
    if not supported(m.starts_at):
        return None
    zone = zoneinfo.ZoneInfo(challenge.timezone)
    event = Event()
    event.add("uid", f"{challenge.slug}-milestone-{m.id}@{host}")
    event.add("sequence", m.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", m.starts_at.astimezone(zone))
    if m.ends_at is not None and supported(m.ends_at):
        event.add("dtend", m.ends_at.astimezone(zone))
    name = m.name.get(lang) or next(iter(m.name.values()), "")
    track = f" ({m.track.name_in(lang)})" if m.track is not None else ""
    event.add("summary", f"{challenge.title_in(lang)} — {name}{track}")
    event.add("url", m.url or page_url)
    return event


def challenge_calendar(
    challenge: Challenge, lang: str, base_url: str, page_url: str, now: datetime
) -> bytes:
    """The timeline as an .ics file: one event per dated instant of each round, one per
    milestone. Times carry the challenge's time zone (TZID, with its VTIMEZONE). An instant
    outside the supported range (stored before ``core.instants`` kept them out) is left out."""
    host = host_of(base_url)
    cal = new_calendar(challenge.title_in(lang), challenge.timezone)
    with force_locale(lang):
        for r in challenge.rounds:
            for event in round_events(challenge, r, lang, host, page_url, now):
                cal.add_component(event)
        for m in challenge.milestones:
            if (milestone := milestone_event(challenge, m, lang, host, page_url, now)) is not None:
                cal.add_component(milestone)
    cal.add_missing_timezones()
    return cal.to_ical()
