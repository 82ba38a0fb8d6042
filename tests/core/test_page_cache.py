"""The public page cache: anonymous visitors share a rendering, never a CSRF token."""

from __future__ import annotations

import re
from typing import Any

import pytest

from competitions.core import page_cache
from competitions.core.extensions import db
from competitions.core.page_cache import TOKEN_PLACEHOLDER
from tests.factories import make_agency


@pytest.fixture
def cache_on(app: Any) -> Any:
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 60
    page_cache.clear()
    yield
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0
    page_cache.clear()


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_anonymous_pages_are_rendered_once_and_served_from_the_cache(
    app, client, world, cache_on, count_queries
):
    client.get("/challenges/")
    with count_queries() as q:
        response = client.get("/challenges/")
    assert response.status_code == 200
    assert q.count == 0  # nothing asked of the database
    assert response.headers["Vary"] == "Cookie, Accept-Language"


def test_each_visitor_gets_their_own_csrf_token_and_it_works(app, world, cache_on, csrf_enabled):
    first, second = app.test_client(), app.test_client()
    html_first = first.get("/challenges/").get_data(as_text=True)
    html_second = second.get("/challenges/").get_data(as_text=True)
    assert TOKEN_PLACEHOLDER not in html_first + html_second
    assert _token(html_first) != _token(html_second)
    switched = second.post(
        "/language",
        data={"lang": "fr", "next": "/challenges/", "csrf_token": _token(html_second)},
        headers={"Referer": "https://localhost/challenges/"},  # test requests are HTTPS
    )
    assert switched.status_code == 302
    # The French page is cached separately from the English one.
    assert '<html lang="fr" dir="ltr">' in second.get("/challenges/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in first.get("/challenges/").get_data(as_text=True)


def test_signed_in_users_and_flashes_bypass_the_cache(app, client, world, cache_on, login):
    client.get("/challenges/")
    make_agency("late-agency", name="Late Agency")
    db.session.commit()
    # Anonymous: still the cached rendering (no "Late Agency" in the agency filter).
    assert "Late Agency" not in client.get("/challenges/").get_data(as_text=True)
    login(world.innovator)  # leaves a "Welcome back" flash, then is signed in
    assert "Late Agency" in client.get("/challenges/").get_data(as_text=True)
    page_cache.clear()
    client.post("/logout")
    assert "Late Agency" in client.get("/challenges/").get_data(as_text=True)
