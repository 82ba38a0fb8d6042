"""Fixtures of the entries tests: a published two-track challenge, teams, registration.

Agency A (Canada) leads and runs the Canada track (residents of Canada, 18 or older, two
statements to confirm); agency B runs the US track (the lead resides in the United States;
people from elsewhere may take part for recognition only). The shared round's registration
opens on 1 March 2027 and runs until the Phase 1 deadline, 30 July 2027 17:00 CDT.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from competitions.accounts.models import User
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge, Track
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.services import tracks as track_services
from competitions.core.actor import Actor
from competitions.core.audit import AuditEvent
from competitions.core.extensions import db
from competitions.entries import registration, teams
from competitions.entries.models import Entry, Team, TeamMember, TeamRole
from tests.factories import make_user

NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)
REGISTRATION_OPENS = datetime(2027, 3, 1, 15, tzinfo=UTC)
DEADLINE = datetime(2027, 7, 30, 17, 0, tzinfo=ZoneInfo("America/Chicago")).astimezone(UTC)
STATEMENTS_EN = ["I am not an employee of agency A.", "Our work is our own."]
STATEMENTS_FR = ["Je ne suis pas employé de l'agence A.", "Notre travail est le nôtre."]

CA_RULES: dict[str, Any] = {"allowed_countries": ["CA"], "minimum_age": 18}
US_RULES: dict[str, Any] = {
    "allowed_countries": ["US"],
    "member_policy": "lead",
    "recognition_for_others": True,
}


def act(user: Any, ip: str = "127.0.0.1") -> Actor:
    return Actor(user, ip=ip)


def phase_1(**changes: Any) -> dict[str, Any]:
    instants = {
        "registration_opens": REGISTRATION_OPENS,
        "registration_closes": None,
        "submission_opens": DEADLINE - timedelta(days=90),
        "submission_deadline": DEADLINE,
        "judging_closes": DEADLINE + timedelta(days=30),
        "results_at": DEADLINE + timedelta(days=40),
    }
    instants.update(changes)
    return instants


def build(
    world: Any,
    slug: str = "dsfc",
    *,
    publish: bool = True,
    rules_a: dict[str, Any] | None = None,
    rules_b: dict[str, Any] | None = None,
    instants: dict[str, Any] | None = None,
) -> Challenge:
    """A two-track challenge (committed), published unless ``publish`` is false."""
    a = act(world.admin_a)
    challenge = challenge_services.create_challenge(
        a,
        world.agency_a,
        slug,
        challenge_services.Texts(
            {"en": "Deep Space Food", "fr": "Alimentation spatiale"},
            {"en": "Food for space."},
            {"en": "Grow **food**."},
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
            {"en": "\n".join(STATEMENTS_EN), "fr": "\n".join(STATEMENTS_FR)},
        ),
    )
    track_services.update_rules(a, track_a, CA_RULES if rules_a is None else rules_a)
    track_services.publish_terms(a, track_a, {"en": "Terms v1", "fr": "Conditions v1"})
    b = act(world.admin_b)
    track_services.update_track(
        b,
        track_b,
        track_services.TrackSettings(
            {"en": "US track"}, {}, ["en"], "us@example.org", "America/Chicago"
        ),
    )
    track_services.update_rules(b, track_b, US_RULES if rules_b is None else rules_b)
    track_services.publish_terms(b, track_b, {"en": "US terms"})
    timeline_services.save_round(
        a, challenge, None, timeline_services.RoundData({"en": "Phase 1"}, instants or phase_1())
    )
    if publish:
        track_services.mark_ready(a, track_a, True)
        track_services.mark_ready(b, track_b, True)
        challenge_services.publish(a, challenge)
    db.session.commit()
    return challenge


@pytest.fixture
def now(clock: Any) -> datetime:
    clock.set_now(NOW)
    return NOW


@pytest.fixture
def challenge(world: Any, now: datetime) -> Challenge:
    return build(world)


@pytest.fixture
def ca_track(challenge: Challenge) -> Track:
    return challenge.tracks[0]


@pytest.fixture
def us_track(challenge: Challenge) -> Track:
    return challenge.tracks[1]


Person = tuple[User, str, int | None]  # (user, residence, declared age)


def add_member(team: Team, user: User, residence: str = "CA", age: int | None = 30) -> TeamMember:
    """Put ``user`` in ``team`` directly (fixtures only: before any registration)."""
    member = TeamMember(
        team=team,
        user=user,
        role=TeamRole.MEMBER,
        residence=residence,
        declared_age=age,
        attested_at=NOW,
    )
    db.session.add(member)
    db.session.flush()
    return member


def new_team(
    lead: User,
    residence: str = "CA",
    age: int | None = 30,
    *,
    name: str = "Team",
    entrant_type: str = "team",
    organisation_name: str | None = None,
    organisation_country: str | None = None,
    members: Sequence[Person] = (),
) -> Team:
    """A committed team led by ``lead`` with ``members``."""
    team = teams.create_team(
        act(lead),
        teams.TeamData(name, entrant_type, organisation_name, organisation_country),
        residence,
        age,
    )
    for user, where, years in members:
        add_member(team, user, where, years)
    db.session.commit()
    return team


def person(country: str = "CA", **fields: Any) -> User:
    return make_user(country=country, **fields)


def register(
    team: Team,
    track: Track,
    user: User | None = None,
    *,
    ip: str = "127.0.0.1",
    commit: bool = True,
) -> Entry:
    """Register ``team`` in ``track`` as its lead, accepting the current terms and statements."""
    lead = user or team.lead.user
    terms = challenge_services.current_terms(track)
    assert terms is not None
    statements = track.attestations_in(lead.preferred_language)
    entry = registration.register(
        act(lead, ip), team, track, terms.id, list(range(len(statements)))
    )
    if commit:
        db.session.commit()
    return entry


def events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def text(response: Any, status: int = 200) -> str:
    """The response's HTML with entities decoded (so apostrophes compare as typed)."""
    body = response.get_data(as_text=True)
    assert response.status_code == status, (response.status, body[:3000])
    return html.unescape(body)


def follow(client: Any, response: Any) -> str:
    """Follow a redirect and return the page it lands on (with its flashed messages)."""
    assert response.status_code == 302, (response.status, response.get_data(as_text=True)[:3000])
    return text(client.get(response.headers["Location"]))


@pytest.fixture
def logout(client: Any) -> Callable[[], None]:
    def do() -> None:
        assert client.post("/logout").status_code == 302

    return do


@pytest.fixture
def switch(login: Callable[..., None], logout: Callable[[], None]) -> Callable[[User], None]:
    """Sign out whoever is signed in and sign ``user`` in."""

    def do(user: User) -> None:
        logout()
        login(user)

    return do
