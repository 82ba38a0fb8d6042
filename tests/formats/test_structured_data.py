"""schema.org JSON-LD on the public pages and Atom autodiscovery in their head."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from tests.challenges.helpers import PHASE_1

BASE = "https://tandem.test"
LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
ALTERNATE = re.compile(
    r'<link rel="alternate" type="application/atom\+xml" title="([^"]+)" href="([^"]+)">'
)


def json_ld(html: str) -> list[Any]:
    return [json.loads(block) for block in LD.findall(html)]


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.utcoffset() is not None, text  # ISO 8601 with its offset
    return value


def test_a_published_challenge_page_describes_an_event_and_its_deadlines(
    client: FlaskClient, published: Challenge
) -> None:
    html = client.get(f"/challenges/{published.slug}").get_data(as_text=True)
    [event] = json_ld(html)
    assert event["@context"] == "https://schema.org" and event["@type"] == "Event"
    assert event["name"] == "Deep Space Food Challenge"
    assert event["url"] == f"{BASE}/challenges/{published.slug}"
    assert event["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert event["location"] == {"@type": "VirtualLocation", "url": event["url"]}
    assert _instant(event["startDate"]) == PHASE_1["registration_opens"]
    assert _instant(event["endDate"]) == PHASE_1["results_at"]
    # Both agencies organize it, as Organizations with their public page.
    organizers = {o["name"]: o for o in event["organizer"]}
    assert set(organizers) == {"Agency A", "Agency B"}
    assert organizers["Agency B"]["@type"] == "Organization"
    assert organizers["Agency B"]["url"] == f"{BASE}/agencies/agency-b"
    # The round's submission window ends at the deadline; its results are an event too.
    window, results = event["subEvent"]
    assert window["name"] == "Deep Space Food Challenge — Phase 1"
    assert _instant(window["endDate"]) == PHASE_1["submission_deadline"]
    assert _instant(results["startDate"]) == PHASE_1["results_at"]
    assert "Results released" in results["name"]


def test_the_french_page_describes_it_in_french(client: FlaskClient, published: Challenge) -> None:
    html = client.get(f"/challenges/{published.slug}", headers={"Accept-Language": "fr"}).get_data(
        as_text=True
    )
    [event] = json_ld(html)
    assert event["inLanguage"] == "fr"
    assert event["name"] == "Défi des aliments pour l'espace lointain"


def test_a_track_page_is_an_event_of_its_agency_on_its_legal_clock(
    client: FlaskClient, published: Challenge
) -> None:
    track = next(t for t in published.tracks if t.agency.slug == "agency-b")
    html = client.get(f"/challenges/{published.slug}/tracks/{track.slug}").get_data(as_text=True)
    [event] = json_ld(html)
    assert event["organizer"]["name"] == "Agency B"
    assert event["superEvent"] == {"@id": f"{BASE}/challenges/{published.slug}#event"}
    deadline = _instant(event["subEvent"][0]["endDate"])
    assert deadline == PHASE_1["submission_deadline"]
    # Agency B's track keeps Chicago's time: 30 July 2021, 17:00 CDT.
    assert event["subEvent"][0]["endDate"] == "2021-07-30T17:00:00-05:00"


def test_a_draft_is_never_described(
    client: FlaskClient, challenge: Challenge, login: Any, world: Any
) -> None:
    login(world.admin_a)  # its agency sees the draft's page, without JSON-LD or feeds
    html = client.get(f"/challenges/{challenge.slug}").get_data(as_text=True)
    assert "Deep Space Food Challenge" in html
    assert json_ld(html) == []
    assert "announcements.atom" not in html


def test_a_hostile_title_cannot_end_the_script_element(
    client: FlaskClient, published: Challenge
) -> None:
    hostile = 'Food</script><script>alert("x")</script><!--'
    published.title = {**published.title, "en": hostile}
    db.session.commit()
    html = client.get(f"/challenges/{published.slug}").get_data(as_text=True)
    assert "<script>alert" not in html
    assert 'alert("x")' not in html.split('type="application/ld+json">', 1)[1].split("</script>")[0]
    [event] = json_ld(html)
    assert event["name"] == hostile  # the JSON reads back to the very text


def test_an_agency_page_describes_an_organization(client: FlaskClient, world: Any) -> None:
    world.agency_b.website = "https://agency-b.example/"
    db.session.commit()
    [org] = json_ld(client.get("/agencies/agency-b").get_data(as_text=True))
    assert org["@type"] == "Organization" and org["name"] == "Agency B"
    assert org["url"] == f"{BASE}/agencies/agency-b"
    assert org["sameAs"] == "https://agency-b.example/"
    assert org["address"]["addressCountry"] == "US"


def test_feeds_are_discoverable_from_the_directory_and_challenge_pages(
    client: FlaskClient, published: Challenge
) -> None:
    directory = ALTERNATE.findall(client.get("/challenges/").get_data(as_text=True))
    assert [href for _, href in directory] == ["/challenges/feed.atom"]
    page = ALTERNATE.findall(client.get(f"/challenges/{published.slug}").get_data(as_text=True))
    hrefs = {href: title for title, href in page}
    assert hrefs[f"/challenges/{published.slug}/announcements.atom"] == (
        "Announcements of Deep Space Food Challenge"
    )
    assert "/challenges/feed.atom" in hrefs
    for href in hrefs:  # each one is a feed that answers
        response = client.get(href)
        assert response.status_code == 200 and response.mimetype == "application/atom+xml"
