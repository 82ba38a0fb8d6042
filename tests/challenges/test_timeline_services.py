"""The shared timeline: rounds and shared milestones belong to the lead agency; after
publication every move needs a reason and is recorded for outreach."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from competitions.challenges import services
from competitions.challenges.models import Milestone, Round, TimelineChange
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.timeline import to_utc
from competitions.core.errors import Conflict, DomainError, NotFound
from competitions.core.extensions import db
from tests.challenges.conftest import TEXTS
from tests.challenges.helpers import (
    PHASE_1,
    PHASE_2,
    act,
    count,
    events,
    publish,
    round_data,
    utc,
)

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
DEADLINE = PHASE_1["submission_deadline"]


def save(world, challenge, existing=None, data=None, reason=None, user=None):
    return timeline_services.save_round(
        act(user or world.admin_a), challenge, existing, data or round_data(), reason
    )


START = utc(2021, 3, 2, 16)


def milestone(name="Info session", starts_at=START, ends_at=None, url=None):
    return timeline_services.MilestoneData(
        name={"en": name}, starts_at=starts_at, ends_at=ends_at or starts_at + HOUR, url=url
    )


# --- rounds -------------------------------------------------------------------------------


def test_lead_admin_saves_a_round_entered_in_local_time(challenge, world):
    deadline = to_utc(datetime(2021, 7, 30, 17, 0), "America/Chicago")

    saved = save(world, challenge, data=round_data(submission_deadline=deadline))
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Round, saved.id)
    assert stored.submission_deadline == utc(2021, 7, 30, 22)
    assert stored.instants() == PHASE_1
    assert (stored.position, stored.sequence) == (0, 0)
    assert stored.name == {"en": "Phase 1", "fr": "Phase 1"}
    assert [e.object_id for e in events("timeline.round_saved")] == [str(saved.id)]
    assert count(TimelineChange) == 0  # a draft's timeline changes freely


def test_an_aware_instant_in_any_zone_is_stored_as_the_same_utc_instant(challenge, world):
    paris = datetime(2021, 7, 31, 0, 0, tzinfo=ZoneInfo("Europe/Paris"))
    saved = save(world, challenge, data=round_data(submission_deadline=paris))
    db.session.commit()
    db.session.expire_all()

    assert db.session.get(Round, saved.id).submission_deadline == utc(2021, 7, 30, 22)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"submission_deadline": PHASE_1["submission_opens"] - DAY}, "submission_deadline"),
        ({"submission_deadline": PHASE_1["submission_opens"]}, "submission_deadline"),
        ({"judging_closes": DEADLINE - HOUR}, "judging_closes"),
        ({"results_at": PHASE_1["judging_closes"] - HOUR}, "results_at"),
        ({"submission_opens": None}, "submission_opens"),
        ({"submission_deadline": None}, "submission_deadline"),
        ({"judging_closes": None}, "judging_closes"),
        ({"results_at": None}, "results_at"),
        ({"registration_closes": DEADLINE + HOUR}, "registration_closes"),
        ({"registration_closes": PHASE_1["registration_opens"]}, "registration_closes"),
        ({"registration_opens": PHASE_1["submission_opens"] + HOUR}, "registration_opens"),
    ],
)
def test_an_inconsistent_round_is_refused_on_its_field(challenge, world, changes, field):
    with pytest.raises(DomainError) as refused:
        save(world, challenge, data=round_data(**changes))

    assert refused.value.field == field
    db.session.rollback()
    assert count(Round) == 0


def test_a_round_needs_a_name(challenge, world):
    with pytest.raises(DomainError) as refused:
        save(world, challenge, data=timeline_services.RoundData(name={"en": " "}, instants=PHASE_1))

    assert refused.value.field == "name_en"


def test_instants_may_coincide_where_the_rules_allow(challenge, world):
    saved = save(
        world,
        challenge,
        data=round_data(
            registration_opens=None,
            registration_closes=DEADLINE,
            judging_closes=DEADLINE,
            results_at=DEADLINE,
        ),
    )

    assert saved.results_at == saved.judging_closes == saved.submission_deadline


def test_rounds_follow_each_other(challenge, world):
    phase_1 = save(world, challenge)
    phase_2 = save(world, challenge, data=round_data("Phase 2", PHASE_2))
    db.session.commit()
    assert [r.position for r in challenge.rounds] == [0, 1]

    early = {**PHASE_2, "submission_opens": utc(2021, 3, 1), "submission_deadline": DEADLINE}
    with pytest.raises(DomainError) as refused:
        save(world, challenge, phase_2, round_data("Phase 2", early))

    assert refused.value.field == "submission_deadline"
    assert "Phase 1" in refused.value.message
    db.session.rollback()
    assert phase_2.submission_deadline == PHASE_2["submission_deadline"]
    assert phase_1.sequence == 0


@pytest.mark.parametrize("who", ["admin_b", "staff_a", "innovator"])
def test_only_lead_admins_shape_the_shared_rounds(challenge, world, who):
    phase_1 = save(world, challenge)
    db.session.commit()
    moved = round_data(submission_deadline=DEADLINE + DAY)

    with pytest.raises(NotFound):
        save(world, challenge, phase_1, moved, user=getattr(world, who))
    with pytest.raises(NotFound):
        save(world, challenge, None, round_data("Phase 2", PHASE_2), user=getattr(world, who))
    with pytest.raises(NotFound):
        timeline_services.delete_round(act(getattr(world, who)), challenge, phase_1)

    db.session.rollback()
    assert [r.submission_deadline for r in challenge.rounds] == [DEADLINE]


def test_a_round_of_another_challenge_is_not_found(challenge, world):
    other = services.create_challenge(act(world.admin_a), world.agency_a, "other-challenge", TEXTS)
    foreign = save(world, other)

    with pytest.raises(NotFound):
        save(world, challenge, foreign, round_data(submission_deadline=DEADLINE + DAY))
    with pytest.raises(NotFound):
        services.get_round(challenge, foreign.id)


def test_a_draft_round_is_deleted_and_the_others_renumbered(challenge, world):
    phase_1 = save(world, challenge)
    save(world, challenge, data=round_data("Phase 2", PHASE_2))

    timeline_services.delete_round(act(world.admin_a), challenge, phase_1)
    db.session.commit()

    assert [(r.position, r.name["en"]) for r in challenge.rounds] == [(0, "Phase 2")]
    assert count(Round) == 1
    assert len(events("timeline.round_deleted")) == 1


# --- after publication --------------------------------------------------------------------


@pytest.fixture
def published(challenge, world):
    publish(world, challenge)
    return challenge


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_moving_a_published_date_needs_a_reason(published, world, reason):
    [phase_1] = published.rounds

    with pytest.raises(DomainError) as refused:
        save(world, published, phase_1, round_data(submission_deadline=DEADLINE + DAY), reason)

    assert refused.value.field == "reason"
    db.session.rollback()
    assert phase_1.submission_deadline == DEADLINE
    assert count(TimelineChange) == 0


def test_a_moved_published_date_is_recorded_for_outreach(published, world, clock):
    [phase_1] = published.rounds
    clock.advance(30 * DAY)
    new_deadline = DEADLINE + 7 * DAY
    new_judging = PHASE_1["judging_closes"] + 7 * DAY
    reason = "Extended at the request of entrants."

    save(
        world,
        published,
        phase_1,
        round_data(
            registration_closes=new_deadline,
            submission_deadline=new_deadline,
            judging_closes=new_judging,
        ),
        reason,
    )
    db.session.commit()

    changes = sorted(timeline_services.timeline_changes(published), key=lambda c: c.field)
    assert [(c.field, c.old_at, c.new_at) for c in changes] == [
        ("judging_closes", PHASE_1["judging_closes"], new_judging),
        ("registration_closes", DEADLINE, new_deadline),
        ("submission_deadline", DEADLINE, new_deadline),
    ]
    for change in changes:
        assert (change.round_id, change.reason) == (phase_1.id, reason)
        assert (change.actor_id, change.at) == (world.admin_a.id, clock.now())
    assert phase_1.sequence == 1
    [event] = events("timeline.round_changed")
    assert event.before["submission_deadline"] == DEADLINE.isoformat()
    assert event.after["submission_deadline"] == new_deadline.isoformat()
    assert event.after["reason"] == reason


def test_each_move_increments_the_sequence(published, world):
    [phase_1] = published.rounds

    for days in (1, 2, 3):
        moved = round_data(registration_closes=None, submission_deadline=DEADLINE + days * DAY)
        save(world, published, phase_1, moved, "Another extension.")

    assert phase_1.sequence == 3
    assert count(TimelineChange, TimelineChange.field == "submission_deadline") == 3


def test_renaming_a_published_round_moves_no_date(published, world):
    [phase_1] = published.rounds

    save(world, published, phase_1, round_data("Phase 1: design"))

    assert phase_1.name["en"] == "Phase 1: design"
    assert phase_1.sequence == 0
    assert count(TimelineChange) == 0


def test_adding_a_round_after_publication_needs_a_reason(published, world):
    with pytest.raises(DomainError) as refused:
        save(world, published, None, round_data("Phase 2", PHASE_2))
    assert refused.value.field == "reason"
    db.session.rollback()

    phase_2 = save(world, published, None, round_data("Phase 2", PHASE_2), "Phase 2 announced.")

    [change] = timeline_services.timeline_changes(published)
    assert (change.round_id, change.field) == (phase_2.id, "submission_deadline")
    assert (change.old_at, change.new_at) == (None, PHASE_2["submission_deadline"])


def test_a_published_round_cannot_be_deleted(published, world):
    [phase_1] = published.rounds

    with pytest.raises(Conflict):
        timeline_services.delete_round(act(world.admin_a), published, phase_1)

    assert count(Round) == 1
    assert events("timeline.round_deleted") == []


# --- milestones ---------------------------------------------------------------------------


def test_lead_admin_adds_a_shared_milestone(challenge, world):
    saved = timeline_services.save_milestone(
        act(world.admin_a),
        challenge,
        None,
        None,
        milestone(url="https://agency-a.example/webinar"),
    )
    db.session.commit()

    assert saved.is_shared
    assert saved.url == "https://agency-a.example/webinar"
    assert challenge.milestones == [saved]
    [event] = events("timeline.milestone_saved")
    assert (event.agency_id, event.after["track"]) == (world.agency_a.id, None)


def test_partner_adds_a_milestone_local_to_its_own_track(challenge, track_b, world):
    local = timeline_services.save_milestone(
        act(world.admin_b), challenge, None, track_b, milestone("NASA open house")
    )
    db.session.commit()

    assert (local.track_id, local.is_shared) == (track_b.id, False)
    [event] = events("timeline.milestone_saved")
    assert (event.agency_id, event.after["track"]) == (world.agency_b.id, "agency-b")

    moved = timeline_services.save_milestone(
        act(world.admin_b), challenge, local, None, milestone(starts_at=utc(2021, 3, 9, 16))
    )
    assert (moved.track_id, moved.starts_at, moved.sequence) == (track_b.id, utc(2021, 3, 9, 16), 1)


def test_partner_cannot_create_or_move_a_shared_or_another_track_milestone(
    challenge, track_a, track_b, world
):
    lead = act(world.admin_a)
    shared = timeline_services.save_milestone(
        lead, challenge, None, None, milestone("Launch webinar")
    )
    local_a = timeline_services.save_milestone(
        lead, challenge, None, track_a, milestone("CSA info")
    )
    db.session.commit()
    partner = act(world.admin_b)
    later = milestone(starts_at=utc(2021, 4, 1, 16))

    with pytest.raises(NotFound):
        timeline_services.save_milestone(partner, challenge, None, None, milestone())
    with pytest.raises(NotFound):
        timeline_services.save_milestone(partner, challenge, shared, None, later)
    with pytest.raises(NotFound):  # naming its own track does not make a shared one local
        timeline_services.save_milestone(partner, challenge, shared, track_b, later)
    with pytest.raises(NotFound):
        timeline_services.save_milestone(partner, challenge, None, track_a, milestone())
    with pytest.raises(NotFound):
        timeline_services.save_milestone(partner, challenge, local_a, None, later)
    with pytest.raises(NotFound):
        timeline_services.delete_milestone(partner, challenge, shared)

    db.session.rollback()
    assert count(Milestone) == 2
    assert {m.starts_at for m in challenge.milestones} == {utc(2021, 3, 2, 16)}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": utc(2021, 3, 2, 15)}, "ends_at"),
        ({"ends_at": utc(2021, 3, 2, 16)}, "ends_at"),
        ({"starts_at": None}, "starts_at"),
        ({"name": {"fr": " "}}, "name_en"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "agency-a.example/webinar"}, "url"),
    ],
)
def test_an_invalid_milestone_is_refused_on_its_field(challenge, world, changes, field):
    data = milestone()
    data = timeline_services.MilestoneData(**{**data.__dict__, **changes})

    with pytest.raises(DomainError) as refused:
        timeline_services.save_milestone(act(world.admin_a), challenge, None, None, data)

    assert refused.value.field == field
    db.session.rollback()
    assert count(Milestone) == 0


def test_moving_a_shared_published_milestone_needs_a_reason_and_is_recorded(published, world):
    lead = act(world.admin_a)
    webinar = timeline_services.save_milestone(lead, published, None, None, milestone("Webinar"))
    db.session.commit()
    later = milestone("Webinar", starts_at=utc(2021, 3, 4, 16))

    with pytest.raises(DomainError) as refused:
        timeline_services.save_milestone(lead, published, webinar, None, later)
    assert refused.value.field == "reason"
    db.session.rollback()

    timeline_services.save_milestone(
        lead, published, webinar, None, later, reason="Speaker unavailable."
    )

    [change] = timeline_services.timeline_changes(published)
    assert (change.milestone_id, change.field) == (webinar.id, "starts_at")
    assert (change.old_at, change.new_at) == (utc(2021, 3, 2, 16), utc(2021, 3, 4, 16))
    assert change.reason == "Speaker unavailable."
    assert webinar.sequence == 1


def test_a_milestone_of_another_challenge_is_not_found(challenge, world):
    webinar = timeline_services.save_milestone(
        act(world.admin_a), challenge, None, None, milestone("Webinar")
    )
    own = services.create_challenge(
        act(world.admin_b),
        world.agency_b,
        "city-recovery",
        services.Texts(title={"en": "City recovery"}, summary={}, description={}),
    )

    with pytest.raises(NotFound):
        timeline_services.save_milestone(
            act(world.admin_b), own, webinar, None, milestone(starts_at=utc(2021, 5, 1))
        )
    assert webinar.starts_at == utc(2021, 3, 2, 16)
