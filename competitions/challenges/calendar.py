"""iCalendar export of a challenge's timeline: stable UIDs, SEQUENCE bumped when a date moves."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import force_locale
from icalendar import Calendar, Event

from competitions.challenges.models import Challenge
from competitions.challenges.timeline import INSTANT_LABELS
from competitions.core.instants import supported


def challenge_calendar(
    challenge: Challenge, lang: str, base_url: str, page_url: str, now: datetime
) -> bytes:
    """The timeline as an .ics file: one event per dated instant of each round, one per
    milestone. Times carry the challenge's time zone (TZID, with its VTIMEZONE). An instant
    outside the supported range (stored before ``core.instants`` kept them out) is left out."""
    host = urlsplit(base_url).hostname or "tandem"
    zone = zoneinfo.ZoneInfo(challenge.timezone)
    title = challenge.title_in(lang)
    cal = Calendar()
    cal.add("prodid", "-//Tandem//Parallel challenges//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", title)
    cal.add("x-wr-timezone", challenge.timezone)
    with force_locale(lang):
        for r in challenge.rounds:
            round_name = r.name_in(lang)
            for field, label in INSTANT_LABELS.items():
                instant = getattr(r, field)
                if instant is None or not supported(instant):
                    continue
                event = Event()
                event.add("uid", f"{challenge.slug}-round-{r.id}-{field}@{host}")
                event.add("sequence", r.sequence)
                event.add("dtstamp", now)
                event.add("dtstart", instant.astimezone(zone))
                event.add("summary", f"{title} — {round_name}: {label}")
                event.add("url", page_url)
                cal.add_component(event)
        for m in challenge.milestones:
            if not supported(m.starts_at):
                continue
            event = Event()
            event.add("uid", f"{challenge.slug}-milestone-{m.id}@{host}")
            event.add("sequence", m.sequence)
            event.add("dtstamp", now)
            event.add("dtstart", m.starts_at.astimezone(zone))
            if m.ends_at is not None and supported(m.ends_at):
                event.add("dtend", m.ends_at.astimezone(zone))
            name = m.name.get(lang) or next(iter(m.name.values()), "")
            track = f" ({m.track.name_in(lang)})" if m.track is not None else ""
            event.add("summary", f"{title} — {name}{track}")
            event.add("url", m.url or page_url)
            cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
