"""Breadcrumbs on every nested page, checked over the authorization matrix.

For every GET route that answers 200 with HTML to a role in the matrix (its world, its URLs,
its expected outcomes), a page whose URL is below the top level must carry the breadcrumb
trail: Home first, the current page last (marked ``aria-current``, not a link), and every
crumb link must open (200) for that same role. Top-level pages carry none.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, render_template_string, url_for
from flask.testing import FlaskClient

from competitions.agencies import services as agency_services
from competitions.agencies.models import AgencyInvitation
from competitions.challenges.models import PartnerInvitation
from competitions.challenges.services import partners
from competitions.core.extensions import db, limiter
from competitions.entries import team_invitations
from competitions.entries.models import TeamInvitation
from competitions.judging import panels
from competitions.judging.models import JudgeInvitation
from tests.conftest import rolled_back_database
from tests.test_authorization_matrix import EXPECT, ROLES, Matrix


@pytest.fixture(scope="module")
def matrix_world(app: Flask) -> Iterator[Matrix]:
    """The authorization matrix's world: its objects, users and each route's URL."""
    with rolled_back_database(app) as conn:
        yield Matrix(app, conn)


class Crumbs(HTMLParser):
    """The items of the page's breadcrumb list (``nav > ol.breadcrumb > li``)."""

    def __init__(self) -> None:
        super().__init__()
        self.navs = 0  # breadcrumb lists found
        self.labelled = False  # the nav around it has an aria-label
        self.items: list[dict[str, Any]] = []
        self._nav_label: str | None = None
        self._in_list = False
        self._item: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "nav":
            self._nav_label = a.get("aria-label")
        elif tag == "ol" and "breadcrumb" in (a.get("class") or "").split():
            self.navs += 1
            self.labelled = bool(self._nav_label)
            self._in_list = True
        elif tag == "li" and self._in_list:
            self._item = {"current": a.get("aria-current"), "href": None, "text": ""}
            self.items.append(self._item)
        elif tag == "a" and self._item is not None:
            self._item["href"] = a.get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "ol":
            self._in_list = False
        elif tag == "li":
            self._item = None

    def handle_data(self, data: str) -> None:
        if self._item is not None:
            self._item["text"] += data


def crumbs_of(html: str) -> Crumbs:
    parser = Crumbs()
    parser.feed(html)
    return parser


def is_nested(path: str) -> bool:
    return len([part for part in path.split("?")[0].split("/") if part]) > 1


def _client(app: Flask, user_id: str | None) -> FlaskClient:
    client = app.test_client()
    if user_id is not None:
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
    return client


def _get(app: Flask, matrix_world: Matrix, role: str, url: str) -> tuple[int, str, str]:
    """GET ``url`` as ``role`` in a SAVEPOINT rolled back afterwards (as the matrix's cases)."""
    savepoint = matrix_world.conn.begin_nested()
    limiter.reset()
    try:
        response = _client(app, matrix_world.user_ids[role]).get(url)
        status, mimetype = response.status_code, response.mimetype
        body = response.get_data(as_text=True) if mimetype == "text/html" else ""
        response.close()
        return status, mimetype, body
    finally:
        db.session.remove()
        savepoint.rollback()


def _problems(trail: Crumbs, url: str, opens: Any) -> list[str]:
    if trail.navs != 1 or not trail.labelled:
        return [f"{url}: {trail.navs} breadcrumb lists (one, in a labelled nav, expected)"]
    items = trail.items
    found = []
    if len(items) < 2 or items[0]["href"] != "/":
        found.append(f"{url}: the trail does not start at Home: {items}")
    last = items[-1]
    if last["current"] != "page" or last["href"] is not None:
        found.append(f"{url}: the last crumb is not the current page: {last}")
    found += [f"{url}: an empty crumb: {items}" for i in items if not i["text"].strip()]
    found += [f"{url}: a crumb marked current: {i}" for i in items[:-1] if i["current"]]
    for item in items[:-1]:
        if item["href"] and (status := opens(item["href"])) != 200:
            found.append(f"{url}: crumb {item['text'].strip()!r} → {item['href']} answers {status}")
    return found


