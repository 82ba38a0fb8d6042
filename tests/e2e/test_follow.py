"""E2E in Chromium: a visitor follows a challenge by email, confirms from the email, changes the
language and stops the emails from the link; axe-core checks every page."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from competitions.core.extensions import db
from competitions.outreach.models import Subscription
from tests.e2e.test_team_registration import _published_challenge
from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture


def test_a_visitor_follows_a_challenge_and_stops_the_emails(
    browser: Any, live_server: Any, live_app: Any, smtp_server: SMTPCapture
) -> None:
    run = uuid.uuid4().hex[:6]
    email = f"fan-{run}@example.org"
    with live_app.app_context():
        slug = _published_challenge(run)
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto(f"/challenges/{slug}")
    page.get_by_role("link", name="Follow by email").click()
    assert_accessible(page)
    page.get_by_role("button", name="Follow").click()  # empty: a clear error, nothing sent
    assert "Enter your email address." in page.locator(".error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Language of the emails").select_option("fr")
    page.get_by_role("button", name="Follow").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    assert_accessible(page)

    (confirmation,) = smtp_server.wait_for(email)
    link = urlsplit(SMTPCapture.link(confirmation, "/follow/")).path
    page.goto(link)
    assert_accessible(page)
    page.get_by_role("button", name="Yes, follow this challenge").click()
    page.wait_for_url("**/subscriptions/*")
    assert "Done: you now follow this challenge." in page.locator(".flashes").inner_text()
    assert_accessible(page)
    page.get_by_label("Language of the emails").select_option("en")
    page.get_by_role("button", name="Save").click()
    assert "Your preferences are saved." in page.locator(".flashes").inner_text()

    welcome = smtp_server.wait_for(email, 2)[-1]
    unsubscribe = urlsplit(welcome["List-Unsubscribe"].strip("<>")).path
    page.goto(unsubscribe)
    assert_accessible(page)
    page.get_by_role("button", name="Stop these emails").click()
    page.get_by_role("heading", name="Done").wait_for()
    assert_accessible(page)
    with live_app.app_context():
        sub = db.session.query(Subscription).filter_by(email=email).one()
        assert sub.status == "unsubscribed" and sub.language == "en"
    ctx.close()
