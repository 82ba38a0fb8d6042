"""Launching the next edition: a new draft copying the tracks and the shifted timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from competitions.challenges import services
from competitions.challenges.models import Challenge, ChallengeStatus, Round
from competitions.challenges.services import editions as edition_services
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.services import tracks as track_services
from competitions.challenges.timeline import to_utc
from competitions.core.errors import Conflict, DomainError, NotFound
from competitions.core.extensions import db
from tests.challenges.helpers import (
    PHASE_1,
    PHASE_2,
    act,
    count,
    events,
    make_ready,
    round_data,
    utc,
)

OFFSET = timedelta(days=364)  # same weekday, a year later


@pytest.fixture
def source(challenge, track_a, track_b, world):
    """The first edition, fully configured by both agencies and published."""
    lead, partner = act(world.admin_a), act(world.admin_b)
    track_services.update_rules(
        lead, track_a, {"allowed_countries": ["CA"], "minimum_age": 18, "team_max": 10}
    )
    track_services.save_prize(
        lead,
        track_a,
        None,
        track_services.PrizeData({"en": "Phase 1 prize"}, "30000", "CAD", 20, {"en": "Per team."}),
    )
    track_services.publish_terms(lead, track_a, {"en": "CSA terms v1", "fr": "Modalités v1"})
    track_services.update_rules(
        partner, track_b, {"allowed_countries": ["US"], "recognition_for_others": True}
    )
    track_services.save_prize(
        partner,
        track_b,
        None,
        track_services.PrizeData({"en": "Phase 1 award"}, "25000", "USD", 18, {}),
    )
    make_ready(world.admin_a, track_a)  # publishes a second version of the CSA terms
    make_ready(world.admin_b, track_b)
    timeline_services.save_round(lead, challenge, None, round_data("Phase 1", PHASE_1))
    timeline_services.save_round(lead, challenge, None, round_data("Phase 2", PHASE_2))
    timeline_services.save_milestone(
        lead,
        challenge,
        None,
        None,
        timeline_services.MilestoneData(
            {"en": "Launch webinar"}, utc(2021, 2, 10, 16), utc(2021, 2, 10, 17), None
        ),
    )
    timeline_services.save_milestone(
        partner,
        challenge,
        None,
        track_b,
        timeline_services.MilestoneData(
            {"en": "NASA info session"}, utc(2021, 3, 3, 18), None, "https://b.example/info"
        ),
    )
    services.publish(lead, challenge)
    db.session.commit()
    return challenge


def launch(world, source, slug="deep-space-food-2", days=OFFSET.days, user=None):
    return edition_services.launch_next_edition(act(user or world.admin_a), source, slug, days)


def test_the_next_edition_is_a_draft_linked_to_the_previous_one(source, world):
    copy = launch(world, source)
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Challenge, copy.id)
    assert stored.status == ChallengeStatus.DRAFT
    assert stored.published_at is None
    assert (stored.edition, stored.previous_edition_id) == (2, source.id)
    assert stored.lead_agency_id == world.agency_a.id
    assert stored.created_by_id == world.admin_a.id
    assert stored.title == source.title
    assert stored.timezone == source.timezone
    [event] = events("challenge.next_edition")
    assert event.after == {"from": "deep-space-food", "offset_days": 364}


def test_tracks_rules_and_prizes_are_copied_but_not_ready(source, world):
    copy = launch(world, source)
    db.session.commit()

    assert [t.agency_id for t in copy.tracks] == [world.agency_a.id, world.agency_b.id]
    for old, new in zip(source.tracks, copy.tracks, strict=True):
        assert new.id != old.id
        assert (new.slug, new.name, new.languages) == (old.slug, old.name, old.languages)
        assert (new.timezone, new.contact_email) == (old.timezone, old.contact_email)
        assert new.rules == old.rules
        assert new.ready_at is None and old.ready_at is not None
        assert [(p.label, p.amount, p.currency, p.count, p.condition) for p in new.prizes] == [
            (p.label, p.amount, p.currency, p.count, p.condition) for p in old.prizes
        ]
        assert {p.track_id for p in new.prizes} <= {new.id}
    assert copy.tracks[0].prizes[0].amount == Decimal("30000")
    assert copy.tracks[1].rules["recognition_for_others"] is True


def test_only_the_current_terms_are_copied_as_version_1(source, world):
    old = source.tracks[0]
    assert [t.version for t in old.terms_versions] == [1, 2]

    copy = launch(world, source)
    db.session.commit()

    [terms] = copy.tracks[0].terms_versions
    assert terms.version == 1
    assert (
        terms.body == services.current_terms(old).body == {"en": "Terms (en)", "fr": "Terms (fr)"}
    )
    assert [t.version for t in old.terms_versions] == [1, 2]


def test_rounds_and_milestones_are_shifted_by_the_offset(source, world):
    copy = launch(world, source)
    db.session.commit()
    db.session.expire_all()

    old_rounds, new_rounds = source.rounds, copy.rounds
    assert [r.name for r in new_rounds] == [r.name for r in old_rounds]
    for old, new in zip(old_rounds, new_rounds, strict=True):
        for field, instant in old.instants().items():
            assert getattr(new, field) == (None if instant is None else instant + OFFSET), field
        assert new.sequence == 0
    assert new_rounds[0].submission_deadline == utc(2022, 7, 29, 22)  # 17:00 CDT again

    shared, local = sorted(copy.milestones, key=lambda m: m.track_id or 0)
    assert (shared.track_id, shared.starts_at, shared.ends_at) == (
        None,
        utc(2021, 2, 10, 16) + OFFSET,
        utc(2021, 2, 10, 17) + OFFSET,
    )
    assert local.track_id == copy.tracks[1].id  # the new edition's NASA track
    assert (local.starts_at, local.ends_at, local.url) == (
        utc(2021, 3, 3, 18) + OFFSET,
        None,
        "https://b.example/info",
    )


def test_the_previous_edition_is_left_as_it_was(source, world):
    rounds_before = [r.instants() for r in source.rounds]

    launch(world, source)
    db.session.commit()
    db.session.expire_all()

    assert source.is_published
    assert [r.instants() for r in source.rounds] == rounds_before
    assert len(source.tracks) == 2 and all(t.is_ready for t in source.tracks)
    assert count(Round) == 4


def test_the_next_edition_can_be_published_once_its_tracks_are_ready(source, world):
    copy = launch(world, source)
    for track, admin in zip(copy.tracks, (world.admin_a, world.admin_b), strict=True):
        track_services.mark_ready(act(admin), track, True)

    services.publish(act(world.admin_a), copy)

    assert copy.is_published


@pytest.mark.parametrize("slug", ["deep-space-food", "deep-space-food-2"])
def test_a_slug_in_use_is_refused(source, world, slug):
    launch(world, source)

    with pytest.raises(Conflict) as refused:
        launch(world, source, slug=slug.upper())

    assert refused.value.field == "slug"
    assert count(Challenge) == 2


@pytest.mark.parametrize(
    ("slug", "days", "field"), [("Next Edition", 364, "slug"), ("next", 4000, "offset_days")]
)
def test_invalid_input_is_refused(source, world, slug, days, field):
    with pytest.raises(DomainError) as refused:
        launch(world, source, slug=slug, days=days)

    assert refused.value.field == field
    assert count(Challenge) == 1


@pytest.mark.parametrize("who", ["admin_b", "staff_a"])
def test_only_lead_admins_launch_the_next_edition(source, world, who):
    with pytest.raises(NotFound):
        launch(world, source, user=getattr(world, who))

    assert count(Challenge) == 1


def test_a_shifted_deadline_keeps_its_local_time_across_a_dst_change(source, world):
    copy = launch(world, source, days=119)  # 30 July → 26 November, after clocks fall back

    expected = to_utc(datetime(2021, 11, 26, 17, 0), "America/Chicago")
    assert copy.rounds[0].submission_deadline == expected
