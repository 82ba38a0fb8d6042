"""No page is wider than a 390 px phone screen, for any role, and axe finds no violation on it,
in every language of the interface.

The pages are not hand-listed: every GET route of ``app.url_map`` that the authorization matrix
expects to answer 200 for a role is visited as that role, with the matrix's own world (a draft
challenge led by agency A with a partner track, a team with an entry and a submission, a judge
with an assignment) built in the live database. Each HTML page must fit: the document's
``scrollWidth`` at most the viewport's width (wide tables scroll inside their own region).
One browser, one context per role, pages visited one after the other.

Languages: the whole crawl (every role, every page, axe on each) runs in the default language.
Right-to-left languages (Arabic) visit every distinct page once (as the first role that may see
it), axe included: the templates are the same for every role. The other left-to-right languages
(French, German, Spanish) share the distinct pages: each page is visited in one of them, chosen
by a stable hash of its address, so every page is seen with longer words than English's. The
full crawl in five languages would take most of CI's time on two cores. The crawl runs in
CI's SQLite leg only: a page's width, words and accessibility do not depend on the engine, and
the matrix checks every page's answer on both engines. Signed-in roles see their account's
preferred language, which the crawl sets; visitors send it in ``Accept-Language``."""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from competitions.accounts.models import User
from competitions.config import build_config
from competitions.core.extensions import db
from competitions.core.i18n import text_direction
from tests.support.axe import assert_accessible
from tests.test_authorization_matrix import EXPECT, ROLES, Matrix

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")),
        reason="crawled in CI's SQLite leg: widths, words and axe do not hang on engines",
    ),
]
WIDTH, HEIGHT = 390, 844

# The document's width, and when it is too wide the innermost elements that stick out (those
# inside a region that scrolls on its own do not widen the page and are reported last).
_MEASURE = """
() => {
  const limit = document.documentElement.clientWidth + 1;
  const name = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) part += "#" + e.id;
      else if (e.classList.length) part += "." + [...e.classList].slice(0, 2).join(".");
      parts.unshift(part);
    }
    return parts.join(" > ");
  };
  const scrolls = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(e).overflowX)) return true;
    }
    return false;
  };
  const width = document.documentElement.scrollWidth;
  if (width <= limit) return {width, culprits: []};
  const out = [...document.body.querySelectorAll("*")]
    .map((el) => ({el, rect: el.getBoundingClientRect()}))
    .filter((o) => o.rect.right > limit);
  // (an absolutely positioned element escapes a scrolling ancestor that is not positioned)
  const over = out.some((o) => !scrolls(o.el)) ? out.filter((o) => !scrolls(o.el)) : out;
  const inner = over.filter((o) => !over.some((p) => p.el !== o.el && o.el.contains(p.el)));
  inner.sort((a, b) => b.rect.right - a.rect.right);
  const px = (n) => `${Math.round(n)} px`;
  const culprits = inner.slice(0, 3).map(
    (o) => `${name(o.el)} (${px(o.rect.width)} wide, ends at ${px(o.rect.right)})`
  );
  return {width, culprits};
}
"""

NOT_PAGES = {"static", "bootstrap.static"}  # files, not pages
LANGUAGES = tuple(build_config("testing")["LANGUAGES"])
FULL = {LANGUAGES[0]}
# The other left-to-right languages share the distinct pages between them (each page in one of
# them, by a stable hash of its address); right-to-left ones visit every distinct page.
SHARED = tuple(code for code in LANGUAGES[1:] if text_direction(code) == "ltr")


def _in_share(url: str, lang: str) -> bool:
    return lang not in SHARED or zlib.crc32(url.encode()) % len(SHARED) == SHARED.index(lang)


@pytest.fixture(scope="module")
def live_matrix(live_app: Flask, live_server: Any) -> Iterator[Matrix]:
    """The authorization matrix's world, committed in the live database."""
    with live_app.app_context():
        yield Matrix(live_app, None)


def _session_cookie(app: Flask, url: str, matrix: Matrix, role: str) -> dict[str, Any]:
    """The signed session cookie of the role's account session that the matrix opened (as
    its client does): the innovator has a passkey, so a sign-in through the form would stop
    at the second step."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    value = serializer.dumps({"_user_id": matrix.user_ids[role], "_fresh": True})
    return {"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": url}


def _pages(matrix: Matrix, role: str) -> list[str]:
    return sorted(
        {
            matrix.urls[endpoint]
            for (endpoint, method), outcome in EXPECT.items()
            if method == "GET" and outcome[role] == 200 and endpoint not in NOT_PAGES
        }
    )


def _check(context: Any, urls: list[str], lang: str) -> tuple[int, list[str]]:
    """How many HTML pages were checked, and a line for each that is too wide, not in
    ``lang`` (with its direction) or where axe finds a violation."""
    page = context.new_page()
    page.set_default_timeout(15000)
    measured, wide = 0, []
    for url in urls:
        answer = context.request.get(url)
        if not answer.headers.get("content-type", "").startswith("text/html"):
            continue  # a CSV, a ZIP, an image: downloads, not pages
        response = page.goto(url)
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        measured += 1
        root = page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]")
        if root != [lang, text_direction(lang)]:
            wide.append(f"  {url}: <html lang dir> is {root}")
        result = page.evaluate(_MEASURE)
        if result["width"] > WIDTH + 1:
            culprits = "; ".join(result["culprits"]) or "no element found"
            wide.append(f"  {url}: {result['width']} px; widest: {culprits}")
        try:
            assert_accessible(page)
        except AssertionError as failure:  # every page's violations, not only the first's
            wide.append(f"  {failure}".split("\nassert")[0])
    page.close()
    return measured, wide


def _speak(app: Flask, matrix: Matrix, lang: str) -> None:
    """The matrix's accounts prefer ``lang`` (their preference wins over the browser's)."""
    ids = [int(value.split(":")[0]) for value in matrix.user_ids.values() if value]
    with app.app_context():
        for user in db.session.scalars(db.select(User).where(User.id.in_(ids))):
            user.preferred_language = lang
        db.session.commit()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_page_is_wider_than_a_phone_nor_inaccessible(
    browser: Any, live_server: Any, live_app: Flask, live_matrix: Matrix, capsys: Any, lang: str
) -> None:
    _speak(live_app, live_matrix, lang)
    problems, counts, seen = [], {}, set()
    started = time.monotonic()
    try:
        for role in ROLES:
            urls = _pages(live_matrix, role)
            if lang not in FULL:  # each distinct page once (its share of them)
                urls = [url for url in urls if url not in seen]
                seen.update(urls)
                urls = [url for url in urls if _in_share(url, lang)]
            context = browser.new_context(
                base_url=live_server.url, locale=lang, viewport={"width": WIDTH, "height": HEIGHT}
            )
            if role != "anonymous":
                context.add_cookies([_session_cookie(live_app, live_server.url, live_matrix, role)])
            counts[role], wide = _check(context, urls, lang)
            context.close()
            problems += [f"{role}:", *wide] if wide else []
    finally:
        _speak(live_app, live_matrix, LANGUAGES[0])
    with capsys.disabled():
        mode = "every page per role" if lang in FULL else "each page once"
        print(
            f"\n[{lang}] {mode}, at {WIDTH} px with axe: {counts} "
            f"in {time.monotonic() - started:.0f} s"
        )
    assert sum(counts.values()) and (lang in SHARED or counts["innovator"]), counts
    if lang in FULL:
        assert all(counts.values()), counts
    assert not problems, f"pages wider than {WIDTH} px or not in {lang}:\n" + "\n".join(problems)
