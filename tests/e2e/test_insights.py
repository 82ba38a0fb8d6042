"""E2E in Chromium: the lead's platform admin opens the insights from the challenge's console
and reads every chart with its table, in English and in French (axe-core on both); the CSV
downloaded from a chart's link holds the numbers of its table; a partner agency's member sees
their own track and the challenge's totals, not the other track."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest

from competitions.agencies.models import Agency, Membership, Role
from competitions.challenges.models import Challenge
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.entries.models import Entry
from competitions.judging import assignments, panels, reviews, rubrics
from competitions.judging.models import Judge
from competitions.submissions.models import Submission
from tests.e2e.test_judging import _judging_world
from tests.e2e.test_team_registration import _page, _user
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.e2e


def _judged(run: str) -> str:
    """The judging world with a rubric, two CA judges who scored Maple's submission, and a
    member of the US agency."""
    slug = _judging_world(run)
    challenge = db.session.query(Challenge).filter_by(slug=slug).one()
    root = _user(f"lead-{run}@tandem.example", "CA", "UTC", admin=True)
    db.session.flush()
    actor = Actor(root, ip="127.0.0.1")
    rubric = rubrics.rubric_for(challenge.rounds[0])
    assert rubric is not None
    for title in ("Innovation", "Feasibility"):
        rubrics.add_criterion(
            actor,
            challenge,
            rubric,
            rubrics.CriterionData({"en": title, "fr": title}, {}, "1", "0", "10", "1", {}),
        )
    panel = panels.panel_for(challenge, challenge.tracks[0])
    # This challenge's first submission (other e2e tests leave theirs in the live database).
    maple = (
        db.session.query(Submission)
        .join(Entry, Entry.id == Submission.entry_id)
        .filter(Entry.challenge_id == challenge.id)
        .order_by(Submission.id)
        .first()
    )
    assert maple is not None
    for n, scores in enumerate((("9", "8"), ("4", "5"))):
        person = _user(f"j{n}-{run}@university.example", "CA", "UTC")
        db.session.flush()
        judge = Judge(panel_id=panel.id, user_id=person.id, organisation="", expertise=[])
        db.session.add(judge)
        db.session.flush()
        a = assignments.assign_manually(actor, maple, judge)
        values = {c.id: v for c, v in zip(rubric.criteria, scores, strict=True)}
        reviews.save_review(Actor(person, ip="127.0.0.1"), a, values, "", "", True)
    _user(f"fr-{run}@tandem.example", "CA", "UTC", admin=True).preferred_language = "fr"
    us_agency = db.session.query(Agency).filter_by(slug=f"us-{run}").one()
    member = _user(f"partner-{run}@agency.example", "US", "UTC")
    db.session.flush()
    db.session.add(Membership(user=member, agency=us_agency, role=Role.STAFF))
    db.session.commit()
    return slug


def _table(page: Any, key: str) -> list[list[str]]:
    figure = page.locator(f"#figure-{key}")
    head = [c.inner_text().strip() for c in figure.locator("thead th").all()]
    rows = [
        [c.inner_text().strip() for c in row.locator("th, td").all()]
        for row in figure.locator("tbody tr").all()
    ]
    return [head, *rows]


def test_insights_in_chromium_with_tables_csv_and_french(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _judged(run)

    ctx, page = _page(browser, live_server, f"lead-{run}@tandem.example")
    page.goto(f"/challenges/{slug}/manage")
    page.get_by_role("link", name="Insights").click()
    page.wait_for_url("**/insights")
    assert page.get_by_role("heading", name=f"Insights of Food {run}").is_visible()
    assert page.locator("figure svg[role=img]").count() >= 8
    assert page.locator("[id^=figure-scores-] svg").count() == 1
    assert page.locator("[id^=figure-leniency-] svg").count() == 1
    assert_accessible(page)

    funnel_key = page.locator("[id^=figure-funnel-]").first.get_attribute("id")
    assert funnel_key is not None
    key = funnel_key.removeprefix("figure-")
    table = _table(page, key)
    assert table[0] == ["Stage", "CA track", "US track", "All tracks"]
    assert table[2] == ["Submitted", "2", "1", "3"]
    with page.expect_download() as download:
        page.locator(f"#figure-{key}").get_by_role("link", name="Download these numbers").click()
    path = download.value.path()
    with open(path, encoding="utf-8-sig") as f:
        assert list(csv.reader(io.StringIO(f.read()))) == table
    ctx.close()

    fr_ctx, fr = _page(browser, live_server, f"fr-{run}@tandem.example")
    fr.goto(f"/challenges/{slug}/insights")
    assert fr.locator("html").get_attribute("lang") == "fr"
    assert "Entonnoir" in fr.locator("main").inner_text()
    assert_accessible(fr)
    fr_ctx.close()

    partner_ctx, partner = _page(browser, live_server, f"partner-{run}@agency.example")
    partner.goto(f"/challenges/{slug}/insights")
    assert _table(partner, key)[0] == ["Stage", "US track", "All tracks"]
    assert "CA track" not in partner.locator("main").inner_text()
    assert_accessible(partner)
    partner_ctx.close()
