"""The deadline moment in a real browser, on a fake clock: the countdown counts the last minute
to the second (it froze there with a script error when it relied on ``Intl.DurationFormat``),
then says the round is closed and disables the form that depends on it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from tests.e2e.test_team_registration import _published_challenge

pytestmark = pytest.mark.e2e


def test_the_countdown_runs_to_the_second_then_closes_the_form(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _published_challenge(run)
        challenge = db.session.query(Challenge).filter_by(slug=slug).one()
        deadline = challenge.rounds[0].submission_deadline
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.clock.install(time=deadline - timedelta(minutes=2))
    page.goto(f"/challenges/{slug}")
    page.clock.pause_at(deadline - timedelta(seconds=65))
    countdown = page.locator("[data-countdown]")
    page.clock.run_for(1000)
    assert countdown.inner_text() == "1 minute, 4 seconds"
    page.clock.run_for(60_000)
    assert countdown.inner_text() == "4 seconds"
    # A form that depends on this deadline (the submission form's data-deadline).
    page.evaluate(
        """iso => {
          const form = document.createElement("form");
          form.setAttribute("data-deadline", iso);
          form.innerHTML = '<label>Summary <input name="summary"></label><button>Submit</button>';
          document.querySelector("main").append(form);
        }""",
        countdown.get_attribute("data-countdown"),
    )
    assert page.get_by_label("Summary").is_enabled()
    page.clock.run_for(5000)
    assert "Closed: submissions are no longer accepted." in page.locator("main").inner_text()
    assert page.get_by_label("Summary").is_disabled()
    assert page.get_by_role("button", name="Submit").is_disabled()
    ctx.close()
