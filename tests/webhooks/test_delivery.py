"""Delivery through the real retry path to a real HTTP receiver (a threaded ``http.server``
on 127.0.0.1) that verifies every signature: a receiver answering 500 for a while loses
nothing and gets nothing twice; the log shows each attempt; rows left by a dead worker are
claimed again; a delivery out of attempts fails and can be replayed with its webhook-id."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from competitions.core.extensions import db
from competitions.webhooks import delivery, endpoints, events
from competitions.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from tests.challenges.helpers import act
from tests.webhooks.conftest import endpoint_of
from tests.webhooks.receiver import Script


def _emit(world: Any, n: int) -> list[str]:
    written = []
    for i in range(n):
        written += events.emit(
            "entry.registered", {world.agency_a.id}, f"test:{i}", {"entry_id": i}
        )
    db.session.commit()
    return [e.message_id for e in written]


def _deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def _drain(clock: Any, rounds: int = 30) -> None:
    """Dispatch, then move the clock past the next retry, until nothing is left to send."""
    for _ in range(rounds):
        delivery.dispatch()
        db.session.expire_all()
        waiting = [d for d in _deliveries() if d.status not in ("delivered", "failed")]
        if not waiting:
            return
        due = [
            d.claimed_at + timedelta(seconds=301) if d.status == "sending" else d.next_attempt_at
            for d in waiting
        ]
        clock.set_now(max(clock.now(), min(due) + timedelta(seconds=1)))
    raise AssertionError("deliveries still waiting")


def test_a_receiver_failing_for_a_while_loses_nothing_and_gets_nothing_twice(
    world, receiver, make_endpoint, clock
):
    issued = make_endpoint(receiver.url)
    receiver.secrets = [issued.secret]
    receiver.script = Script(fail_first=3)
    ids = _emit(world, 5)
    assert len(ids) == 5

    delivery.dispatch()
    db.session.expire_all()
    assert {d.status for d in _deliveries()} == {"retrying"}
    # A worker claimed one row and died before answering: claimed again after the timeout.
    stuck = _deliveries()[0]
    stuck.status, stuck.claimed_at = "sending", clock.now()
    db.session.commit()
    _drain(clock)

    assert all(r.verified for r in receiver.received), "every request carried a valid signature"
    delivered = Counter(r.headers["webhook-id"] for r in receiver.successes())
    assert delivered == dict.fromkeys(ids, 1), "each webhook-id received-success exactly once"
    assert {d.status for d in _deliveries()} == {"delivered"}
    for d in _deliveries():
        log = sorted(d.log, key=lambda a: a.number)
        assert [a.status_code for a in log] == [500, 500, 500, 200]
        assert [a.number for a in log] == [1, 2, 3, 4]
        assert all(a.duration_ms >= 0 for a in log)
        assert log[-1].response_body == "ok"
    # The body is Standard Webhooks' shape, the same bytes on every attempt.
    bodies = {r.headers["webhook-id"]: set() for r in receiver.received}
    for r in receiver.received:
        bodies[r.headers["webhook-id"]].add(r.body)
    assert all(len(b) == 1 for b in bodies.values())
    sent = json.loads(next(iter(bodies[ids[0]])))
    assert sent["type"] == "entry.registered" and sent["data"] == {"entry_id": 0}
    assert sent["timestamp"].endswith("Z")
    headers = receiver.received[0].headers
    assert headers["content-type"] == "application/json"
    assert headers["webhook-signature"].startswith("v1,")


def test_the_backoff_doubles_and_the_row_fails_after_the_limit_then_replays(
    app: Flask, world, receiver, make_endpoint, clock
):
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    try:
        issued = make_endpoint(receiver.url)
        receiver.secrets = [issued.secret]
        receiver.script = Script(fail_first=100)
        [message_id] = _emit(world, 1)
        started = clock.now()
        waits = []
        for _ in range(3):
            delivery.dispatch()
            db.session.expire_all()
            [row] = _deliveries()
            if row.status == "retrying":
                waits.append(row.next_attempt_at - clock.now())
                clock.set_now(row.next_attempt_at)
        assert waits == [timedelta(seconds=30), timedelta(seconds=60)]
        assert row.status == "failed" and row.attempts == 3
        assert row.last_status_code == 500 and row.last_error == "HTTP 500"
        clock.advance(timedelta(days=1))
        assert delivery.dispatch() == {}  # a failed row is not tried again by itself
        assert clock.now() > started

        endpoints.replay(act(world.admin_a), row)
        db.session.commit()
        receiver.script = Script()
        delivery.dispatch()
        db.session.expire_all()
        [row] = _deliveries()
        assert row.status == "delivered" and row.attempts == 1
        assert [a.number for a in sorted(row.log, key=lambda a: a.number)] == [1, 2, 3, 4]
        assert [r.headers["webhook-id"] for r in receiver.received] == [message_id] * 4
        assert [r.answered for r in receiver.received] == [500, 500, 500, 200]
    finally:
        app.config["WEBHOOK_MAX_ATTEMPTS"] = 10


def test_during_a_rotation_both_secrets_sign_then_only_the_new_one(
    world, receiver, make_endpoint, clock
):
    issued = make_endpoint(receiver.url)
    rotated = endpoints.rotate_secret(act(world.admin_a), endpoint_of(issued))
    db.session.commit()
    assert rotated.secret != issued.secret and rotated.secret.startswith("whsec_")
    receiver.secrets = [issued.secret]  # a receiver not yet switched
    _emit(world, 1)
    delivery.dispatch()
    assert receiver.received[-1].verified
    assert len(receiver.received[-1].headers["webhook-signature"].split()) == 2

    clock.advance(timedelta(days=1, seconds=1))  # the overlap is over
    events.emit("entry.registered", {world.agency_a.id}, "after", {})
    db.session.commit()
    delivery.dispatch()
    last = receiver.received[-1]
    assert not last.verified and len(last.headers["webhook-signature"].split()) == 1
    receiver.secrets = [rotated.secret]
    assert receiver._verify(last.headers, last.body)


def test_a_disabled_endpoint_s_deliveries_wait_until_it_is_enabled(world, receiver, make_endpoint):
    issued = make_endpoint(receiver.url)
    receiver.secrets = [issued.secret]
    _emit(world, 1)
    found = endpoint_of(issued)
    data = endpoints.EndpointData(found.url, "", list(found.event_types), False)
    endpoints.update_endpoint(act(world.admin_a), found, data)
    db.session.commit()
    assert delivery.dispatch() == {}
    assert receiver.received == []
    again = endpoints.EndpointData(found.url, "", data.event_types, True)
    endpoints.update_endpoint(act(world.admin_a), found, again)
    db.session.commit()
    assert delivery.dispatch() == {"delivered": 1}
    assert len(receiver.successes()) == 1


def test_the_ping_reaches_only_its_endpoint(world, receiver, make_endpoint):
    first = make_endpoint(receiver.url)
    make_endpoint(receiver.url + "/other")
    receiver.secrets = [first.secret]
    row = endpoints.send_ping(act(world.admin_a), endpoint_of(first))
    db.session.commit()
    assert delivery.dispatch() == {"delivered": 1}
    [got] = receiver.received
    assert got.path == "/hooks" and got.verified
    body = json.loads(got.body)
    assert body["type"] == "webhook.ping" and body["data"]["endpoint_id"] == first.endpoint.id
    assert got.headers["webhook-id"] == row.event.message_id
    assert db.session.scalar(select(WebhookEvent.type)) == "webhook.ping"
    assert len(db.session.scalars(select(WebhookAttempt)).all()) == 1
