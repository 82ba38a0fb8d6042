"""Public challenge pages: directory, challenge and track pages, routing, XSS, calendar, feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from competitions.challenges import services
from competitions.challenges.models import Challenge, Track
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.services import tracks as track_services
from competitions.core.actor import Actor
from competitions.core.extensions import db
from tests.factories import make_agency, make_membership, make_user

DEADLINE = datetime(2027, 7, 30, 17, 0, tzinfo=ZoneInfo("America/Chicago"))
XSS = [
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg/onload=alert(1)>",
    "<iframe src=//evil.example></iframe>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<div style="background:url(javascript:alert(1))">',
]


def actor(user: Any) -> Actor:
    return Actor(user, ip="127.0.0.1")


def build(world: Any, slug: str = "dsfc", publish: bool = True, **texts: Any) -> Challenge:
    """Agency A (Canada) leads; agency B (United States) has the second track."""
    a = actor(world.admin_a)
    challenge = services.create_challenge(
        a,
        world.agency_a,
        slug,
        services.Texts(
            texts.get("title", {"en": "Deep Space Food", "fr": "Alimentation spatiale"}),
            texts.get("summary", {"en": "Food for space."}),
            texts.get("description", {"en": "Grow **food**."}),
        ),
        "America/Chicago",
    )
    track_a = challenge.tracks[0]
    track_b = Track(
        challenge=challenge,
        agency=world.agency_b,
        slug="agency-b",
        position=1,
        name={"en": "US track"},
        languages=["en"],
        timezone="America/Chicago",
        rules={},
    )
    db.session.add(track_b)
    db.session.flush()
    track_services.update_track(
        a,
        track_a,
        track_services.TrackSettings(
            {"en": "Canada track", "fr": "Volet canadien"},
            {},
            ["en", "fr"],
            "ca@example.org",
            "America/Toronto",
        ),
    )
    track_services.update_rules(a, track_a, {"allowed_countries": ["CA"], "minimum_age": 18})
    track_services.save_prize(
        a,
        track_a,
        None,
        track_services.PrizeData({"en": "Grand prize", "fr": "Grand prix"}, "30000", "CAD", 2, {}),
    )
    track_services.publish_terms(a, track_a, {"en": "Terms v1", "fr": "Conditions v1"})
    b = actor(world.admin_b)
    track_services.update_track(
        b,
        track_b,
        track_services.TrackSettings(
            {"en": "US track"}, {}, ["en"], "us@example.org", "America/Chicago"
        ),
    )
    track_services.update_rules(
        b,
        track_b,
        {"allowed_countries": ["US"], "member_policy": "lead", "recognition_for_others": True},
    )
    track_services.save_prize(
        b, track_b, None, track_services.PrizeData({"en": "Winner"}, "150000", "USD", 1, {})
    )
    track_services.publish_terms(b, track_b, {"en": "US terms"})
    timeline_services.save_round(
        a,
        challenge,
        None,
        timeline_services.RoundData(
            {"en": "Phase 1"},
            {
                "submission_opens": (DEADLINE - timedelta(days=90)).astimezone(UTC),
                "submission_deadline": DEADLINE.astimezone(UTC),
                "judging_closes": (DEADLINE + timedelta(days=30)).astimezone(UTC),
                "results_at": (DEADLINE + timedelta(days=40)).astimezone(UTC),
            },
        ),
    )
    if publish:
        track_services.mark_ready(a, track_a, True)
        track_services.mark_ready(b, track_b, True)
        services.publish(a, challenge)
    db.session.commit()
    return challenge


@pytest.fixture
def published(world: Any, clock: Any) -> Challenge:
    clock.set_now(datetime(2027, 6, 1, 12, tzinfo=UTC))
    return build(world)


def html(response: Any) -> str:
    assert response.status_code == 200, response.status
    return response.get_data(as_text=True)


def test_directory_lists_only_published_challenges(client, world, published):
    build(world, slug="secret-draft", publish=False, title={"en": "Secret draft"})
    page = html(client.get("/challenges/"))
    assert "Deep Space Food" in page
    assert "Secret draft" not in page
    assert client.get("/challenges/secret-draft").status_code == 404


def test_directory_filters(client, world, published, clock):
    assert "Deep Space Food" in html(client.get("/challenges/?status=open"))
    assert "Deep Space Food" not in html(client.get("/challenges/?status=closed"))
    assert "Deep Space Food" in html(client.get("/challenges/?q=space+food"))
    assert "Deep Space Food" not in html(client.get("/challenges/?q=volcano"))
    assert "Deep Space Food" in html(client.get("/challenges/?agency=agency-b"))
    other = make_agency("agency-c", name="Agency C")
    db.session.commit()
    assert "Deep Space Food" not in html(client.get(f"/challenges/?agency={other.slug}"))
    clock.set_now(datetime(2028, 1, 1, tzinfo=UTC))
    assert "Deep Space Food" in html(client.get("/challenges/?status=closed"))
    clock.set_now(datetime(2027, 1, 1, tzinfo=UTC))
    assert "Deep Space Food" in html(client.get("/challenges/?status=upcoming"))


def test_challenges_i_can_enter(client, world, published, login):
    # Agency B's track welcomes people from anywhere for recognition: everybody can enter.
    login(world.innovator)
    assert "Deep Space Food" in html(client.get("/challenges/?mine=1"))
    track_b = published.tracks[1]
    track_services.update_rules(actor(world.admin_b), track_b, {"allowed_countries": ["US"]})
    db.session.commit()
    japan = make_user("tokyo@example.org", country="JP")
    db.session.commit()
    client.post("/logout")
    login(japan)
    assert "Deep Space Food" not in html(client.get("/challenges/?mine=1"))


def test_directory_queries_do_not_grow_with_the_data(client, world, clock, count_queries):
    clock.set_now(datetime(2027, 6, 1, 12, tzinfo=UTC))
    build(world, slug="first")
    with count_queries() as few:
        html(client.get("/challenges/"))
    for n in range(8):
        build(world, slug=f"more-{n}")
    with count_queries() as many:
        page = html(client.get("/challenges/"))
    assert page.count("Deep Space Food") == 9
    assert many.count == few.count, many.statements


def test_challenge_page_shows_tracks_rules_prizes_and_timeline(client, published):
    page = html(client.get("/challenges/dsfc", headers={"Accept-Language": "en"}))
    assert "Canada track" in page and "US track" in page
    assert "30,000.00\u00a0CAD" in page and "150,000.00\u00a0USD" in page
    assert "Prizes for residents of" in page and "Canada" in page and "United States" in page
    assert "Welcome, for recognition without prize money" in page
    assert '<svg class="timeline-svg"' in page and '<title id="timeline-svg-title">' in page
    # The same instant in each track's legal time, DST-correct, with the zone abbreviation.
    assert "30 Jul 2027 17:00 CDT" in page
    assert "30 Jul 2027 18:00 EDT" in page
    assert "Closes in" in page and "days" in page


def test_challenge_page_links_terms_without_loading_every_version(
    client, world, published, count_queries
):
    with count_queries() as few:
        page = html(client.get("/challenges/dsfc", headers={"Accept-Language": "en"}))
    assert page.count("/challenges/dsfc/tracks/") > 0
    for track in published.tracks:
        assert f"/challenges/dsfc/tracks/{track.slug}/terms" in page
    for n in range(3):
        track_services.publish_terms(
            actor(world.admin_a), published.tracks[0], {"en": f"v{n}", "fr": f"v{n}"}
        )
    db.session.commit()
    with count_queries() as many:
        again = html(client.get("/challenges/dsfc", headers={"Accept-Language": "en"}))
    assert again.count("/terms") == page.count("/terms")
    assert many.count == few.count, many.statements
    assert not any("terms_version.body" in s for s in many.statements)


def test_challenge_page_has_its_rounds_prizes_and_terms_without_their_own_queries(
    client, published, count_queries
):
    with count_queries() as queries:
        page = html(client.get("/challenges/dsfc", headers={"Accept-Language": "en"}))
    assert "30,000.00\u00a0CAD" in page and "/challenges/dsfc/tracks/agency-a/terms" in page
    assert "Phase 1" in page
    # The rounds come with the challenge, the prizes and the terms' existence with the tracks.
    own = ("SELECT round.", "SELECT prize.", "SELECT terms_version.", "SELECT DISTINCT terms")
    assert not [s for s in queries.statements if s.lstrip().startswith(own)], queries.statements


def test_tracks_with_terms_also_of_a_challenge_loaded_otherwise(published):
    ids = {t.id for t in published.tracks}
    db.session.expunge_all()
    assert services.tracks_with_terms(services.get_challenge("dsfc")) == ids
    db.session.expunge_all()
    plain = db.session.scalar(select(Challenge).where(Challenge.slug == "dsfc"))
    assert plain is not None and services.tracks_with_terms(plain) == ids


def test_challenge_page_lists_timeline_changes_and_asks_for_them_only_if_any(
    client, world, published, count_queries
):
    with count_queries() as unchanged:
        page = html(client.get("/challenges/dsfc", headers={"Accept-Language": "en"}))
    assert "Changes to the timeline" not in page
    assert not [s for s in unchanged.statements if s.lstrip().startswith("SELECT timeline_")]
    phase_1 = published.rounds[0]
    later = {name: at + timedelta(days=7) for name, at in phase_1.instants().items() if at}
    timeline_services.save_round(
        actor(world.admin_a),
        published,
        phase_1,
        timeline_services.RoundData({"en": "Phase 1"}, later),
        reason="More time for the teams.",
    )
    db.session.commit()
    with count_queries() as changed:
        page = html(client.get("/challenges/dsfc", headers={"Accept-Language": "en"}))
    assert "Changes to the timeline" in page and "More time for the teams." in page
    assert changed.count == unchanged.count + 1


def test_challenge_page_in_french(client, published):
    page = html(client.get("/challenges/dsfc", headers={"Accept-Language": "fr"}))
    assert "Alimentation spatiale" in page
    assert "Volet canadien" in page
    assert "30 000,00 CAD" in page.replace("\u202f", " ").replace("\xa0", " ")


def test_dates_in_the_signed_in_viewers_zone(client, world, published, login):
    world.innovator.timezone = "Europe/Paris"
    db.session.commit()
    login(world.innovator)
    page = html(client.get("/challenges/dsfc"))
    assert "30 Jul 2027 17:00 CDT" in page
    assert "31 Jul 2027 00:00 CEST" in page and "your time" in page


@pytest.mark.parametrize(
    ("members", "kind", "expected"),
    [
        ([("DE", 30), ("DE", 41)], "team", "Your track: US track — Eligible for recognition only"),
        ([("CA", 30), ("CA-QC", 41)], "team", "Your track: Canada track — Eligible."),
        ([("US", 30), ("DE", 41)], "team", "Your track: US track — Eligible."),
        ([("CA", 15)], "individual", "Your track: US track — Eligible for recognition only"),
    ],
)
def test_routing_tells_the_team_where_it_belongs_and_why(
    client, published, members, kind, expected
):
    params = {"entrant_type": kind}
    for i, (country, age) in enumerate(members):
        params[f"members-{i}-residence"] = country
        params[f"members-{i}-age"] = str(age)
    page = html(client.get("/challenges/dsfc", query_string=params))
    assert expected in page
    assert "Why not:" in page


def test_routing_with_hostile_input_does_not_crash(client, published):
    response = client.get(
        "/challenges/dsfc",
        query_string={
            "entrant_type": "pirate",
            "members-0-residence": "<script>",
            "members-0-age": "-5",
            "members-1-residence": "ZZ",
            "members-99-residence": "CA",
            "organisation_country": "\x00",
        },
    )
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True).split("<main", 1)[1]


class _Elements(HTMLParser):
    """Every element and attribute the browser would build from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


