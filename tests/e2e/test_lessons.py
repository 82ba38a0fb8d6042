"""E2E in Chromium: a partner agency's admin writes its lessons from the challenge's console,
the lead publishes them and finds them in the challenge's report, and the next edition's set-up
checklist links to them (axe-core on every page)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from competitions.agencies.models import Agency, Membership, Role
from competitions.core.extensions import db
from tests.e2e.test_team_registration import _page, _published_challenge, _user
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.e2e


def _partners(run: str) -> str:
    slug = _published_challenge(run)
    for agency_slug, email in ((f"ca-{run}", f"lead-{run}"), (f"us-{run}", f"partner-{run}")):
        agency = db.session.query(Agency).filter_by(slug=agency_slug).one()
        person = _user(f"{email}@agency.example", "CA", "UTC")
        db.session.flush()
        db.session.add(Membership(user=person, agency=agency, role=Role.ADMIN))
    db.session.commit()
    return slug


def test_partner_writes_lessons_lead_publishes_next_edition_shows_them(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _partners(run)

    ctx, page = _page(browser, live_server, f"partner-{run}@agency.example")
    page.goto(f"/challenges/{slug}/manage")
    page.get_by_role("link", name="Lessons learned").click()
    assert_accessible(page)
    page.get_by_role("link", name="Write your agency's lessons").click()
    page.get_by_label("Keep: what worked").fill("Joint webinars with every partner")
    page.get_by_label("Stop: what not to do again").fill("Paper forms\nLate prizes")
    page.get_by_label("Funnel").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save the lessons").click()
    page.wait_for_url(f"**/challenges/{slug}/lessons#a-us-{run}")
    assert page.get_by_role("link", name="Funnel").get_attribute("href") == (
        f"/challenges/{slug}/insights#funnel"
    )
    ctx.close()

    ctx, page = _page(browser, live_server, f"lead-{run}@agency.example")
    page.goto(f"/challenges/{slug}/lessons")
    assert "Paper forms" in page.locator("main").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Publish to every partner").click()
    assert page.get_by_text("The lessons are published to every partner agency.").is_visible()
    assert_accessible(page)
    # The report holds the lessons, and is accessible too.
    page.goto(f"/challenges/{slug}/manage")
    page.get_by_role("link", name="Report", exact=True).click()
    page.wait_for_url(f"**/challenges/{slug}/report")
    assert "Paper forms" in page.locator("main").inner_text()
    assert_accessible(page)
    page.goto(f"/challenges/{slug}/manage/next-edition")
    page.get_by_label("Short address of the new edition").fill(f"{slug}-2")
    page.get_by_role("button", name="Create the next edition").click()
    page.wait_for_url(f"**/challenges/{slug}-2/manage")
    step = page.get_by_role("link", name="Lessons learned of edition 1")
    assert step.is_visible()
    assert "3 lessons from" in page.locator("main").inner_text()
    step.click()
    page.wait_for_url(f"**/challenges/{slug}/lessons")
    ctx.close()
