"""``pilot.updated`` webhooks: the host agency and the winner's track's agency hear of each
change both follow, once each; other agencies' endpoints and other event types hear nothing."""

from __future__ import annotations

import json

from sqlalchemy import select

from competitions.core.extensions import db
from competitions.pilots import services
from competitions.webhooks import endpoints
from competitions.webhooks.models import WebhookEvent
from tests.entries.conftest import act
from tests.pilots.conftest import accept, offer


def _endpoint(world, agency, admin, types):
    endpoints.create_endpoint(
        act(admin),
        agency,
        endpoints.EndpointData("https://hooks.example.org/pilots", "CRM", types, True),
    )
    db.session.commit()


def _told() -> list[tuple[int, str]]:
    rows = db.session.scalars(select(WebhookEvent).where(WebhookEvent.type == "pilot.updated"))
    return sorted((e.agency_id, json.loads(e.body)["data"]["change"]) for e in rows)


def test_a_pilot_s_changes_are_told_to_the_host_and_the_winner_s_agency(world, award, reserve_b):
    _endpoint(world, world.agency_a, world.admin_a, ["pilot.updated"])  # the winner's track
    _endpoint(world, world.agency_b, world.admin_b, ["pilot.updated"])  # the host
    pilot = accept(world, offer(world, award))
    services.post_update(act(world.innovator), pilot, "Sensors installed.")
    db.session.commit()
    a, b = world.agency_a.id, world.agency_b.id
    assert _told() == sorted(
        [(a, "accepted"), (b, "accepted"), (a, "update_posted"), (b, "update_posted")]
    )
    event = db.session.scalars(select(WebhookEvent)).first()
    data = json.loads(event.body)["data"]
    assert data["pilot_id"] == pilot.id and data["award_id"] == award.id
    assert "Sensors" not in event.body  # ids, never what the team wrote


def test_an_agency_not_subscribed_hears_nothing(world, award, reserve_b):
    _endpoint(world, world.agency_b, world.admin_b, ["entry.registered"])
    accept(world, offer(world, award))
    assert _told() == []
