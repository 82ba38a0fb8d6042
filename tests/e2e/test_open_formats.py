"""E2E in Chromium: a challenge page carries its JSON-LD and feed links without tripping the
Content-Security-Policy; a user makes a personal calendar address, copies it with the button,
reads the feed with it, and replaces it (the old one stops working). axe-core on each page."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.e2e.test_team_registration import _page, _published_challenge, _user
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.e2e


def test_a_challenge_page_describes_itself_and_its_feeds(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    from competitions.core.extensions import db

    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _published_challenge(run)
        db.session.commit()
    ctx, page = _page(browser, live_server)
    page.goto(f"/challenges/{slug}")
    [block] = page.locator('script[type="application/ld+json"]').all_text_contents()
    event = json.loads(block)
    assert event["@type"] == "Event" and event["name"] == f"Food {run}"
    assert {o["name"] for o in event["organizer"]} == {f"Canada {run}", f"States {run}"}
    feeds = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    assert feeds.count() == 2
    assert_accessible(page)
    ctx.close()


def test_a_user_makes_copies_uses_and_replaces_a_calendar_address(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    from competitions.core.extensions import db

    run = uuid.uuid4().hex[:6]
    email = f"calendar-{run}@example.org"
    with live_app.app_context():
        _user(email, "CA", "America/Toronto")
        db.session.commit()
    ctx, page = _page(browser, live_server, email)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/account")
    page.get_by_role("link", name="Your calendar feed of deadlines").click()
    page.wait_for_url("**/account/calendar")
    assert "Your feed is off" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Make my calendar address").click()
    address = page.get_by_label("Calendar address").input_value()
    assert "/calendar/cal_" in address
    copy = page.get_by_role("button", name="Copy the link")
    copy.click()  # shown by tandem.js only where the clipboard can be written
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == address
    page.mouse.move(0, 0)  # not hovering the button: axe reads its resting colours,
    page.wait_for_timeout(400)  # once Bootstrap's colour transition is over
    assert_accessible(page)

    path = address[address.index("/calendar/") :]
    feed = page.request.get(path)
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert feed.text().startswith("BEGIN:VCALENDAR")

    page.goto("/account/calendar")
    assert address not in page.content()  # shown once only
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Make a new address").click()
    replacement = page.get_by_label("Calendar address").input_value()
    assert replacement != address
    assert page.request.get(path).status == 404
    assert page.request.get(replacement[replacement.index("/calendar/") :]).status == 200
    assert_accessible(page)
    ctx.close()