def test_every_nested_page_has_a_working_trail(app: Flask, matrix_world: Matrix) -> None:
    opened: dict[tuple[str, str], int] = {}
    problems: list[str] = []
    checked = 0
    for (endpoint, method), outcomes in sorted(EXPECT.items()):
        for role in ROLES:
            if method != "GET" or outcomes[role] != 200:
                continue
            url = matrix_world.urls[endpoint]
            status, mimetype, body = _get(app, matrix_world, role, url)
            if status != 200 or mimetype != "text/html":
                continue

            def opens(href: str, role: str = role) -> int:
                if (role, href) not in opened:
                    opened[role, href] = _get(app, matrix_world, role, href)[0]
                return opened[role, href]

            trail = crumbs_of(body)
            if is_nested(url):
                checked += 1
                problems += [f"{endpoint} as {role}: {p}" for p in _problems(trail, url, opens)]
            elif trail.navs:
                problems.append(f"{endpoint} as {role}: a top-level page with breadcrumbs")
    assert not problems, "\n".join(problems)
    # Every nested HTML page of the matrix for some role: a guard against checking nothing.
    assert checked > 150, checked


def test_the_macro_marks_the_current_page_and_links_the_others(app: Flask) -> None:
    with app.test_request_context():
        html = render_template_string(
            '{% from "_macros/nav.html" import breadcrumbs %}{{ breadcrumbs(items) }}'
            "{{ breadcrumbs([]) }}",
            items=[("Home", "/"), ("Hidden <b>", None), ("Here", "/here")],
        )
    trail = crumbs_of(html)
    assert trail.navs == 1 and trail.labelled
    assert [(i["text"].strip(), i["href"], i["current"]) for i in trail.items] == [
        ("Home", "/", None),
        ("Hidden <b>", None, None),  # a page the viewer may not open: text, escaped
        ("Here", None, "page"),  # the current page: never a link
    ]
    assert "&lt;b&gt;" in html


def test_invitation_pages_have_a_working_trail(app: Flask, matrix_world: Matrix) -> None:
    """The pages an emailed invitation opens (a valid token; the matrix tries invalid ones)."""
    kinds = (
        (agency_services.INVITATIONS, AgencyInvitation),
        (partners.INVITATIONS, PartnerInvitation),
        (team_invitations.INVITATIONS, TeamInvitation),
        (panels.INVITATIONS, JudgeInvitation),
    )
    with app.test_request_context():
        urls = [
            url_for(kind.endpoint, token=kind.token(db.session.scalars(sa.select(model)).one()))
            for kind, model in kinds
        ]
        db.session.remove()
    problems, checked = [], 0
    for url in urls:
        for role in ("innovator", "admin_b"):  # (the anonymous are asked to sign in)
            status, _mimetype, body = _get(app, matrix_world, role, url)
            assert status == 200, (url, role, status)
            checked += 1
            opens = lambda href, role=role: _get(app, matrix_world, role, href)[0]  # noqa: E731
            problems += [f"{role}: {p}" for p in _problems(crumbs_of(body), url, opens)]
    assert not problems, "\n".join(problems)
    assert checked == 8


# Pages at the top level (and the pages of an error, which stand nowhere): no trail.
WITHOUT_TRAIL = {
    "home.html",
    "accounts/check_email.html",
    "accounts/forgot_password.html",
    "accounts/login.html",
    "accounts/profile.html",
    "accounts/register.html",
    "admin/home.html",
    "agencies/directory.html",
    "challenges/directory.html",
    "entries/my_teams.html",
    "judging/home.html",
    "errors/error.html",
    "accounts/link_problem.html",
    "outreach/link_problem.html",
}


def test_every_page_template_fills_the_trail_slot() -> None:
    """Also the pages the matrix cannot open with a 200 (registration and following are for
    published challenges; subscriptions and password resets need a valid token)."""
    root = Path(__file__).resolve().parents[1] / "templates"
    pages = {
        str(path.relative_to(root))
        for path in root.rglob("*.html")
        if '{% extends "base.html" %}' in path.read_text(encoding="utf-8")
    }
    without = {
        page
        for page in pages
        if "{% block breadcrumbs %}{{ breadcrumbs(" not in (root / page).read_text("utf-8")
    }
    assert without == WITHOUT_TRAIL
