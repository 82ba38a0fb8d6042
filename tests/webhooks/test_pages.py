"""The webhook pages: an agency admin adds an endpoint (its secret shown once, never stored
in a page again), edits it, rotates its secret, sends a test and replays a delivery; every
change audited; staff and other agencies get 404; the pages speak French."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from competitions.core.extensions import db
from competitions.webhooks import endpoints
from competitions.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.challenges.helpers import act, events
from tests.webhooks.conftest import endpoint_of

SECRET = re.compile(r'value="(whsec_[A-Za-z0-9+/=]{40,})"')
FORM = {
    "url": "https://hooks.example.org/tandem",
    "description": "Grants system",
    "event_types": ["entry.registered", "results.released"],
    "enabled": "y",
}


def _add(client: FlaskClient, slug: str, **changes: Any) -> Any:
    return client.post(f"/agencies/{slug}/webhooks", data={**FORM, **changes})


def _endpoint() -> WebhookEndpoint:
    found = db.session.scalar(select(WebhookEndpoint).order_by(WebhookEndpoint.id.desc()))
    assert found is not None
    return found


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(
    client: FlaskClient, world: Any, login: Any
) -> None:
    login(world.admin_a)
    page = client.get(f"/agencies/{world.agency_a.slug}/console").get_data(as_text=True)
    assert f"/agencies/{world.agency_a.slug}/webhooks" in page
    r = _add(client, world.agency_a.slug)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    found = SECRET.search(r.get_data(as_text=True))
    assert found, "the new secret is shown"
    endpoint = _endpoint()
    assert endpoint.secret == found.group(1) and endpoint.agency_id == world.agency_a.id
    assert endpoint.event_types == ["entry.registered", "results.released"]
    for url in (
        f"/agencies/{world.agency_a.slug}/webhooks",
        f"/agencies/{world.agency_a.slug}/webhooks/{endpoint.id}",
    ):
        again = client.get(url).get_data(as_text=True)
        assert endpoint.secret not in again and "hooks.example.org/tandem" in again
    [created] = events("webhook_endpoint.created")
    assert created.agency_id == world.agency_a.id and endpoint.secret not in str(created.after)


def test_what_is_refused_is_explained_on_the_field(
    app: Flask, client: FlaskClient, world: Any, login: Any
) -> None:
    login(world.admin_a)
    slug = world.agency_a.slug
    cases = [
        ({"url": ""}, "Enter the address that receives the events."),
        ({"url": "ftp://x.example"}, "Use an address that starts with https://"),
        ({"url": "https://u:p@x.example/"}, "Leave user names and passwords out"),
        ({"url": "https://10.0.0.7/hooks"}, "inside a private network"),
        ({"url": "https:// x"}, "Enter a full address"),
        ({"event_types": []}, "Choose at least one event to receive."),
        ({"event_types": ["nope"]}, "Choose events from the list."),
    ]
    for changes, message in cases:
        r = _add(client, slug, **changes)
        assert r.status_code == 400, changes
        assert message in r.get_data(as_text=True), changes
    app.config["WEBHOOK_ALLOW_HTTP"] = False
    try:
        r = _add(client, slug, url="http://hooks.example.org/")
        assert r.status_code == 400 and "starts with https://" in r.get_data(as_text=True)
    finally:
        app.config["WEBHOOK_ALLOW_HTTP"] = True
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_edit_rotate_ping_and_replay(client: FlaskClient, world: Any, login: Any) -> None:
    login(world.admin_a)
    slug = world.agency_a.slug
    _add(client, slug)
    endpoint = _endpoint()
    first = endpoint.secret
    base = f"/agencies/{slug}/webhooks/{endpoint.id}"
    r = client.post(base, data={**FORM, "description": "CRM", "event_types": ["announcement.sent"]})
    assert r.status_code == 302
    db.session.refresh(endpoint)
    assert endpoint.description == "CRM" and endpoint.event_types == ["announcement.sent"]
    [updated] = events("webhook_endpoint.updated")
    assert updated.after == {"description": "CRM", "event_types": ["announcement.sent"]}

    r = client.post(f"{base}/rotate")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    db.session.refresh(endpoint)
    shown = SECRET.search(r.get_data(as_text=True))
    assert shown and shown.group(1) == endpoint.secret != first
    assert endpoint.previous_secret == first and endpoint.previous_secret_until is not None
    assert len(events("webhook_endpoint.secret_rotated")) == 1

    assert client.post(f"{base}/ping").status_code == 302
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery is not None and delivery.event.type == "webhook.ping"
    page = client.get(base).get_data(as_text=True)
    assert "Test ping" in page and delivery.event.message_id in page
    detail = client.get(f"{base}/deliveries/{delivery.id}").get_data(as_text=True)
    assert "webhook.ping" in detail and "No attempt yet" in detail

    delivery.status, delivery.attempts = "failed", 10
    db.session.commit()
    assert client.post(f"{base}/deliveries/{delivery.id}/replay").status_code == 302
    db.session.refresh(delivery)
    assert delivery.status == "queued" and delivery.attempts == 0
    assert len(events("webhook_delivery.replayed")) == 1
    audit = client.get(f"/agencies/{slug}/audit").get_data(as_text=True)
    assert "webhook_endpoint.secret_rotated" in audit or "Previous secret signs until" in audit
    assert endpoint.secret not in audit and first not in audit


def test_a_disabled_endpoint_gets_no_test(client: FlaskClient, world: Any, login: Any) -> None:
    login(world.admin_a)
    _add(client, world.agency_a.slug, enabled="")
    endpoint = _endpoint()
    assert not endpoint.enabled
    r = client.post(f"/agencies/{world.agency_a.slug}/webhooks/{endpoint.id}/ping")
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Enable the endpoint before sending it a test." in page
    assert db.session.scalar(select(WebhookDelivery)) is None


def test_staff_and_other_agencies_get_404(client: FlaskClient, world: Any, login: Any) -> None:
    login(world.admin_a)
    _add(client, world.agency_a.slug)
    endpoint = _endpoint()
    client.post("/logout")
    base = f"/agencies/{world.agency_a.slug}/webhooks"
    for user in (world.staff_a, world.admin_b):
        login(user)
        assert client.get(base).status_code == 404
        assert client.get(f"{base}/{endpoint.id}").status_code == 404
        assert client.post(f"{base}/{endpoint.id}/rotate").status_code == 404
        client.post("/logout")
    # Agency B's admin, on B's own pages, does not reach A's endpoint either.
    login(world.admin_b)
    other = f"/agencies/{world.agency_b.slug}/webhooks/{endpoint.id}"
    assert client.get(other).status_code == 404
    db.session.refresh(endpoint)
    assert endpoint.previous_secret is None


def test_the_pages_speak_french(client: FlaskClient, world: Any, login: Any) -> None:
    world.admin_a.preferred_language = "fr"
    db.session.commit()
    login(world.admin_a)
    page = client.get(f"/agencies/{world.agency_a.slug}/webhooks").get_data(as_text=True)
    assert "Webhooks de Agency A" in page and "Inscription enregistrée" in page
    r = _add(client, world.agency_a.slug, event_types=[])
    assert "Choisissez au moins un événement à recevoir." in r.get_data(as_text=True)


def test_the_lists_cost_the_same_queries_however_long(
    client: FlaskClient, world: Any, login: Any, make_endpoint: Any, count_queries: Any
) -> None:
    login(world.admin_a)
    slug = world.agency_a.slug

    def cost() -> tuple[int, int]:
        endpoint = _endpoint()
        with count_queries() as listing:
            assert client.get(f"/agencies/{slug}/webhooks").status_code == 200
        with count_queries() as one:
            assert client.get(f"/agencies/{slug}/webhooks/{endpoint.id}").status_code == 200
        return listing.count, one.count

    def more() -> None:
        issued = make_endpoint()
        for _ in range(3):
            endpoints.send_ping(act(world.admin_a), endpoint_of(issued))
        db.session.commit()

    more()
    small = cost()
    more()
    more()
    assert cost() == small


def test_an_admin_removes_an_endpoint_and_its_log(
    client: FlaskClient, world: Any, login: Any
) -> None:
    login(world.admin_a)
    slug = world.agency_a.slug
    _add(client, slug)
    endpoint_id = _endpoint().id
    client.post(f"/agencies/{slug}/webhooks/{endpoint_id}/ping")
    r = client.post(f"/agencies/{slug}/webhooks/{endpoint_id}/remove")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/agencies/{slug}/webhooks")
    assert db.session.scalar(select(WebhookEndpoint)) is None
    assert db.session.scalar(select(WebhookDelivery)) is None
    [removed] = events("webhook_endpoint.removed")
    assert removed.before is not None and removed.before["url"] == FORM["url"]
    assert client.get(f"/agencies/{slug}/webhooks/{endpoint_id}").status_code == 404
