"""Releasing a round's results as an action on its results page: now, or scheduled at an
instant typed in a chosen zone; refused before judging closes and in a DST gap; a preview of
what each audience will see, for the lead agency's admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from competitions.challenges.models import TimelineChange
from competitions.core.audit import AuditEvent
from competitions.core.extensions import db
from competitions.judging import advancement, assignments, reviews
from tests.judging.conftest import act, score_values, text


def _judge(world, judged):
    """Two reviews of the first CA team (one comment to it) and its selection."""
    rubric, first = judged["rubric"], judged["ca"][0]
    for judge, note in zip(judged["ca_judges"][:2], ("Strong prototype.", ""), strict=True):
        a = assignments.assign_manually(act(world.admin_a), first, judge)
        reviews.save_review(act(judge.user), a, score_values(rubric, "9", "8"), note, "", True)
    db.session.commit()
    round_ = judged["round"]
    advancement.decide(act(world.admin_a), round_, first.entry.track, "manual", {first.entry_id})
    db.session.commit()
    return round_, first


def _urls(challenge, round_):
    base = f"/challenges/{challenge.slug}/rounds/{round_.id}"
    return base + "/results", base + "/release", base + "/release/schedule"


def test_release_now_opens_every_audiences_pages_at_once(
    world, challenge, judged, client, login, clock
):
    round_, first = _judge(world, judged)
    results, release, _schedule = _urls(challenge, round_)
    feedback = f"/entries/{first.entry_id}/rounds/{round_.id}/feedback"
    lead = first.entry.team.lead.user
    login(lead)
    assert client.get(feedback).status_code == 404  # not out yet
    client.post("/logout")
    login(world.admin_a)
    page = text(client.get(results))
    assert "Release results now" in page and "Results will be released on" in page
    closes = round_.judging_closes
    clock.set_now(closes + timedelta(hours=1))
    response = client.post(release)
    assert response.status_code == 303
    db.session.expire_all()
    assert round_.results_at == closes + timedelta(hours=1)
    page = text(client.get(results))
    assert "The results are released" in page and "Released on" in page
    assert "Release results now" not in page
    change = db.session.scalars(select(TimelineChange)).all()[-1]
    assert change.field == "results_at" and change.new_at == round_.results_at
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "timeline.round_changed" in actions
    client.post("/logout")
    login(lead)
    page = text(client.get(feedback))
    assert "Selected: your entry advances." in page and "Strong prototype." in page
    assert "Not public yet" not in page


def test_release_is_refused_before_judging_closes_with_the_message_on_the_field(
    world, challenge, judged, client, login
):
    round_, _first = _judge(world, judged)
    _results, release, _schedule = _urls(challenge, round_)
    before = round_.results_at
    login(world.admin_a)
    response = client.post(release)
    assert response.status_code == 400
    assert "Results must be released at or after judging closes." in text(response, 400)
    db.session.expire_all()
    assert round_.results_at == before


def test_the_release_is_scheduled_in_a_chosen_zone(world, challenge, judged, client, login):
    round_, _first = _judge(world, judged)
    results, _release, schedule = _urls(challenge, round_)
    login(world.admin_a)
    page = text(client.get(results))
    assert "America/Chicago" in page  # the zone select defaults to the challenge's zone
    response = client.post(
        schedule, data={"results_at": "2027-09-01T09:30", "timezone": "Europe/Paris"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert round_.results_at == datetime(2027, 9, 1, 7, 30, tzinfo=UTC)  # 09:30 in Paris
    change = db.session.scalars(select(TimelineChange)).all()[-1]
    assert change.field == "results_at" and "02:30 CDT" in change.reason  # the entrants' notice
    page = text(client.get(results))
    assert "The release is scheduled" in page
    assert "Results will be released on" in page and "legal time" in page


def test_a_time_skipped_by_daylight_saving_or_a_bad_zone_is_refused(
    world, challenge, judged, client, login
):
    round_, _first = _judge(world, judged)
    _results, _release, schedule = _urls(challenge, round_)
    before = round_.results_at
    login(world.admin_a)
    response = client.post(
        schedule, data={"results_at": "2028-03-12T02:30", "timezone": "America/Chicago"}
    )
    assert response.status_code == 400
    assert "does not exist in America/Chicago" in text(response, 400)
    response = client.post(schedule, data={"results_at": "2027-09-01T09:30", "timezone": "Mars"})
    assert response.status_code == 400
    assert "Select a time zone from the list." in text(response, 400)
    response = client.post(schedule, data={"results_at": "soon", "timezone": "UTC"})
    assert response.status_code == 400
    assert "Enter a date and time like" in text(response, 400)
    db.session.expire_all()
    assert round_.results_at == before


def test_partners_and_teams_can_neither_release_nor_preview(
    world, challenge, judged, client, login
):
    round_, first = _judge(world, judged)
    results, release, schedule = _urls(challenge, round_)
    preview = release + "/preview"
    before = round_.results_at
    for user in (world.admin_b, first.entry.team.lead.user):
        login(user)
        assert client.post(release).status_code == 404
        data = {"results_at": "2027-09-01T09:30", "timezone": "UTC"}
        assert client.post(schedule, data=data).status_code == 404
        assert client.get(preview).status_code == 404
        client.post("/logout")
    login(world.admin_b)
    page = text(client.get(results))  # a partner reads the results, without the release panel
    assert "Results of" in page and "Release results now" not in page
    db.session.expire_all()
    assert round_.results_at == before


def test_the_preview_shows_a_sample_teams_page_and_says_it_is_a_preview(
    world, challenge, judged, client, login
):
    round_, first = _judge(world, judged)
    _results, release, _schedule = _urls(challenge, round_)
    login(world.admin_a)
    page = text(client.get(release + "/preview"))
    assert "This is a preview." in page
    assert f"sample team: {first.entry.team.name}" in page
    assert "Selected: your entry advances." in page and "Strong prototype." in page
    assert "Partner agencies" in page and "Judges" in page
    world.admin_a.preferred_language = "fr"
    db.session.commit()
    page = text(client.get(release + "/preview"))
    assert "Ceci est un aperçu." in page
