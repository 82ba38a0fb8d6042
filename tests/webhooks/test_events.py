"""Events are written by the domains' services, in the transaction of the change, for the
agencies entitled to see the object, and only for their enabled endpoints subscribed to the
type — once per agency and cause."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from competitions.challenges.services import timeline
from competitions.core.extensions import db
from competitions.judging.release_events import results_due
from competitions.outreach import announcements
from competitions.submissions import services as submission_services
from competitions.webhooks import events
from competitions.webhooks.models import WebhookDelivery, WebhookEvent
from tests.challenges.helpers import act
from tests.entries.conftest import new_team, person, register
from tests.submissions.conftest import GOOD, PDF


def _events(kind: str | None = None) -> list[WebhookEvent]:
    stmt = select(WebhookEvent).order_by(WebhookEvent.id)
    if kind:
        stmt = stmt.where(WebhookEvent.type == kind)
    return list(db.session.scalars(stmt))


def _data(event: WebhookEvent) -> dict[str, Any]:
    body = json.loads(event.body)
    assert set(body) == {"type", "timestamp", "data"} and body["type"] == event.type
    return dict(body["data"])


def test_an_entry_registered_is_told_to_its_track_s_agency_only(
    world, challenge, ca_track, us_track, make_endpoint
):
    a = make_endpoint()
    b = make_endpoint(agency=world.agency_b, admin=world.admin_b)
    make_endpoint("https://hooks.example.org/other", types=["results.released"])
    make_endpoint("https://hooks.example.org/off", enabled=False)
    entry = register(new_team(person("CA"), "CA", 30, name="Maple"), ca_track)

    [event] = _events("entry.registered")
    assert event.agency_id == world.agency_a.id and event.message_id.startswith("msg_")
    data = _data(event)
    assert data["entry_id"] == entry.id and data["track"] == ca_track.slug
    assert data["urls"]["entries"] == (
        f"https://tandem.test/api/v1/challenges/{challenge.slug}/tracks/{ca_track.slug}/entries"
    )
    assert "Maple" not in event.body  # ids and API addresses, no names
    [row] = db.session.scalars(select(WebhookDelivery)).all()
    assert row.endpoint_id == a.endpoint.id and row.status == "queued"
    assert b.endpoint.id != row.endpoint_id


def test_a_registration_rolled_back_leaves_no_event(world, challenge, ca_track, make_endpoint):
    make_endpoint()
    register(new_team(person("CA"), "CA", 30), ca_track, commit=False)
    assert len(_events()) == 1  # written with the entry, in its transaction
    db.session.rollback()
    assert _events() == [] and db.session.scalars(select(WebhookDelivery)).all() == []


def test_emitting_the_same_cause_twice_writes_one_event(world, make_endpoint):
    make_endpoint()
    first = events.emit("entry.registered", {world.agency_a.id}, "cause", {})
    second = events.emit("entry.registered", {world.agency_a.id}, "cause", {})
    db.session.commit()
    third = events.emit("entry.registered", {world.agency_a.id}, "cause", {})
    assert len(first) == 1 and second == [] and third == []
    assert len(_events()) == 1


def test_a_submission_received_is_told_with_its_version(
    world, challenge, round_, entry, make_endpoint
):
    make_endpoint(types=["submission.received"])
    uploads = [submission_services.Upload("report", io.BytesIO(PDF), "report.pdf")]
    submission_services.save_draft(act(world.innovator), entry, round_, dict(GOOD), uploads)
    version = submission_services.submit(act(world.innovator), entry, round_)
    db.session.commit()
    [event] = _events()
    data = _data(event)
    assert event.type == "submission.received" and event.agency_id == world.agency_a.id
    assert data["submission_id"] == version.submission_id and data["version"] == 1
    assert data["entry_id"] == entry.id and data["round_id"] == round_.id
    assert data["urls"]["submissions"].endswith(f"/tracks/{entry.track.slug}/submissions")


def test_results_released_now_are_told_per_track_to_each_agency(
    world, challenge, round_, make_endpoint, clock
):
    a = make_endpoint(types=["results.released"])
    make_endpoint(types=["results.released"], agency=world.agency_b, admin=world.admin_b)
    clock.set_now(round_.judging_closes + timedelta(hours=1))
    timeline.release_results(act(world.admin_a), challenge, round_, None, "Judging done.")
    db.session.commit()
    told = {(e.agency_id, _data(e)["track"]) for e in _events("results.released")}
    tracks = {t.agency_id: t.slug for t in challenge.tracks}
    assert told == set(tracks.items())
    mine = next(e for e in _events() if e.agency_id == world.agency_a.id)
    assert _data(mine)["urls"]["results"].endswith(f"/rounds/{round_.id}/results")
    assert (
        db.session.scalar(
            select(WebhookDelivery.endpoint_id).where(WebhookDelivery.event_id == mine.id)
        )
        == a.endpoint.id
    )
    assert results_due() == 1  # the tick finds them told already
    assert len(_events()) == 2


def test_a_scheduled_release_is_told_by_the_tick_once_its_instant_passes(
    world, challenge, round_, make_endpoint, clock
):
    make_endpoint(types=["results.released"])
    results_due()
    assert _events() == []
    clock.set_now(round_.results_at + timedelta(minutes=1))
    results_due()
    results_due()
    assert [e.agency_id for e in _events()] == [world.agency_a.id]
    clock.set_now(round_.results_at + timedelta(days=2))  # older releases are not told again
    assert results_due() == 0


def test_an_announcement_is_told_to_the_agencies_that_own_it(
    world, challenge, us_track, make_endpoint
):
    make_endpoint(types=["announcement.sent"])
    make_endpoint(types=["announcement.sent"], agency=world.agency_b, admin=world.admin_b)
    draft = announcements.Draft({"en": "News"}, {"en": "Body"}, ["entries"], None)
    whole = announcements.create(act(world.admin_a), challenge, None, draft)
    announcements.send_now(act(world.admin_a), whole)
    db.session.commit()
    assert {e.agency_id for e in _events()} == {world.agency_a.id, world.agency_b.id}
    own = announcements.create(act(world.admin_b), challenge, us_track, draft)
    announcements.send_now(act(world.admin_b), own)
    db.session.commit()
    told = [e for e in _events() if _data(e)["announcement_id"] == own.id]
    assert [e.agency_id for e in told] == [world.agency_b.id]
    assert _data(told[0])["track"] == us_track.slug
