"""Each delivery's request cannot be turned against the server's own network: an internal
address is refused unless the allow-list names it (checked at every attempt, on what the name
resolves to then), redirects are not followed, a huge answer is read only up to the cap, and
a receiver that does not answer in time is given up on."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from competitions.core.extensions import db
from competitions.webhooks import delivery, endpoints, transport
from competitions.webhooks.destinations import networks
from competitions.webhooks.models import WebhookDelivery
from tests.challenges.helpers import act
from tests.webhooks.conftest import endpoint_of
from tests.webhooks.receiver import Script, running

LOCAL = networks(["127.0.0.1/32"])


def _policy(**changes: object) -> transport.Policy:
    values: dict[str, object] = {
        "allow": LOCAL,
        "allow_http": True,
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "cap": 2048,
    }
    values.update(changes)
    return transport.Policy(**values)  # type: ignore[arg-type]


def test_a_private_address_is_refused_without_connecting_unless_allow_listed() -> None:
    with running() as receiver:
        refused = transport.post(receiver.url, {}, b"{}", _policy(allow=()))
        assert refused.status_code is None and not refused.succeeded
        assert refused.error is not None and "internal address" in refused.error
        assert receiver.received == []
        # A public-looking name that resolves to loopback is refused the same way.
        sneaky = _policy(allow=(), resolver=lambda host, port: ["127.0.0.1"])
        got = transport.post(f"http://hooks.example.org:{receiver.port}/", {}, b"", sneaky)
        assert "internal address" in (got.error or "") and receiver.received == []
        allowed = transport.post(receiver.url, {}, b"{}", _policy())
        assert allowed.status_code == 200 and allowed.body == b"ok"
        assert len(receiver.received) == 1


def test_plain_http_is_refused_where_it_is_not_allowed() -> None:
    got = transport.post("http://127.0.0.1:9/", {}, b"", _policy(allow_http=False))
    assert "only https" in (got.error or "")


def test_a_redirect_is_not_followed() -> None:
    with running() as receiver:
        receiver.script = Script(status=302, headers={"Location": "/elsewhere"})
        got = transport.post(receiver.url, {}, b"{}", _policy())
        assert got.status_code == 302 and not got.succeeded
        assert [r.path for r in receiver.received] == ["/hooks"]  # /elsewhere never asked


def test_a_big_answer_is_read_only_up_to_the_cap() -> None:
    with running() as receiver:
        receiver.script = Script(body=b"x" * 5_000_000)
        got = transport.post(receiver.url, {}, b"{}", _policy(cap=1000))
        assert got.status_code == 200
        assert len(got.body) == 1000


def test_a_receiver_that_does_not_answer_in_time_is_given_up_on() -> None:
    with running() as receiver:
        receiver.script = Script(delay=2.0)
        got = transport.post(receiver.url, {}, b"{}", _policy(read_timeout=0.3))
        assert got.status_code is None and got.error == "timed out waiting for the answer"
        assert got.duration_ms < 1900


def test_a_refused_address_is_logged_and_retried_later(
    app: Flask, world, make_endpoint, clock
) -> None:
    """Through the delivery path with the app's settings: no allow-list, so the local
    receiver is refused at each attempt and the log says why."""
    assert app.config["WEBHOOK_ALLOW_NETWORKS"] == ""
    with running() as receiver:
        issued = make_endpoint(f"http://localhost:{receiver.port}/hooks")
        endpoints.send_ping(act(world.admin_a), endpoint_of(issued))
        db.session.commit()
        assert delivery.dispatch() == {"retrying": 1}
        assert receiver.received == []
        db.session.expire_all()
        row = endpoint_of(issued)
        found = db.session.scalar(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == row.id)
        )
        assert found is not None
        [attempt] = found.log
        assert attempt.status_code is None
        assert "internal address" in (attempt.error or "")
