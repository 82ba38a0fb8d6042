"""An agency admin adds a webhook endpoint in Chromium, copies its secret (shown once), sends
a test event to a real receiver on 127.0.0.1 that verifies the signature, and reads the
delivery log; each page passes axe-core."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from competitions.agencies.models import Agency, Membership, Role
from competitions.core.extensions import db
from tests.e2e.test_team_registration import _page, _user
from tests.support.axe import assert_accessible
from tests.webhooks.receiver import Receiver, running

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver(live_app: Flask) -> Iterator[Receiver]:
    keys = ("WEBHOOK_DELIVERY", "WEBHOOK_ALLOW_NETWORKS")
    saved = {k: live_app.config[k] for k in keys}
    # Delivered right after the commit, to the test's receiver on 127.0.0.1.
    live_app.config.update(WEBHOOK_DELIVERY="inline", WEBHOOK_ALLOW_NETWORKS="127.0.0.1/32")
    with running() as r:
        yield r
    live_app.config.update(saved)


def _admin(run: str) -> tuple[str, str]:
    email = f"hooks-admin-{run}@agency.example"
    user = _user(email, "CA", "America/Toronto")
    agency = Agency(
        slug=f"hooks-{run}",
        name=f"Hooks agency {run}",
        jurisdiction="CA",
        timezone="America/Toronto",
        languages=["en", "fr"],
    )
    db.session.add_all([agency, Membership(user=user, agency=agency, role=Role.ADMIN)])
    db.session.commit()
    return email, agency.slug


def test_add_an_endpoint_send_a_test_and_read_the_log(
    browser: Any, live_server: Any, live_app: Any, receiver: Receiver
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        email, slug = _admin(run)
    ctx, page = _page(browser, live_server, email)
    page.goto(f"/agencies/{slug}/console")
    page.get_by_role("link", name="Webhooks").click()
    page.wait_for_url(f"**/agencies/{slug}/webhooks")
    assert_accessible(page)

    page.get_by_label("Address (URL)").fill(receiver.url)
    page.get_by_label("Description (optional)").fill("Grants system")
    page.get_by_label("Entry registered").check()
    page.get_by_role("button", name="Add the endpoint").click()
    secret = page.get_by_label(f"Secret of {receiver.url}").input_value()
    assert secret.startswith("whsec_")
    assert_accessible(page)
    receiver.secrets = [secret]

    page.get_by_role("link", name="Open the endpoint to send a test").click()
    assert secret not in page.content()  # shown once
    page.get_by_role("button", name="Send a test event").click()
    log = page.get_by_role("region", name="Deliveries to this endpoint")
    assert "Delivered" in log.inner_text() and "HTTP 200" in log.inner_text()
    assert_accessible(page)
    [got] = receiver.received
    assert got.verified and got.answered == 200

    log.get_by_role("link", name="Test ping").click()
    assert "webhook.ping" in page.locator("main").inner_text()
    assert got.headers["webhook-id"] in page.locator("main").inner_text()
    assert_accessible(page)
    ctx.close()