def _dangerous(markup: str) -> list[str]:
    parser = _Elements()
    parser.feed(markup)
    found = [t for t in parser.tags if t in {"script", "iframe", "img", "svg", "object", "embed"}]
    for name, value in parser.attributes:
        if name.startswith("on") or name == "style":
            found.append(name)
        if name in {"href", "src"} and value.strip().lower().startswith(("javascript:", "data:")):
            found.append(f"{name}={value}")
    return found


@pytest.mark.parametrize("payload", XSS)
def test_markdown_is_sanitized(client, world, clock, payload):
    clock.set_now(datetime(2027, 6, 1, tzinfo=UTC))
    build(world, slug="xss", description={"en": f"Intro\n\n{payload}\n\n**bold**"})
    page = html(client.get("/challenges/xss"))
    about = page.split('id="about"', 1)[1].split("</section>", 1)[0]
    assert _dangerous(about) == []
    assert "<strong>bold</strong>" in about


def test_markdown_renderer_against_known_payloads():
    from competitions.core.markdown import render_markdown

    for payload in XSS:
        assert _dangerous(str(render_markdown(payload))) == []
    assert 'rel="noopener noreferrer nofollow"' in str(render_markdown("[a](https://x.org)"))


def test_calendar_is_valid_icalendar_with_stable_uids_and_sequence(client, world, published):
    first = Calendar.from_ical(client.get("/challenges/dsfc/calendar.ics").data)
    events = first.walk("VEVENT")
    assert len(events) == 4  # the four required instants of the one round
    deadline = next(e for e in events if "Submission deadline" in str(e["SUMMARY"]))
    start = deadline.decoded("DTSTART")
    assert start == DEADLINE
    assert deadline["DTSTART"].params["TZID"] == "America/Chicago"
    assert first.walk("VTIMEZONE"), "the calendar carries its time zone definition"
    assert int(deadline["SEQUENCE"]) == 0
    uid = str(deadline["UID"])

    round_ = published.rounds[0]
    timeline_services.save_round(
        actor(world.admin_a),
        published,
        round_,
        timeline_services.RoundData(
            round_.name,
            {
                **round_.instants(),
                "submission_deadline": round_.submission_deadline + timedelta(days=7),
                "judging_closes": round_.judging_closes + timedelta(days=7),
            },
        ),
        reason="Extended at the request of partners",
    )
    db.session.commit()
    second = Calendar.from_ical(client.get("/challenges/dsfc/calendar.ics").data)
    moved = next(e for e in second.walk("VEVENT") if str(e["UID"]) == uid)
    assert int(moved["SEQUENCE"]) == 1
    assert moved.decoded("DTSTART") == DEADLINE + timedelta(days=7)
    page = html(client.get("/challenges/dsfc"))
    assert "Extended at the request of partners" in page


