"""Draft → each agency marks its track ready → the lead agency publishes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from competitions.challenges import services
from competitions.challenges.models import Challenge, ChallengeStatus
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.services import tracks as track_services
from competitions.core.errors import Conflict, DomainError, NotFound
from competitions.core.extensions import db
from tests.challenges.helpers import act, events, make_ready, round_data, settings

NO_CONTACT = "Give a contact email address for entrants."
NO_TERMS = "Publish the terms and conditions."


def test_marking_ready_lists_every_problem(track_a, world):
    actor = act(world.admin_a)
    track_services.update_track(actor, track_a, settings(track_a, contact_email=None))

    assert track_services.readiness_problems(track_a) == [NO_CONTACT, NO_TERMS]
    with pytest.raises(DomainError) as refused:
        track_services.mark_ready(actor, track_a, True)
    assert NO_CONTACT in refused.value.message
    assert NO_TERMS in refused.value.message
    assert track_a.ready_at is None

    track_services.update_track(
        actor, track_a, settings(track_a, contact_email="csa@agency-a.example")
    )
    with pytest.raises(DomainError) as refused:
        track_services.mark_ready(actor, track_a, True)
    assert NO_CONTACT not in refused.value.message
    assert NO_TERMS in refused.value.message
    assert events("track.ready") == []


def test_a_complete_track_is_marked_ready_then_unmarked(track_a, world, clock):
    make_ready(world.admin_a, track_a)

    assert track_a.ready_at == clock.now()
    [ready] = events("track.ready")
    assert (ready.actor_id, ready.agency_id) == (world.admin_a.id, world.agency_a.id)

    track_services.mark_ready(act(world.admin_a), track_a, False)
    assert track_a.ready_at is None
    assert len(events("track.not_ready")) == 1


def test_broken_rules_stop_a_track_from_being_ready(track_a, world):
    make_ready(world.admin_a, track_a)
    track_services.mark_ready(act(world.admin_a), track_a, False)
    track_a.rules = {"allowed_countries": ["XX"]}  # e.g. written by an older version

    with pytest.raises(DomainError, match="Fix the eligibility rules"):
        track_services.mark_ready(act(world.admin_a), track_a, True)


def test_a_track_is_not_ready_without_terms_in_a_language_added_later(track_b, world):
    actor = act(world.admin_b)
    track_services.publish_terms(actor, track_b, {"en": "NASA terms"})
    track_services.update_track(
        actor,
        track_b,
        settings(
            track_b,
            languages=["en", "fr"],
            name={"en": "NASA track", "fr": "Volet NASA"},
            contact_email="food@agency-b.example",
        ),
    )

    with pytest.raises(DomainError):
        track_services.mark_ready(actor, track_b, True)
    assert track_b.ready_at is None


def test_publication_waits_for_every_track_and_a_round(challenge, track_a, track_b, world, clock):
    lead = act(world.admin_a)

    with pytest.raises(DomainError) as refused:
        services.publish(lead, challenge)
    assert "Tracks not marked ready yet: Agency A, Agency B." in refused.value.message
    assert "Add at least one round to the timeline." in refused.value.message

    make_ready(world.admin_a, track_a)
    with pytest.raises(DomainError) as refused:
        services.publish(lead, challenge)
    assert "Tracks not marked ready yet: Agency B." in refused.value.message

    make_ready(world.admin_b, track_b)
    with pytest.raises(DomainError) as refused:
        services.publish(lead, challenge)
    assert "Tracks not marked ready" not in refused.value.message
    assert "Add at least one round to the timeline." in refused.value.message
    assert challenge.status == ChallengeStatus.DRAFT

    timeline_services.save_round(lead, challenge, None, round_data())
    assert services.publication_problems(challenge) == []
    services.publish(lead, challenge)
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Challenge, challenge.id)
    assert stored.status == ChallengeStatus.PUBLISHED
    assert stored.is_published
    assert stored.published_at == clock.now()
    [published] = events("challenge.published")
    assert (published.actor_id, published.agency_id) == (world.admin_a.id, world.agency_a.id)


def test_the_title_is_needed_in_every_track_language(draft, world):
    [track] = draft.tracks
    services.update_texts(
        act(world.admin_a),
        draft,
        services.Texts(title={"en": "Deep Space Food Challenge"}, summary={}, description={}),
    )
    make_ready(world.admin_a, track)
    timeline_services.save_round(act(world.admin_a), draft, None, round_data())

    with pytest.raises(DomainError, match=r"title in every track language \(fr\)"):
        services.publish(act(world.admin_a), draft)


@pytest.mark.parametrize("who", ["admin_b", "staff_a", "innovator"])
def test_only_lead_admins_publish(challenge, track_a, track_b, world, who):
    make_ready(world.admin_a, track_a)
    make_ready(world.admin_b, track_b)
    timeline_services.save_round(act(world.admin_a), challenge, None, round_data())

    with pytest.raises(NotFound):
        services.publish(act(getattr(world, who)), challenge)

    assert not challenge.is_published


def test_after_publication_tracks_stay_ready(challenge, track_a, track_b, world):
    make_ready(world.admin_a, track_a)
    make_ready(world.admin_b, track_b)
    timeline_services.save_round(act(world.admin_a), challenge, None, round_data())
    services.publish(act(world.admin_a), challenge)
    ready_at = track_b.ready_at

    with pytest.raises(Conflict):
        track_services.mark_ready(act(world.admin_b), track_b, False)

    assert track_b.ready_at == ready_at
    assert events("track.not_ready") == []


def test_publishing_again_changes_nothing(challenge, track_a, track_b, world, clock):
    make_ready(world.admin_a, track_a)
    make_ready(world.admin_b, track_b)
    timeline_services.save_round(act(world.admin_a), challenge, None, round_data())
    services.publish(act(world.admin_a), challenge)
    published_at = challenge.published_at

    clock.advance(timedelta(days=1))
    services.publish(act(world.admin_a), challenge)

    assert challenge.published_at == published_at
    assert len(events("challenge.published")) == 1


def test_marking_a_track_ready_leads_on_to_the_set_up_checklist(client, login, track_a, world):
    """Once its track is ready, the agency's next step is on the checklist of the console."""
    slug = track_a.challenge.slug
    url = f"/challenges/{slug}/tracks/{track_a.slug}/manage/ready"
    login(world.admin_a)
    refused = client.post(url, data={"ready": "1"})  # no terms yet: stay on the track
    assert refused.location.endswith(f"/challenges/{slug}/tracks/{track_a.slug}/manage")
    terms = {code: f"Terms ({code})" for code in track_a.languages}
    track_services.publish_terms(act(world.admin_a), track_a, terms)
    db.session.commit()

    ready = client.post(url, data={"ready": "1"})
    assert ready.location.endswith(f"/challenges/{slug}/manage#setup")
    assert track_a.ready_at is not None
    back = client.post(url, data={"ready": "0"})
    assert back.location.endswith(f"/challenges/{slug}/tracks/{track_a.slug}/manage")
