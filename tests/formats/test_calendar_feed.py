"""Each user's personal calendar feed: a secret address (stored hashed) with the deadlines
of the user's entries and judging, made, replaced and turned off from the account, audited."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from competitions.accounts.models import User
from competitions.challenges.models import Challenge, ChallengeStatus, Track
from competitions.core.extensions import db
from competitions.entries.models import Entry, TeamMember
from competitions.formats.models import CalendarFeed
from competitions.judging.models import Judge, Panel
from tests.api.conftest import make_entry
from tests.challenges.helpers import PHASE_1, events
from tests.factories import make_user

URL = re.compile(r'id="calendar-url"[^>]*value="https://tandem\.test(/calendar/[^"]+)"')


def _make_address(client: FlaskClient) -> str:
    response = client.post("/account/calendar")
    assert response.status_code == 200
    found = URL.search(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)
    return found.group(1)


def _read(client: FlaskClient, path: str) -> Calendar:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "private, no-cache"
    return Calendar.from_ical(response.get_data())


def _entrant(track: Track) -> Any:
    entry = make_entry(track, "Moon Kitchen")
    db.session.commit()
    return db.session.scalar(
        select(User)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == entry.team_id)
    )


def test_the_feed_holds_the_entry_deadlines_and_the_judging(
    client: FlaskClient, login: Any, published: Challenge, world: Any
) -> None:
    track_a, track_b = published.tracks
    user = _entrant(track_b)
    # The same person judges on agency A's panel of the challenge.
    panel = Panel(challenge=published, track=track_a)
    db.session.add_all([panel, Judge(panel=panel, user_id=user.id)])
    db.session.commit()
    login(user)
    cal = _read(client, _make_address(client))

    found = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    deadline = found["Deep Space Food Challenge — Phase 1: Submission deadline"]
    assert deadline.decoded("dtstart") == PHASE_1["submission_deadline"]
    assert str(deadline["uid"]).endswith("@tandem.test")
    judging = found["Judging: Deep Space Food Challenge — Phase 1: Judging closes"]
    assert judging.decoded("dtstart") == PHASE_1["judging_closes"]
    assert str(judging["uid"]) != str(
        found["Deep Space Food Challenge — Phase 1: Judging closes"]["uid"]
    )
    assert cal.walk("VTIMEZONE")  # each TZID is defined
    # No one else's and nothing else: six instants of the entry, three of the judging.
    assert len(found) == 9


def test_the_file_is_well_formed_icalendar(
    client: FlaskClient, login: Any, published: Challenge
) -> None:
    published.title = {**published.title, "en": "Food, water; and a very long title " * 4}
    db.session.commit()
    login(_entrant(published.tracks[0]))
    path = _make_address(client)
    body = client.get(path).get_data()
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    lines = body.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)  # folded (RFC 5545 §3.1)
    assert b"Food\\, water\\; and" in body  # TEXT escaping (§3.3.11)
    assert b"\nVERSION:2.0" in body and b"PRODID:" in body
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body
    # Stable: the same UIDs on every read.
    again = client.get(path).get_data()
    assert re.findall(rb"UID:.*", body) == re.findall(rb"UID:.*", again)


def test_withdrawn_entries_and_drafts_stay_out(
    client: FlaskClient, login: Any, published: Challenge, clock: Any
) -> None:
    user = _entrant(published.tracks[0])
    login(user)
    path = _make_address(client)
    assert _read(client, path).walk("VEVENT")
    entry = db.session.scalar(
        select(Entry)
        .join(TeamMember, TeamMember.team_id == Entry.team_id)
        .where(TeamMember.user_id == user.id)
    )
    entry.withdrawn_at = clock.now()
    db.session.commit()
    assert not _read(client, path).walk("VEVENT")
    entry.withdrawn_at = None
    published.status, published.published_at = ChallengeStatus.DRAFT, None
    db.session.commit()
    assert not _read(client, path).walk("VEVENT")


def test_a_new_address_replaces_the_old_and_turning_off_ends_it(
    client: FlaskClient, login: Any, published: Challenge
) -> None:
    user = _entrant(published.tracks[0])
    login(user)
    page = client.get("/account/calendar").get_data(as_text=True)
    assert "Your feed is off" in page
    first = _make_address(client)
    assert client.get(first).status_code == 200
    # Only the hash is kept: the secret is nowhere in the database.
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    secret = first.removeprefix("/calendar/").removesuffix(".ics")
    assert feed is not None and secret not in (feed.secret_hash, feed.prefix)
    assert secret.startswith(feed.prefix)
    prefix = feed.prefix
    page = client.get("/account/calendar").get_data(as_text=True)
    assert feed.prefix in page and secret not in page  # shown once only

    second = _make_address(client)
    assert second != first
    prefix = second.removeprefix("/calendar/")[:10]
    assert client.get(first).status_code == 404  # at once
    assert client.get(second).status_code == 200

    response = client.post("/account/calendar/revoke")
    assert response.status_code == 302
    assert client.get(second).status_code == 404
    assert "Your feed is off" in client.get("/account/calendar").get_data(as_text=True)

    assert [e.actor_id for e in events("account.calendar_feed_created")] == [user.id]
    assert len(events("account.calendar_feed_replaced")) == 1
    [revoked] = events("account.calendar_feed_revoked")
    assert revoked.object_id == str(user.id) and revoked.before == {"starts_with": prefix}


def test_a_feed_shows_only_its_owners_dates(
    client: FlaskClient, login: Any, published: Challenge
) -> None:
    login(_entrant(published.tracks[0]))
    mine = _make_address(client)
    other = make_user("someone-else@example.org")
    db.session.commit()
    client.post("/logout")
    login(other)
    theirs = _make_address(client)
    assert _read(client, mine).walk("VEVENT")
    assert not _read(client, theirs).walk("VEVENT")  # no entry, no judging
    client.post("/logout")
    assert client.get(mine).status_code == 200  # the address alone opens it


def test_unknown_or_malformed_addresses_are_404(client: FlaskClient, db: Any) -> None:
    for path in (
        "/calendar/nope.ics",
        "/calendar/cal_" + "A" * 43 + ".ics",
        "/calendar/" + "x" * 300 + ".ics",
    ):
        assert client.get(path).status_code == 404


def test_the_account_page_links_to_the_feed(client: FlaskClient, login: Any, world: Any) -> None:
    world.innovator.preferred_language = "fr"
    db.session.commit()
    login(world.innovator)
    assert "/account/calendar" in client.get("/account").get_data(as_text=True)
    french = client.get("/account/calendar")
    assert "Votre flux d\u2019agenda" in french.get_data(as_text=True)


def test_reading_the_feed_takes_the_same_queries_for_more_entries(
    client: FlaskClient, login: Any, published: Challenge, world: Any, count_queries: Any
) -> None:
    from competitions.challenges import services
    from tests.challenges.conftest import TEXTS
    from tests.challenges.helpers import act, publish

    user = _entrant(published.tracks[0])
    login(user)
    path = _make_address(client)
    client.get(path)  # the first read records its use
    with count_queries() as one:
        assert len(_read(client, path).walk("VEVENT")) == 6
    for n in range(2):
        other = services.create_challenge(act(world.admin_a), world.agency_a, f"more-{n}", TEXTS)
        db.session.commit()
        publish(world, other)
        entry = make_entry(other.tracks[0], f"Team {n}")
        team_member = TeamMember(team=entry.team, user=user, role="member", residence="CA")
        db.session.add(team_member)
        db.session.commit()
    with count_queries() as three:
        assert len(_read(client, path).walk("VEVENT")) == 18
    assert three.count == one.count, three.statements
