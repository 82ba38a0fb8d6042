"""E2E in Chromium: breadcrumb trails with long names stay within a 390 px phone screen, in
English, French and Arabic (right to left), and the pages that carry them are axe-clean.

(``tests/test_breadcrumbs.py`` checks every nested page's trail and links over the matrix;
``test_narrow_screens.py`` measures every page of the matrix, whose names are short.)"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from tests.e2e.test_team_registration import _published_challenge
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.e2e
WIDTH = 390
LONG_WORD = "Interplanetary" * 6  # 84 letters without a break
# Where the trail's leftmost and rightmost boxes end (a right-to-left trail overflows leftwards).
_EDGES = """() => {
  const boxes = [...document.querySelectorAll("nav ol.breadcrumb, nav ol.breadcrumb *")]
    .map((el) => el.getBoundingClientRect());
  return [Math.min(...boxes.map((b) => b.left)), Math.max(...boxes.map((b) => b.right))];
}"""


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR", "ar"])
def test_long_trails_wrap_on_a_phone_and_are_accessible(
    browser: Any, live_server: Any, live_app: Any, locale: str
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _published_challenge(run)
        challenge = db.session.scalars(db.select(Challenge).filter_by(slug=slug)).one()
        title = f"Deep Space Food Challenge {LONG_WORD}, a very long name for phase one {run}"
        challenge.title = {"en": title, "fr": title}
        track = challenge.tracks[0]
        track.name = {"en": f"Canadian Space Agency track {LONG_WORD}"}
        db.session.commit()
        track_slug = track.slug
    ctx = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": WIDTH, "height": 844}
    )
    page = ctx.new_page()
    page.set_default_timeout(15000)
    for path in (
        f"/challenges/{slug}",
        f"/challenges/{slug}/tracks/{track_slug}",
        f"/challenges/{slug}/tracks/{track_slug}/terms",
        f"/challenges/{slug}/follow",
    ):
        page.goto(path)
        trail = page.locator("nav ol.breadcrumb")
        assert trail.count() == 1, path
        current = trail.locator("li[aria-current=page]")
        assert current.count() == 1, path
        assert trail.locator("li").first.locator("a").get_attribute("href") == "/"
        assert LONG_WORD in trail.inner_text()  # the whole name, wrapped, not cut
        # The trail itself, and every crumb in it, ends within the screen (the page's own
        # heading with such a word is the page's business: test_narrow_screens.py).
        left, right = page.evaluate(_EDGES)
        assert right <= WIDTH, f"{path} ({locale}): the trail ends at {right} px"
        assert left >= 0, f"{path} ({locale}): the trail starts at {left} px"
        assert_accessible(page)
    ctx.close()
