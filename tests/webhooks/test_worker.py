"""A real Celery worker delivers what beat's tick finds unsent: deliveries written with no
wake-up (a lost kick) reach a real receiver, signed, once each."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from competitions.agencies.models import Agency
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.core.tasks import send_task
from competitions.webhooks import endpoints, events
from competitions.webhooks.models import WebhookDelivery
from tests.support.live import wait_until
from tests.webhooks.receiver import running

pytestmark = pytest.mark.worker


def test_the_worker_delivers_what_was_left_unsent(live_app: Any, celery_worker: Any) -> None:
    run = uuid.uuid4().hex[:6]
    with running() as receiver, live_app.app_context():
        agency = Agency(
            slug=f"worker-hooks-{run}",
            name=f"Worker hooks {run}",
            jurisdiction="CA",
            timezone="America/Toronto",
            languages=["en"],
        )
        db.session.add(agency)
        db.session.flush()
        issued = endpoints.create_endpoint(
            Actor(_platform_admin(run)),
            agency,
            endpoints.EndpointData(receiver.url, "", ["entry.registered"]),
        )
        receiver.secrets = [issued.secret]
        written = [
            events.emit("entry.registered", {agency.id}, f"{run}:{i}", {"entry_id": i})[0]
            for i in range(3)
        ]
        db.session.commit()  # WEBHOOK_DELIVERY is "off" here: nobody was woken
        send_task("webhooks.dispatch")  # what beat's tick sends every few seconds

        def delivered() -> bool:
            db.session.expire_all()
            rows = db.session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.endpoint_id == issued.endpoint.id)
            ).all()
            return all(r.status == "delivered" for r in rows)

        try:
            wait_until(delivered, timeout=60)
        except AssertionError:
            pytest.fail(f"the worker did not deliver; its log:\n{celery_worker.output()}")
        got = Counter(r.headers["webhook-id"] for r in receiver.successes())
        assert got == {e.message_id: 1 for e in written}
        assert all(r.verified for r in receiver.received)


def _platform_admin(run: str) -> Any:
    from tests.e2e.test_team_registration import _user

    return _user(f"root-hooks-{run}@tandem.example", "CA", "UTC", admin=True)
