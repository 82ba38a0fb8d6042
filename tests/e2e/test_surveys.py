"""E2E in Chromium: the Canadian agency's admin opens Surveys from the challenge's console,
creates a named survey of the CA track, adds a multiple-choice question with the round form
builder's pages and sends it; an entrant follows the emailed link, answers once (a second
visit says so); the admin reads the response rate and the chart of the answers. axe-core on
every page."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from competitions.agencies.models import Agency, Membership, Role
from competitions.core.extensions import db
from tests.e2e.test_judging import _judging_world
from tests.e2e.test_team_registration import _page, _user
from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture

pytestmark = pytest.mark.e2e


def test_an_agency_admin_surveys_entrants_and_reads_the_results(
    browser: Any, live_server: Any, live_app: Any, smtp_server: SMTPCapture
) -> None:
    run = uuid.uuid4().hex[:6]
    admin_email, maple = f"ca-admin-{run}@agency.example", f"maple-{run}@example.org"
    with live_app.app_context():
        slug = _judging_world(run)
        ca = db.session.query(Agency).filter_by(slug=f"ca-{run}").one()
        admin = _user(admin_email, "CA", "America/Toronto")
        db.session.flush()
        db.session.add(Membership(user=admin, agency=ca, role=Role.ADMIN))
        db.session.commit()

    ctx, page = _page(browser, live_server, admin_email)
    page.goto(f"/challenges/{slug}/manage")
    page.get_by_role("link", name="Surveys", exact=True).click()
    page.wait_for_url("**/surveys")
    assert_accessible(page)
    page.get_by_role("link", name="Create a survey").click()
    page.get_by_role("button", name="Create the survey").click()  # no title: explained
    assert "title in at least one language" in page.locator(".error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Whose people are asked").select_option(label="CA track")
    page.get_by_label("Title (English)").fill(f"Phase 1 feedback {run}")
    page.get_by_label("Named: each response").check()
    page.get_by_role("button", name="Create the survey").click()
    page.wait_for_url("**/surveys/*")
    assert "Sent now, it would ask 2 people." in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Add a question").click()
    page.get_by_label("One choice from a list").check()
    page.get_by_role("button", name="Continue").click()
    assert "File upload" not in page.locator("main").inner_text()
    page.get_by_label("Question (English)").fill("Would you enter again?")
    page.get_by_label("Option (English)").fill("Yes")
    page.get_by_role("button", name="Add another option").click()
    page.get_by_label("Option (English)").nth(1).fill("No")
    assert_accessible(page)
    page.get_by_role("button", name="Save the question", exact=True).last.click()
    page.wait_for_url("**/surveys/*")
    assert "Would you enter again?" in page.locator("main").inner_text()
    page.get_by_role("button", name="Send the survey now").click()
    page.wait_for_load_state()
    assert "2 invitations are on their way" in page.locator(".flashes").inner_text()
    assert_accessible(page)

    (invitation,) = smtp_server.wait_for(maple)
    assert invitation["Subject"] == f"Phase 1 feedback {run}"
    link = next(
        line for line in SMTPCapture.text(invitation).splitlines() if "/surveys/" in line
    ).strip()
    entrant_ctx, entrant = _page(browser, live_server, maple)
    assert entrant.get_by_role("link", name=f"Phase 1 feedback {run}").is_visible()  # home
    entrant.goto(urlsplit(link).path)
    assert_accessible(entrant)
    entrant.get_by_label("Yes").check()
    entrant.get_by_role("button", name="Send my answers").click()
    entrant.wait_for_load_state()
    assert "Thank you: your answers are recorded." in entrant.locator("main").inner_text()
    assert_accessible(entrant)
    entrant.goto(urlsplit(link).path)
    assert "already answered" in entrant.locator("main").inner_text()
    entrant_ctx.close()

    page.get_by_role("link", name="See the results and response rates").click()
    page.wait_for_url("**/results")
    rates = page.locator("section", has=page.get_by_role("heading", name="Response rates"))
    first = [
        c.inner_text().strip() for c in rates.locator("tbody tr").first.locator("th, td").all()
    ]
    assert first == ["All tracks", "2", "1", "50%"]
    assert page.locator("figure svg[role=img]").count() == 1
    assert_accessible(page)
    ctx.close()
