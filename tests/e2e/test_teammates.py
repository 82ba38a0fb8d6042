"""E2E in Chromium: two individuals meet on the teammates board (no address shown until the
second accepts), the evaluator tells them which track they could enter together, one creates
a team and invites the other through the existing team invitation, and the registration
page routes their team to the Canadian track. axe-core checks every page."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from competitions.core.extensions import db
from tests.e2e.test_team_registration import _published_challenge, _sign_in, _user
from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture

pytestmark = pytest.mark.e2e


def _page(browser: Any, live_server: Any, email: str) -> Any:
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    _sign_in(page, email)
    return page


def _post(page: Any, slug: str, offers: str, age: str) -> None:
    page.goto(f"/challenges/{slug}")
    page.get_by_role("link", name="Find teammates").click()
    assert_accessible(page)
    page.get_by_role("link", name="Put a post on the board").click()
    page.get_by_label("A person looking for a team").check()
    page.get_by_label("What you offer").fill(offers)
    page.get_by_label("What you look for").fill("Someone to build a space kitchen with")
    page.get_by_label("Your country of residence").select_option("CA")
    page.get_by_label("Your age (optional)").fill(age)
    page.get_by_label("The track you aim at").select_option(label="CA track")
    assert_accessible(page)
    page.get_by_role("button", name="Put it on the board").click()
    assert "Your post is on the board." in page.locator(".flashes").inner_text()


def test_two_people_from_the_board_form_a_team_routed_to_the_right_track(
    browser: Any, live_server: Any, live_app: Any, smtp_server: SMTPCapture
) -> None:
    run = uuid.uuid4().hex[:6]
    chef_email, grower_email = f"chef-{run}@example.org", f"grower-{run}@example.org"
    with live_app.app_context():
        slug = _published_challenge(run)
        _user(chef_email, "CA", "America/Toronto")
        _user(grower_email, "CA", "America/Vancouver")
        db.session.commit()

    chef = _page(browser, live_server, chef_email)
    _post(chef, slug, "Twenty years in restaurant kitchens", "41")
    grower = _page(browser, live_server, grower_email)
    _post(grower, slug, "Hydroponics and plant biology", "29")
    board = grower.locator("article", has_text="Twenty years in restaurant kitchens")
    assert chef_email not in grower.locator("main").inner_text()
    board.get_by_label(re.compile("Your message to")).fill("Shall we team up?")
    board.get_by_role("button", name="Ask to get in touch").click()
    assert "Your request is sent." in grower.locator(".flashes").inner_text()
    assert_accessible(grower)

    (note,) = smtp_server.wait_for(chef_email)
    assert grower_email not in SMTPCapture.text(note)
    chef.goto(f"/challenges/{slug}/teammates/contacts")
    assert grower_email not in chef.locator("main").inner_text()
    chef.get_by_role("button", name="Accept: share our addresses").click()
    main = chef.locator("main").inner_text()
    assert grower_email in main
    assert re.search(r"CA track: Eligible\n", main + "\n")  # before the team exists
    assert_accessible(chef)

    chef.get_by_role("link", name="Create a team, then invite them from its page").click()
    chef.get_by_label("Team name").fill(f"Galley {run}")
    chef.get_by_label("We are").select_option("team")
    chef.get_by_label("Your country of residence").select_option("CA")
    chef.get_by_label("Your age").fill("41")
    chef.get_by_role("button", name="Create the team").click()
    chef.wait_for_load_state()
    chef.goto(f"/challenges/{slug}/teammates/contacts")
    chef.get_by_role("button", name=re.compile(f"into Galley {run}")).click()
    chef.wait_for_load_state()
    link = SMTPCapture.link(smtp_server.wait_for(grower_email)[-1], "/team-invitations/")

    grower.goto(link)
    grower.get_by_label("Your country of residence").select_option("CA")
    grower.get_by_label("Your age").fill("29")
    grower.get_by_role("button", name="Join the team").click()
    grower.wait_for_url("**/teams/*")
    assert "You joined the team" in grower.locator(".flashes").inner_text()

    chef.goto(f"/challenges/{slug}/register")
    assert chef.locator("section", has_text="CA track: Eligible").count() == 1
    assert_accessible(chef)