def test_atom_feed_lists_published_challenges(client, world, published):
    build(world, slug="hidden", publish=False, title={"en": "Hidden draft"})
    response = client.get("/challenges/feed.atom")
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles == ["Deep Space Food"]
    link = root.find("a:entry/a:link", ns).get("href")
    assert link == "https://tandem.test/challenges/dsfc"


def test_terms_versions_are_kept(client, world, published):
    track = published.tracks[0]
    track_services.publish_terms(
        actor(world.admin_a), track, {"en": "Terms v2", "fr": "Conditions v2"}
    )
    db.session.commit()
    assert "Terms v2" in html(client.get("/challenges/dsfc/tracks/agency-a/terms"))
    assert "Terms v1" in html(client.get("/challenges/dsfc/tracks/agency-a/terms?version=1"))
    assert client.get("/challenges/dsfc/tracks/agency-a/terms?version=9").status_code == 404


def test_track_page(client, published):
    page = html(client.get("/challenges/dsfc/tracks/agency-b"))
    assert "150,000.00\u00a0USD" in page
    assert "Deadlines are stated in America/Chicago" in page or "America/Chicago" in page
    assert client.get("/challenges/dsfc/tracks/nope").status_code == 404


def test_create_challenge_and_round_through_the_pages(client, world, login, clock):
    clock.set_now(datetime(2021, 3, 1, tzinfo=UTC))
    login(world.admin_a)
    response = client.post(
        "/agencies/agency-a/challenges/new",
        data={
            "slug": "web-made",
            "title_en": "Made on the web",
            "timezone": "America/Chicago",
        },
    )
    assert response.status_code == 302
    # A time inside the spring-forward gap is refused with a clear message.
    gap = client.post(
        "/challenges/web-made/manage/rounds/new",
        data={
            "name_en": "Phase 1",
            "timezone": "America/Chicago",
            "submission_opens": "2021-03-14T02:30",
            "submission_deadline": "2021-07-30T17:00",
            "judging_closes": "2021-08-30T17:00",
            "results_at": "2021-09-30T17:00",
        },
    )
    assert gap.status_code == 200
    assert "does not exist in America/Chicago" in gap.get_data(as_text=True)
    backwards = client.post(
        "/challenges/web-made/manage/rounds/new",
        data={
            "name_en": "Phase 1",
            "timezone": "America/Chicago",
            "submission_opens": "2021-08-01T09:00",
            "submission_deadline": "2021-07-30T17:00",
            "judging_closes": "2021-08-30T17:00",
            "results_at": "2021-09-30T17:00",
        },
    )
    assert "The submission deadline must be after submissions open." in backwards.get_data(
        as_text=True
    )
    ok = client.post(
        "/challenges/web-made/manage/rounds/new",
        data={
            "name_en": "Phase 1",
            "timezone": "America/Chicago",
            "submission_opens": "2021-04-01T09:00",
            "submission_deadline": "2021-07-30T17:00",
            "judging_closes": "2021-08-30T17:00",
            "results_at": "2021-09-30T17:00",
        },
    )
    assert ok.status_code == 302
    challenge = services.get_challenge("web-made")
    assert challenge.rounds[0].submission_deadline == datetime(2021, 7, 30, 22, tzinfo=UTC)


def test_partner_cannot_move_shared_dates_or_edit_the_lead_track(client, world, published, login):
    login(world.admin_b)
    round_id = published.rounds[0].id
    response = client.post(
        f"/challenges/dsfc/manage/rounds/{round_id}",
        data={
            "name_en": "Phase 1",
            "timezone": "UTC",
            "submission_opens": "2027-01-01T00:00",
            "submission_deadline": "2027-12-01T00:00",
            "judging_closes": "2027-12-02T00:00",
            "results_at": "2027-12-03T00:00",
            "reason": "mine now",
        },
    )
    assert response.status_code == 404
    assert client.post("/challenges/dsfc/tracks/agency-a/manage/rules").status_code == 404
    # Their own track is theirs to edit.
    assert client.get("/challenges/dsfc/tracks/agency-b/manage").status_code == 200


def test_staff_of_a_partner_agency_sees_the_console(client, world, published, login):
    staff_b = make_user("staff-b@example.org")
    make_membership(staff_b, world.agency_b)
    db.session.commit()
    login(staff_b)
    assert client.get("/challenges/dsfc/manage").status_code == 200
    assert client.get("/challenges/dsfc/manage/details").status_code == 404
