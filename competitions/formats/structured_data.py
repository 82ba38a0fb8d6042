"""schema.org descriptions (JSON-LD) of the public pages, for search engines and aggregators.

- a published challenge is an ``Event``: its span runs from the first opening of its shared
  timeline to its last results instant; each round's submission window and results instant,
  and each milestone, is a ``subEvent``; the agencies running it are its ``organizer`` (an
  ``Organization`` with the address of its public page). Tandem's challenges are entered
  online, so the location is a ``VirtualLocation`` (the challenge's page);
- a track is an ``Event`` too, run by its agency, part of (``superEvent``) the challenge's,
  with the times on the track's legal clock;
- an agency's public page describes the agency as an ``Organization``.

Every instant is ISO 8601 with its offset (the challenge's or the track's zone). Nothing here
reads the database beyond what the page already loaded; drafts are never described (the
caller passes published challenges only, ``challenge_event`` refuses the others).

``as_script_text`` makes the JSON safe inside ``<script type="application/ld+json">``: ``<``,
``>`` and ``&`` become ``\\u003c``… escapes, so a title holding ``</script>`` cannot end the
element (the JSON still reads back to the same text).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from competitions.agencies.models import Agency
from competitions.challenges.models import Challenge, Milestone, Round, Track
from competitions.challenges.timeline import INSTANT_LABELS
from competitions.core.instants import in_zone

CONTEXT = "https://schema.org"
ONLINE = "https://schema.org/OnlineEventAttendanceMode"
SCHEDULED = "https://schema.org/EventScheduled"

# The URL of an object's public page: ("challenge", challenge) / ("track", track) /
# ("agency", agency) / ("logo", agency) → absolute address.
UrlOf = Callable[[str, Any], str]


def _iso(instant: datetime, zone: ZoneInfo) -> str:
    return in_zone(instant, zone).isoformat()  # UTC for the few the zone cannot hold


def _text(texts: dict[str, str] | None, lang: str) -> str:
    texts = texts or {}
    return texts.get(lang) or next((v for v in texts.values() if v), "")


def organization(agency: Agency, url_of: UrlOf) -> dict[str, Any]:
    """An agency as a schema.org ``Organization``."""
    data: dict[str, Any] = {
        "@type": "Organization",
        "@id": url_of("agency", agency) + "#organization",
        "name": agency.name,
        "url": url_of("agency", agency),
        "areaServed": agency.jurisdiction,
        "address": {"@type": "PostalAddress", "addressCountry": agency.jurisdiction[:2]},
    }
    if agency.short_name:
        data["alternateName"] = agency.short_name
    if agency.website:
        data["sameAs"] = agency.website
    if agency.logo_key:
        data["logo"] = url_of("logo", agency)
    return data


def _round_events(
    round_: Round, title: str, lang: str, zone: ZoneInfo, url: str
) -> list[dict[str, Any]]:
    name = round_.name_in(lang)
    opens = round_.registration_opens or round_.submission_opens
    return [
        {
            "@type": "Event",
            "name": f"{title} — {name}",
            "startDate": _iso(min(opens, round_.submission_opens), zone),
            "endDate": _iso(round_.submission_deadline, zone),
            "eventAttendanceMode": ONLINE,
            "eventStatus": SCHEDULED,
            "location": {"@type": "VirtualLocation", "url": url},
            "url": url,
        },
        {
            "@type": "Event",
            "name": f"{title} — {name}: {INSTANT_LABELS['results_at']}",
            "startDate": _iso(round_.results_at, zone),
            "endDate": _iso(round_.results_at, zone),
            "eventAttendanceMode": ONLINE,
            "eventStatus": SCHEDULED,
            "location": {"@type": "VirtualLocation", "url": url},
            "url": url,
        },
    ]


def _milestone_event(m: Milestone, title: str, lang: str, zone: ZoneInfo, url: str) -> Any:
    return {
        "@type": "Event",
        "name": f"{title} — {_text(m.name, lang)}",
        "startDate": _iso(m.starts_at, zone),
        "endDate": _iso(m.ends_at or m.starts_at, zone),
        "eventAttendanceMode": ONLINE,
        "eventStatus": SCHEDULED,
        "location": {"@type": "VirtualLocation", "url": m.url or url},
        "url": m.url or url,
    }


def _span(rounds: list[Round], zone: ZoneInfo) -> dict[str, str]:
    if not rounds:
        return {}
    starts = [r.registration_opens or r.submission_opens for r in rounds]
    starts += [r.submission_opens for r in rounds]
    return {
        "startDate": _iso(min(starts), zone),
        "endDate": _iso(max(r.results_at for r in rounds), zone),
    }


def _event(challenge: Challenge, lang: str, url: str, zone: ZoneInfo, title: str) -> dict[str, Any]:
    if not challenge.is_published:
        raise ValueError("only a published challenge is described")
    return {
        "@type": "Event",
        "@id": url + "#event",
        "name": title,
        "description": _text(challenge.summary, lang),
        "url": url,
        "inLanguage": lang,
        "eventAttendanceMode": ONLINE,
        "eventStatus": SCHEDULED,
        "location": {"@type": "VirtualLocation", "url": url},
        **_span(list(challenge.rounds), zone),
    }


def challenge_event(challenge: Challenge, lang: str, url_of: UrlOf) -> dict[str, Any]:
    """The challenge as an ``Event`` with its rounds and shared milestones as sub-events."""
    url = url_of("challenge", challenge)
    zone = ZoneInfo(challenge.timezone)
    title = challenge.title_in(lang)
    agencies = {challenge.lead_agency.id: challenge.lead_agency}
    agencies.update({t.agency.id: t.agency for t in challenge.tracks})
    subs = [e for r in challenge.rounds for e in _round_events(r, title, lang, zone, url)]
    subs += [
        _milestone_event(m, title, lang, zone, url)
        for m in challenge.milestones
        if m.track_id is None
    ]
    return {
        "@context": CONTEXT,
        **_event(challenge, lang, url, zone, title),
        "organizer": [organization(a, url_of) for a in agencies.values()],
        "subEvent": subs,
    }


def track_event(track: Track, lang: str, url_of: UrlOf) -> dict[str, Any]:
    """A track as an ``Event`` of its agency, on the track's legal clock, part of the
    challenge's event (its ``superEvent``)."""
    challenge = track.challenge
    url = url_of("track", track)
    zone = ZoneInfo(track.timezone)
    title = f"{challenge.title_in(lang)} — {track.name_in(lang)}"
    subs = [e for r in challenge.rounds for e in _round_events(r, title, lang, zone, url)]
    subs += [
        _milestone_event(m, title, lang, zone, url)
        for m in challenge.milestones
        if m.track_id in (None, track.id)
    ]
    event = _event(challenge, lang, url, zone, title)
    event["description"] = _text(track.description, lang) or event["description"]
    return {
        "@context": CONTEXT,
        **event,
        "organizer": organization(track.agency, url_of),
        "superEvent": {"@id": url_of("challenge", challenge) + "#event"},
        "subEvent": subs,
    }


def agency_organization(agency: Agency, url_of: UrlOf) -> dict[str, Any]:
    return {"@context": CONTEXT, **organization(agency, url_of)}


def as_script_text(data: dict[str, Any]) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` element (see the module docstring)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)  # noqa: S704 (escaped above for the script element)
