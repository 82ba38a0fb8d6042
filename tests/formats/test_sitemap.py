"""/sitemap.xml lists the public pages of published content, never drafts; /robots.txt
points to it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from competitions.challenges import services
from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from tests.challenges.conftest import TEXTS
from tests.challenges.helpers import PHASE_1, act, publish

BASE = "https://tandem.test"
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap(client: FlaskClient) -> dict[str, datetime | None]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.get_data())
    found = {}
    for url in root.findall("sm:url", NS):
        lastmod = url.findtext("sm:lastmod", namespaces=NS)
        found[url.findtext("sm:loc", namespaces=NS) or ""] = (
            datetime.fromisoformat(lastmod) if lastmod else None
        )
    return found


def test_published_pages_are_listed_with_absolute_addresses_and_lastmod(
    client: FlaskClient, published: Challenge, world: Any
) -> None:
    urls = sitemap(client)
    slug = published.slug
    tracks = [t.slug for t in published.tracks]
    expected = {
        f"{BASE}/",
        f"{BASE}/challenges/",
        f"{BASE}/agencies/",
        f"{BASE}/agencies/agency-a",
        f"{BASE}/agencies/agency-b",
        f"{BASE}/challenges/{slug}",
        f"{BASE}/challenges/{slug}/questions",
        *(f"{BASE}/challenges/{slug}/tracks/{t}" for t in tracks),
        *(f"{BASE}/challenges/{slug}/tracks/{t}/terms" for t in tracks),
        *(f"{BASE}/challenges/{slug}/tracks/{t}/questions" for t in tracks),
    }
    assert set(urls) == expected  # no winners yet: the results are not released
    assert urls[f"{BASE}/challenges/{slug}"] == published.updated_at
    assert all(v is not None and v.utcoffset() is not None for v in urls.values())
    for url in urls:  # every listed page is really public
        assert client.get(url.removeprefix(BASE)).status_code == 200, url


def test_winners_are_listed_once_the_results_are_released(
    client: FlaskClient, published: Challenge, clock: Any
) -> None:
    round_ = published.rounds[0]
    winners = f"{BASE}/challenges/{published.slug}/rounds/{round_.id}/winners"
    assert winners not in sitemap(client)
    clock.set_now(PHASE_1["results_at"] + timedelta(minutes=1))
    urls = sitemap(client)
    assert urls[winners] == PHASE_1["results_at"]
    track = published.tracks[0].slug
    assert f"{BASE}/challenges/{published.slug}/tracks/{track}/rounds/{round_.id}/winners" in urls


def test_drafts_are_never_listed(client: FlaskClient, challenge: Challenge) -> None:
    assert not [url for url in sitemap(client) if "/challenges/deep-space-food" in url]


def test_the_number_of_queries_does_not_grow_with_the_content(
    client: FlaskClient, published: Challenge, world: Any, count_queries: Any
) -> None:
    client.get("/sitemap.xml")  # warm up (session, caches)
    with count_queries() as one:
        client.get("/sitemap.xml")
    for n in range(3):
        other = services.create_challenge(act(world.admin_a), world.agency_a, f"more-{n}", TEXTS)
        db.session.commit()
        publish(world, other)
    with count_queries() as four:
        urls = sitemap(client)
    assert f"{BASE}/challenges/more-2" in urls
    assert four.count == one.count <= 6, four.statements


def test_robots_txt_points_to_the_sitemap(client: FlaskClient) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert f"Sitemap: {BASE}/sitemap.xml" in lines
    assert "Disallow: /calendar/" in lines  # personal feeds are never crawled
