"""Creating a challenge: a draft led by the creator's agency, with that agency's track."""

from __future__ import annotations

import pytest

from competitions.challenges import services
from competitions.challenges.eligibility import EntrantType as T
from competitions.challenges.eligibility import Member, Status, TeamProfile, evaluate, parse_rules
from competitions.challenges.models import Challenge, ChallengeStatus, Track
from competitions.core.errors import Conflict, DomainError, NotFound
from competitions.core.extensions import db
from tests.challenges.conftest import TEXTS
from tests.challenges.helpers import act, count, events
from tests.factories import make_agency, make_membership, make_user


def residents_of(*countries: str) -> TeamProfile:
    members = tuple(Member(residence=c, age=30, is_lead=i == 0) for i, c in enumerate(countries))
    return TeamProfile(entrant_type=T.TEAM, members=members)


def create(world, user=None, agency=None, slug="deep-space-food", texts=TEXTS, timezone=None):
    return services.create_challenge(
        act(user or world.admin_a), agency or world.agency_a, slug, texts, timezone
    )


def test_agency_admin_creates_a_draft_led_by_their_agency(world):
    challenge = create(world, slug="  Deep-Space-Food ")
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Challenge, challenge.id)
    assert stored.slug == "deep-space-food"
    assert stored.status == ChallengeStatus.DRAFT
    assert stored.published_at is None
    assert stored.lead_agency_id == world.agency_a.id
    assert stored.created_by_id == world.admin_a.id
    assert stored.timezone == "America/Toronto"
    assert (stored.edition, stored.previous_edition_id) == (1, None)
    assert stored.title == TEXTS.title
    assert "deep space food challenge" in stored.search_text


def test_the_draft_has_exactly_one_track_shaped_like_the_lead_agency(world):
    challenge = create(world)
    db.session.commit()

    [track] = challenge.tracks
    assert count(Track, Track.challenge_id == challenge.id) == 1
    assert track.agency_id == world.agency_a.id
    assert track.slug == "agency-a"
    assert track.name == {"en": "Agency A", "fr": "Agency A"}
    assert track.languages == ["en", "fr"]
    assert track.timezone == "America/Toronto"
    assert track.ready_at is None
    assert track.prizes == [] and track.terms_versions == []


def test_default_rules_admit_residents_of_the_agency_country_only(world):
    [track] = create(world).tracks

    rules = parse_rules(track.rules)
    assert rules.allowed_countries == {"CA"}
    assert evaluate(residents_of("CA", "CA-QC"), rules).status == Status.ELIGIBLE
    assert evaluate(residents_of("US"), rules).status == Status.INELIGIBLE


def test_a_city_agency_track_admits_residents_of_its_country(world):
    berlin = make_agency(
        "berlin", name="Berlin", jurisdiction="DE-BE", timezone="Europe/Berlin", languages=["en"]
    )
    admin = make_user("admin@berlin.example")
    make_membership(admin, berlin, "admin")

    challenge = create(world, user=admin, agency=berlin, slug="urban-recovery")

    [track] = challenge.tracks
    assert parse_rules(track.rules).allowed_countries == {"DE"}
    assert (challenge.timezone, track.timezone) == ("Europe/Berlin", "Europe/Berlin")


def test_the_shared_timeline_may_use_another_zone_than_the_lead_agency(world):
    challenge = create(world, timezone="America/Chicago")

    assert challenge.timezone == "America/Chicago"
    assert challenge.tracks[0].timezone == "America/Toronto"


def test_creation_is_audited(world):
    challenge = create(world)

    [event] = events("challenge.created")
    assert event.actor_id == world.admin_a.id
    assert event.role == "agency_admin"
    assert event.agency_id == world.agency_a.id
    assert (event.object_type, event.object_id) == ("challenge", str(challenge.id))
    assert event.after == {"slug": "deep-space-food", "title": TEXTS.title}
    assert event.ip == "127.0.0.1"


def test_platform_admin_may_create_for_any_agency(world):
    challenge = create(world, user=world.platform_admin, agency=world.agency_b)

    assert challenge.lead_agency_id == world.agency_b.id
    assert challenge.tracks[0].timezone == "America/Chicago"
    assert events("challenge.created")[0].role == "platform_admin"


@pytest.mark.parametrize("who", ["staff_a", "admin_b", "innovator"])
def test_only_the_agency_admins_may_create(world, who):
    with pytest.raises(NotFound):
        create(world, user=getattr(world, who))

    assert count(Challenge) == 0
    assert events("challenge.created") == []


@pytest.mark.parametrize(
    ("slug", "title", "timezone", "field"),
    [
        ("Deep Space", {"en": "Deep Space"}, None, "slug"),
        ("-deep-space", {"en": "Deep Space"}, None, "slug"),
        ("deep-space-", {"en": "Deep Space"}, None, "slug"),
        ("déjà-vu", {"en": "Deep Space"}, None, "slug"),
        ("", {"en": "Deep Space"}, None, "slug"),
        ("new", {"en": "Deep Space"}, None, "slug"),
        ("x" * 81, {"en": "Deep Space"}, None, "slug"),
        ("deep-space", {"en": "   ", "fr": ""}, None, "title_en"),
        ("deep-space", {}, None, "title_en"),
        ("deep-space", {"en": "Deep Space", "fr": "x" * 201}, None, "title_fr"),
        ("deep-space", {"en": "Deep Space"}, "Central Time", "timezone"),
        ("deep-space", {"en": "Deep Space"}, "Mars/Olympus_Mons", "timezone"),
    ],
)
def test_invalid_input_is_refused_on_its_field(world, slug, title, timezone, field):
    texts = services.Texts(title=title, summary={}, description={})

    with pytest.raises(DomainError) as refused:
        create(world, slug=slug, texts=texts, timezone=timezone)

    assert refused.value.field == field
    assert refused.value.message
    assert count(Challenge) == 0


def test_a_slug_is_used_by_one_challenge_only(world):
    create(world)
    db.session.commit()

    with pytest.raises(Conflict) as refused:
        create(world, user=world.admin_b, agency=world.agency_b, slug="Deep-Space-Food")

    assert refused.value.field == "slug"
    assert count(Challenge) == 1


def test_lead_admins_update_the_texts_partners_cannot(challenge, world):
    texts = services.Texts(
        title={"en": "Deep Space Food Challenge 2", "fr": "Défi 2"}, summary={}, description={}
    )

    with pytest.raises(NotFound):
        services.update_texts(act(world.admin_b), challenge, texts)
    assert challenge.title == TEXTS.title

    services.update_texts(act(world.admin_a), challenge, texts)
    assert challenge.title == texts.title
    assert "challenge 2" in challenge.search_text
    [event] = events("challenge.texts_updated")
    assert event.before["title"] == TEXTS.title
