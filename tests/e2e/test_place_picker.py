"""E2E in Chromium: the searchable place picker of a track's rules, used with the keyboard
only (type, choose, remove), announced to screen readers and axe-clean; codes are stored."""

from __future__ import annotations

import uuid
from typing import Any

from competitions.challenges.models import Track
from competitions.core.extensions import db
from tests.e2e.test_team_registration import _published_challenge, _sign_in
from tests.support.axe import assert_accessible

LABEL = "Countries (or subdivisions) whose residents may win prizes"


def test_countries_are_chosen_by_name_with_the_keyboard(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _published_challenge(run)
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    _sign_in(page, f"root-{run}@tandem.example")
    page.goto(f"/challenges/{slug}/tracks/ca-{run}/manage/rules")
    search = page.get_by_role("combobox", name=LABEL)
    chosen = page.get_by_role("list", name="Chosen").first
    assert chosen.inner_text().strip() == "Canada (CA)"  # what is stored, by name
    assert_accessible(page)

    # Type part of a name: the matches are listed and their number announced.
    search.focus()
    page.keyboard.type("queb")
    listbox = page.get_by_role("listbox", name=LABEL)
    assert listbox.get_by_role("option").all_inner_texts() == ["Quebec, Canada (CA-QC)"]
    assert page.locator("[aria-live=polite]").first.inner_text() == "1 place matches"
    assert_accessible(page)  # with the list open
    page.keyboard.press("Enter")  # chooses, does not submit
    assert "Quebec, Canada (CA-QC)" in chosen.inner_text()

    # A second one, with the arrow keys.
    search.fill("")
    page.keyboard.type("new york")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    assert "New York, United States (US-NY)" in chosen.inner_text()
    page.keyboard.press("Escape")
    assert search.get_attribute("aria-expanded") == "false"

    # Remove Canada with the keyboard: its Remove button, then back in the search box.
    page.get_by_role("button", name="Remove Canada (CA)").focus()
    page.keyboard.press("Enter")
    assert "Canada (CA)" not in chosen.inner_text().replace("Quebec, Canada (CA-QC)", "")
    assert page.evaluate("document.activeElement.getAttribute('role')") == "combobox"
    assert_accessible(page)

    page.get_by_role("button", name="Save the rules").click()
    page.wait_for_load_state()
    assert "The eligibility rules were saved." in page.locator(".flashes").inner_text()
    with live_app.app_context():
        track = db.session.query(Track).filter_by(slug=f"ca-{run}").one()
        assert track.rules["allowed_countries"] == ["CA-QC", "US-NY"]
    ctx.close()
