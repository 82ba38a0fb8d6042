"""E2E in Chromium: the demo's Resilient Cities challenge and the Dubai track's submission form
in Arabic, at 1280 and 390 px. The page runs right to left (``<html dir=rtl>``, Bootstrap's RTL
stylesheet), nothing widens it, the shared timeline is mirrored (time flows right to left), the
live countdown speaks the page's language, and axe finds no violation. Screenshots are kept
under the test's temporary folder (not committed) for a person to look at.

The demo is seeded in a live server and database of this module's own: the session's shared
live database holds what other e2e tests made (their accounts could take the demo's
addresses), and other tests should not find the demo there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from competitions.accounts import sessions
from competitions.accounts.models import User
from competitions.challenges import services
from competitions.challenges.models import Challenge
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.entries import registration, teams
from tests.support.axe import assert_accessible
from tests.support.live import LiveServer, live_app_from, live_environment, serving

pytestmark = pytest.mark.e2e
ARABIC = re.compile(r"[\u0600-\u06ff]")
WIDTHS = (1280, 390)
BASE = "http://tandem.live"

_LAYOUT = """() => {
  const svg = document.querySelector("svg.timeline-svg");
  const bars = svg ? [...svg.querySelectorAll("rect")].map((r) => r.getBoundingClientRect()) : [];
  const label = svg && svg.querySelector("text[text-anchor=start]:not([font-size='12'])");
  return {
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    direction: getComputedStyle(document.body).direction,
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
    rtlSheet: [...document.styleSheets].some(
      (s) => (s.href || "").endsWith("bootstrap.rtl.min.css")),
    svgDirection: svg && svg.getAttribute("direction"),
    firstBar: bars.length ? bars[0].x : null,
    lastBar: bars.length ? bars[bars.length - 1].x : null,
    svgRight: svg ? svg.getBoundingClientRect().right : null,
    labelRight: label ? label.getBoundingClientRect().right : null,
  };
}"""


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory, smtp_server: Any) -> Iterator[Flask]:
    env = live_environment(tmp_path_factory.mktemp("rtl"), smtp_server.port, BASE, name="rtl")
    with live_app_from(env) as application:
        yield application


@pytest.fixture(scope="module")
def demo_server(demo_app: Flask) -> Iterator[LiveServer]:
    with serving(demo_app) as server:
        yield server


@pytest.fixture(scope="module")
def dubai_entrant(demo_app: Flask) -> dict[str, Any]:
    """The demo (seeded in this module's database), and an Arabic-speaking team registered
    in the Dubai track of Resilient Cities, signed in."""
    from competitions.demo import seed

    with demo_app.app_context():
        seed()
        challenge = db.session.scalar(select(Challenge).where(Challenge.slug == "resilient-cities"))
        assert challenge is not None
        track = next(t for t in challenge.tracks if t.agency.slug == "dubai")
        user = db.session.scalar(select(User).where(User.email_normalized == "lead@dubai.example"))
        assert user is not None and user.preferred_language == "ar"
        actor = Actor(user, via="cli")
        team = teams.create_team(
            actor, teams.TeamData("واحة للتبريد", "business", "واحة للتبريد", "AE"), "AE", 40
        )
        terms = services.current_terms(track)
        assert terms is not None
        entry = registration.register(actor, team, track, terms.id, [0, 1])
        record = sessions.begin(actor, user, remember=False, user_agent="e2e rtl")
        assert record is not None
        db.session.commit()
        return {
            "cookie_id": user.get_id(),
            "form": f"/entries/{entry.id}/rounds/{challenge.rounds[0].id}",
            "challenge": f"/challenges/{challenge.slug}",
        }


def _context(browser: Any, live_server: Any, live_app: Flask, cookie_id: str, width: int) -> Any:
    context = browser.new_context(
        base_url=live_server.url, locale="ar", viewport={"width": width, "height": 900}
    )
    serializer = live_app.session_interface.get_signing_serializer(live_app)  # type: ignore[attr-defined]
    value = serializer.dumps({"_user_id": cookie_id, "_fresh": True})
    name = live_app.config["SESSION_COOKIE_NAME"]
    context.add_cookies([{"name": name, "value": value, "url": live_server.url}])
    return context


@pytest.mark.parametrize("width", WIDTHS)
def test_the_challenge_and_the_form_run_right_to_left_in_arabic(
    browser: Any,
    demo_server: LiveServer,
    demo_app: Flask,
    dubai_entrant: dict[str, Any],
    tmp_path: Path,
    width: int,
) -> None:
    context = _context(browser, demo_server, demo_app, dubai_entrant["cookie_id"], width)
    page = context.new_page()
    page.set_default_timeout(15000)

    page.goto(dubai_entrant["challenge"])
    layout = page.evaluate(_LAYOUT)
    assert (layout["lang"], layout["dir"], layout["direction"]) == ("ar", "rtl", "rtl")
    assert layout["rtlSheet"]
    assert layout["scrollWidth"] <= layout["innerWidth"], layout
    assert page.locator("h1").inner_text() == "تحدي المدن المرنة"
    # The timeline is mirrored: the first round's bars stand right of the last round's, and
    # the round names end at the drawing's right edge.
    assert layout["svgDirection"] == "rtl"
    assert layout["firstBar"] > layout["lastBar"], layout
    assert layout["svgRight"] - layout["labelRight"] < 0.05 * layout["svgRight"], layout
    # Prizes in dirhams, written the Arabic way (the locale's default Latin digits).
    assert "220,000.00\u00a0AED" in page.locator("#tracks ~ .card-grid").inner_text()
    # A back link's arrow points to where an Arabic line starts.
    page.screenshot(path=str(tmp_path / f"challenge-ar-{width}.png"), full_page=True)
    assert_accessible(page)

    page.goto(dubai_entrant["form"])
    layout = page.evaluate(_LAYOUT)
    assert (layout["dir"], layout["direction"]) == ("rtl", "rtl")
    assert layout["scrollWidth"] <= layout["innerWidth"], layout
    assert page.get_by_label("عنوان المشروع").count() == 1  # the demo's Arabic labels
    countdown = page.locator("[data-countdown]")
    page.wait_for_function(
        "el => /[\u0600-\u06ff]/.test(el.textContent)", arg=countdown.element_handle()
    )
    text = countdown.inner_text()
    assert ARABIC.search(text) and re.search(r"[0-9]", text), text  # the page's language
    # The breadcrumb trail runs from the right: its first crumb stands right of its last.
    crumbs = page.locator("nav ol.breadcrumb li")
    first, last = crumbs.first.bounding_box(), crumbs.last.bounding_box()
    assert first is not None and last is not None
    assert first["x"] + first["width"] >= last["x"] + last["width"]
    page.screenshot(path=str(tmp_path / f"form-ar-{width}.png"), full_page=True)
    assert_accessible(page)
    context.close()
