"""Every page a role can use is reachable by links from ``/`` within three clicks.

For each role of the authorization matrix, in the matrix's world, a crawler signed in as that
role starts at ``/`` and follows the ``<a href>`` links of each page (same origin, GET),
breadth first, to a depth of three clicks. Each URL reached is mapped to its endpoint. Every GET
route that the matrix says the role gets (200) must be among them, except the few that are not
reached by a link, each named below with its reason. A redirect costs no click (a link to
``/judging/<slug>/1`` that opens the judge's review counts for both). No route needs a query
string to be found (queries filter, page or pick a stage), so each path is read once, with the
query of the first link to it.

Pages opened from an emailed signed link (invitations, email checks, password reset,
subscriptions) are not in a role's set: the matrix opens them with an invalid token (400), and
each domain's tests follow the link in the email they send.

Removing a link that a route depends on fails this test with the routes that became unreachable.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter, RequestRedirect

from competitions.core.extensions import db, limiter
from tests.conftest import BASE_URL, rolled_back_database
from tests.test_authorization_matrix import EXPECT, ROLES, Matrix

CLICKS = 3

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}

# Routes a role may use that it does not reach by a link, for whom, and why. Keep it short: a
# page that a person must find belongs in a page body, not here.
NOT_LINKED: dict[str, tuple[frozenset[str], str]] = {
    "static": (EVERYONE, "stylesheets, scripts and icons that pages load, not pages"),
    "bootstrap.static": (EVERYONE, "Bootstrap's stylesheet, loaded by every page"),
    "core.healthz": (EVERYONE, "a liveness check for the load balancer"),
    "core.readyz": (EVERYONE, "a readiness check for the load balancer"),
    "agencies.logo": (EVERYONE, "an image that agency pages show (<img>), not a page"),
    "accounts.check_email": (
        EVERYONE,
        "the answer to the registration and email-change forms (tests/accounts)",
    ),
    "outreach.announcement_progress": (
        frozenset({"staff_a", "admin_a", "admin_b", "platform_admin"}),
        "JSON that a released announcement's page polls for its delivery bar "
        "(data-progress-url), not a page; the announcement page itself is linked",
    ),
    "accounts.forgot_password": (
        SIGNED_IN,
        "for people who cannot sign in: linked from the sign-in page (anonymous reaches it); "
        "signed in, one changes one's password from one's account",
    ),
    "accounts.two_step_recovery_codes": (
        SIGNED_IN - {"innovator"},
        "linked from the two-step page once two-step sign-in is on: in the matrix only the "
        "innovator has it (a passkey), and reaches it",
    ),
    "accounts.two_step_disable": (
        SIGNED_IN - {"innovator"},
        "as the recovery codes: only once two-step sign-in is on",
    ),
    "formats.robots_txt": (EVERYONE, "for crawlers, which ask for /robots.txt by convention"),
    "formats.sitemap_xml": (EVERYONE, "for crawlers: /robots.txt names it, not a page for people"),
    "pilots.compare": (
        SIGNED_IN - {"judge"},
        "linked from the pilots' and the award's pages once the winner pilots in two hosts or "
        "more; the matrix winner has one pilot (tests/pilots follow the links)",
    ),
    "judging.home": (
        SIGNED_IN - {"judge"},
        "the judges' home, in the navigation of people who sit on a panel (the judge); "
        "it has nothing for anyone else",
    ),
}

ORIGINS = {"localhost", urlsplit(BASE_URL).netloc}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


@dataclass
class Crawl:
    """What a role reached: each endpoint with the fewest clicks it took, and the pages read."""

    reached: dict[str, int] = field(default_factory=dict)
    pages: int = 0


def _local(url: str, base: str) -> str | None:
    """The path and query of a same-origin link (no fragment), or None for another site."""
    parts = urlsplit(urljoin(base, url))
    if parts.scheme not in {"http", "https", ""} or (parts.netloc and parts.netloc not in ORIGINS):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _endpoint(adapter: MapAdapter, url: str) -> str | None:
    try:
        endpoint, _args = adapter.match(urlsplit(url).path, method="GET")
    except RequestRedirect as moved:
        return _endpoint(adapter, moved.new_url)
    except HTTPException:
        return None
    return str(endpoint)


def crawl(app: Flask, user_id: str | None) -> Crawl:
    client = app.test_client()
    if user_id is not None:
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
    adapter = app.url_map.bind(urlsplit(BASE_URL).netloc)
    result = Crawl()
    seen: set[str] = {"/"}
    queue: deque[tuple[str, int]] = deque([("/", 0)])
    while queue:
        url, clicks = queue.popleft()
        response = client.get(url)
        result.pages += 1
        if response.status_code in {301, 302, 303, 307, 308}:
            target = _local(response.headers["Location"], url)
            if target is not None and urlsplit(target).path not in seen:
                seen.add(urlsplit(target).path)
                queue.appendleft((target, clicks))  # a redirect costs no click
            response.close()
            continue
        if response.status_code != 200:
            response.close()
            continue
        endpoint = _endpoint(adapter, url)
        if endpoint is not None and endpoint not in result.reached:
            result.reached[endpoint] = clicks
        if clicks < CLICKS and response.mimetype == "text/html":
            for href in links_of(response.get_data(as_text=True)):
                target = _local(href, url)
                if target is None or urlsplit(target).path in seen:
                    continue
                seen.add(urlsplit(target).path)
                queue.append((target, clicks + 1))
        response.close()
    return result


def usable(role: str) -> set[str]:
    """The GET routes the matrix lets the role use."""
    return {
        endpoint
        for (endpoint, method), outcome in EXPECT.items()
        if method == "GET" and outcome[role] == 200
    }


@pytest.fixture(scope="module")
def matrix(app: Flask) -> Iterator[Matrix]:
    with rolled_back_database(app) as conn:
        yield Matrix(app, conn)


@pytest.mark.parametrize("role", ROLES)
def test_every_usable_route_is_linked_within_three_clicks(
    app: Flask, matrix: Matrix, role: str
) -> None:
    savepoint = matrix.conn.begin_nested()
    limiter.reset()
    try:
        result = crawl(app, matrix.user_ids[role])
    finally:
        db.session.remove()
        savepoint.rollback()
    excluded = {e for e, (roles, _why) in NOT_LINKED.items() if role in roles}
    wanted = usable(role) - excluded
    missing = sorted(wanted - result.reached.keys())
    needless = sorted(excluded & result.reached.keys())
    reached = len(wanted & result.reached.keys())
    print(f"{role}: reached {reached} of {len(wanted)} ({result.pages} pages read)")
    assert not missing, f"{role} cannot reach by links from / within {CLICKS} clicks: {missing}"
    assert not needless, f"{role} reaches these by links: drop them from NOT_LINKED: {needless}"


def test_each_exclusion_is_of_a_route_its_roles_can_use() -> None:
    stale = sorted(
        (endpoint, role)
        for endpoint, (roles, _why) in NOT_LINKED.items()
        for role in roles
        if endpoint not in usable(role)
    )
    assert not stale, f"exclusions for routes these roles cannot use: {stale}"
