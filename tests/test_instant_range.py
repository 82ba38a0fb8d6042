"""One supported range of instants (2000-01-01 to 2100-12-31 UTC) for every instant that
enters, through a service or a form, with a message on its field; pages, the calendar, the
timeline drawing and the periodic tasks stay up when rows already hold instants outside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from competitions.challenges.models import ROUND_INSTANTS, Milestone, Round, TimelineChange
from competitions.challenges.services import editions
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.timeline_svg import Bar, Lane, draw
from competitions.core import instants
from competitions.core.errors import DomainError
from competitions.core.extensions import db
from competitions.core.i18n import format_instant
from competitions.outreach import announcements
from competitions.submissions import deadlines
from tests.entries import conftest as entrants
from tests.entries.conftest import DEADLINE, act, build, new_team, person, register

YEAR_1 = datetime(1, 1, 1, tzinfo=UTC)
YEAR_9999 = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
EXTREMES = [YEAR_1, YEAR_9999]
RANGE = "between the years 2000 and 2100"

now = entrants.now


@pytest.fixture
def challenge(world: Any, now: Any) -> Any:
    return build(world)


def refused(call: Any, field: str) -> None:
    with pytest.raises(DomainError) as err:
        call()
    assert err.value.field == field, err.value.message
    assert RANGE in err.value.message


def test_the_range_is_defined_once_in_core():
    first, last = datetime(2000, 1, 1, tzinfo=UTC), datetime(2101, 1, 1, tzinfo=UTC)
    assert (first, last - timedelta(microseconds=1)) == (instants.EARLIEST, instants.LATEST)
    assert instants.supported(instants.EARLIEST) and instants.supported(instants.LATEST)
    assert not instants.supported(instants.EARLIEST - timedelta(microseconds=1))
    assert not instants.supported(instants.LATEST + timedelta(microseconds=1))


# --- every entry point refuses an instant outside the range, on its field -------------------


@pytest.mark.parametrize("extreme", EXTREMES)
@pytest.mark.parametrize("field", ROUND_INSTANTS)
def test_a_round_refuses_each_instant_out_of_range(world, challenge, field, extreme):
    round_ = challenge.rounds[0]
    data = timeline_services.RoundData({"en": "Phase 1"}, {**round_.instants(), field: extreme})
    save = timeline_services.save_round
    refused(lambda: save(act(world.admin_a), challenge, round_, data, "Moved"), field)


@pytest.mark.parametrize("extreme", EXTREMES)
@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
def test_a_milestone_refuses_each_instant_out_of_range(world, challenge, field, extreme):
    instants_ = {"starts_at": DEADLINE, "ends_at": None, field: extreme}
    data = timeline_services.MilestoneData({"en": "Webinar"}, **instants_, url=None)
    save = timeline_services.save_milestone
    refused(lambda: save(act(world.admin_a), challenge, None, None, data), field)


@pytest.mark.parametrize("extreme", EXTREMES)
def test_an_announcement_cannot_be_scheduled_out_of_range(world, challenge, extreme):
    draft = announcements.Draft({"en": "Hello"}, {"en": "Hi"}, ["subscribers"], None)
    ann = announcements.create(act(world.admin_a), challenge, None, draft)
    schedule = announcements.schedule
    refused(lambda: schedule(act(world.admin_a), ann, extreme), "release_at")


@pytest.mark.parametrize("extreme", EXTREMES)
def test_an_extension_cannot_end_out_of_range(world, challenge, extreme):
    entry = register(new_team(person("CA")), challenge.tracks[0])
    grant = deadlines.grant_extension
    round_ = challenge.rounds[0]
    refused(lambda: grant(act(world.admin_a), entry, round_, extreme, "Flood"), "until")


def test_the_next_edition_cannot_shift_dates_out_of_range(world, challenge):
    round_ = challenge.rounds[0]
    late = {f: v + timedelta(days=365 * 70) if v else v for f, v in round_.instants().items()}
    data = timeline_services.RoundData({"en": "Phase 1"}, late)
    timeline_services.save_round(act(world.admin_a), challenge, round_, data, "Much later")
    launch = editions.launch_next_edition
    refused(lambda: launch(act(world.admin_a), challenge, "dsfc-next", 3660), "offset_days")


def _round_form(**instants_: str) -> dict[str, str]:
    form = {
        "name_en": "Phase 2",
        "submission_opens": "2027-08-01T09:00",
        "submission_deadline": "2027-12-01T17:00",
        "judging_closes": "2028-01-01T17:00",
        "results_at": "2028-02-01T17:00",
        "reason": "A second phase",
    }
    return {**form, **instants_}


@pytest.mark.parametrize(
    ("zone", "typed"),
    [("Asia/Tokyo", "0001-01-01T00:00"), ("America/Chicago", "9999-12-31T23:59")],
)
def test_the_round_and_milestone_forms_answer_a_message_on_the_field(
    client, login, world, challenge, zone, typed
):
    """The wall-clock time cannot even be turned into UTC in that zone (year 0, year 10000):
    a message, not a server error."""
    login(world.admin_a)
    base = f"/challenges/{challenge.slug}/manage"
    page = client.post(
        f"{base}/rounds/new", data=_round_form(timezone=zone, submission_opens=typed)
    )
    assert page.status_code == 200 and RANGE in page.get_data(as_text=True)
    page = client.post(
        f"{base}/milestones/new",
        data={"name_en": "Webinar", "timezone": zone, "starts_at": typed, "reason": "New"},
    )
    assert page.status_code == 200 and RANGE in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("0001-01-01T00:00", "Asia/Kolkata"), ("9999-12-31 23:59", "America/New_York")],
)
def test_the_schedule_form_answers_a_message(client, login, world, challenge, typed, zone):
    draft = announcements.Draft({"en": "Hello"}, {"en": "Hi"}, ["subscribers"], None)
    ann = announcements.create(act(world.admin_a), challenge, None, draft)
    db.session.commit()
    login(world.admin_a)
    url = f"/challenges/{challenge.slug}/announcements/{ann.id}"
    data = {"action": "schedule", "schedule-release_at": typed, "schedule-timezone": zone}
    page = client.post(url, data=data)
    assert page.status_code == 400 and RANGE in page.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_the_extension_form_answers_a_message(client, login, world, challenge, typed):
    entry = register(new_team(person("CA")), challenge.tracks[0])
    round_ = challenge.rounds[0]
    login(world.admin_a)
    url = f"/entries/{entry.id}/rounds/{round_.id}/extension"
    response = client.post(url, data={"until": typed, "reason": "Flood"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert RANGE in page


# --- rows that already hold such instants break nothing ---------------------------------------


@pytest.fixture
def legacy(world, challenge, clock):
    """A published challenge whose round, milestone and change history were written before the
    range was enforced (directly: the services now refuse them)."""
    round_ = challenge.rounds[0]
    round_.registration_opens, round_.submission_opens = YEAR_1, YEAR_1
    round_.judging_closes, round_.results_at = YEAR_9999, YEAR_9999
    hour = timedelta(hours=1)
    ancient = {"submission_opens": YEAR_1, "submission_deadline": YEAR_1 + hour}
    ancient.update(judging_closes=YEAR_1 + 2 * hour, results_at=YEAR_1 + 3 * hour)
    db.session.add(Round(challenge_id=challenge.id, position=1, name={"en": "Old"}, **ancient))
    db.session.add_all(
        [
            Milestone(
                challenge_id=challenge.id,
                name={"en": "Far away"},
                starts_at=YEAR_1,
                ends_at=YEAR_9999,
            ),
            Milestone(challenge_id=challenge.id, name={"en": "Webinar"}, starts_at=DEADLINE),
            TimelineChange(
                challenge_id=challenge.id,
                round_id=round_.id,
                field="results_at",
                old_at=YEAR_1,
                new_at=YEAR_9999,
                reason="Typo",
                actor_id=world.admin_a.id,
                at=clock.now() - timedelta(hours=1),
            ),
        ]
    )
    entry = register(new_team(person("CA", email="far@example.org")), challenge.tracks[0])
    db.session.commit()
    db.session.expire_all()
    return challenge, entry


def test_pages_show_instants_out_of_range_in_utc(client, login, world, legacy, app):
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0
    legacy, entry = legacy
    slug = legacy.slug
    page = client.get(f"/challenges/{slug}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<svg" in text and "Webinar" in text  # drawn, with what is in the range
    assert "9999" in text  # the lists show the stored instants, in UTC
    assert client.get(f"/challenges/{slug}/tracks/{legacy.tracks[0].slug}").status_code == 200
    assert client.get("/challenges/").status_code == 200
    assert client.get("/sitemap.xml").status_code == 200
    calendar = client.get(f"/challenges/{slug}/calendar.ics")
    assert calendar.status_code == 200 and b"BEGIN:VCALENDAR" in calendar.data
    rounds = [r.id for r in legacy.rounds]
    track = legacy.tracks[0].slug
    for url in [f"/challenges/{slug}/rounds/{r}/winners" for r in rounds]:
        assert client.get(url).status_code in (200, 404), url
    assert client.get(f"/challenges/{slug}/announcements.atom").status_code == 200
    login(entry.team.lead.user)
    for url in ["/teams/", f"/entries/{entry.id}"] + [
        f"/entries/{entry.id}/rounds/{r}" for r in rounds
    ]:
        assert client.get(url).status_code == 200, url
    client.post("/logout")
    login(world.admin_a)
    milestone_id = legacy.milestones[0].id
    for url in [
        f"/challenges/{slug}/manage",
        f"/challenges/{slug}/manage/milestones/{milestone_id}",
        f"/challenges/{slug}/announcements",
        f"/challenges/{slug}/judging",
        f"/challenges/{slug}/tracks/{track}/entries",
        f"/challenges/{slug}/tracks/{track}/submissions",
        f"/agencies/{world.agency_a.slug}/challenges",
        *(f"/challenges/{slug}/manage/rounds/{r}" for r in rounds),
        *(f"/challenges/{slug}/rounds/{r}/results" for r in rounds),
    ]:
        assert client.get(url).status_code == 200, url


def test_the_drawing_leaves_instants_out_of_range_off_its_scale(clock):
    lanes = [Lane("Phase 1", [Bar(YEAR_1, YEAR_9999, "submission")], [(YEAR_9999, "Results")])]
    assert draw(lanes, clock.now(), "en", "Timeline") == ""  # nothing left to draw
    kept = Bar(DEADLINE - timedelta(days=30), DEADLINE, "submission")
    svg = draw(
        [Lane("Phase 1", [kept, Bar(YEAR_1, DEADLINE, "registration")], [])], clock.now(), "en", "T"
    )
    assert svg.count("<rect") == 1 and svg.count("<text") < 12


@pytest.mark.parametrize(
    ("value", "zone", "shown"),
    [
        (YEAR_1, "America/Chicago", "1 Jan 1 00:00 UTC"),  # year 0 in Chicago: shown in UTC
        (YEAR_1, "Asia/Tokyo", "1 Jan 1 09:18 LMT"),  # local mean time, before zones
        (datetime.max.replace(tzinfo=UTC), "Asia/Tokyo", "31 Dec 9999 23:59 UTC"),
        (datetime.max.replace(tzinfo=UTC), "America/Chicago", "31 Dec 9999 17:59 CST"),
    ],
)
def test_formatting_an_extreme_instant_never_raises(app, value, zone, shown):
    with app.test_request_context():
        assert format_instant(value, zone) == shown


def test_the_ticks_go_on_with_such_rows(legacy, clock, mail):
    from competitions.outreach import notices

    clock.advance(timedelta(minutes=10))
    notices.run_due()
    assert notices.timeline_due() >= 1  # the entrant is told, with the instants as stored
    (told,) = mail.to("far@example.org")
    assert "9999" in mail.text(told)
