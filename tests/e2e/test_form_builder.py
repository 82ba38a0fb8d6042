"""E2E in Chromium: a lead admin builds a three-field submission form by clicking and typing
only, sees the live preview follow the typing, reorders it, checks the preview, and removes a
field after confirming; axe-core checks every builder page."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import expect

from competitions.core.extensions import db
from tests.e2e.test_team_registration import _page, _published_challenge
from tests.support.axe import assert_accessible


def _add(page: Any, kind: str, question: str) -> None:
    page.get_by_role("link", name="Add a field").click()
    assert_accessible(page)
    page.get_by_label(kind).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Question (English)").fill(question)


def test_a_lead_admin_builds_a_form_by_clicking(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _published_challenge(run)
        from competitions.challenges.models import Challenge

        challenge = db.session.query(Challenge).filter_by(slug=slug).one()
        challenge.rounds[0].form_fields = []
        languages = list(challenge.languages)
        db.session.commit()
    ctx, page = _page(browser, live_server, f"root-{run}@tandem.example")
    page.goto(f"/challenges/{slug}/manage")
    page.get_by_role("link", name="Submission form Phase 1").click()
    assert "No fields yet." in page.locator("main").inner_text()
    assert_accessible(page)

    _add(page, "Short text", "Project name")
    page.get_by_label("An answer is required").check()
    page.get_by_role("button", name="Save the field").click()
    assert "The field was added." in page.locator(".flashes").inner_text()

    _add(page, "One choice from a list", "Stage of the project")
    page.get_by_role("button", name="Save the field").click()  # no option: explained
    assert "Give at least one option a label." in page.locator(".error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Option (English)").fill("Idea")
    page.get_by_role("button", name="Add another option").click()
    page.get_by_label("Option (English)").nth(1).fill("Prototype")
    page.get_by_role("button", name="Save the field").click()

    _add(page, "Number", "People on the team")
    page.get_by_label("Smallest number allowed (optional)").fill("1")
    page.get_by_label("Largest number allowed (optional)").fill("50")
    # The live preview follows the typing, drawn by the server as entrants will see it.
    live = page.locator("#field-preview")
    page.get_by_label("Help text (English, optional)").fill("Count everyone.")
    expect(live.get_by_text("Count everyone.")).to_have_count(len(languages))
    expect(live.get_by_label("People on the team")).to_have_count(len(languages))
    assert page.get_by_role("button", name="Update the preview").is_hidden()
    assert_accessible(page)
    page.get_by_role("button", name="Save the field").click()

    # Reorder: the number goes up, above the choice.
    page.get_by_role("row", name="People on the team").get_by_role("button", name="Move up").click()
    assert "The field was moved." in page.locator(".flashes").inner_text()
    preview = page.locator(".form-preview")
    labels = preview.locator("label.form-label, legend.form-label").all_inner_texts()
    assert labels == ["Project name", "People on the team", "Stage of the project"]
    assert preview.get_by_label("Prototype").is_disabled()
    assert preview.get_by_label("Project name").is_disabled()
    assert_accessible(page)

    # Remove asks first.
    page.get_by_role("link", name="Remove People on the team").click()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, remove this field").click()
    assert "The field was removed." in page.locator(".flashes").inner_text()
    with live_app.app_context():
        challenge = db.session.query(Challenge).filter_by(slug=slug).one()
        fields = challenge.rounds[0].form_fields
        assert [f["key"] for f in fields] == ["project_name", "stage_of_the_project"]
        assert fields[0]["required"] is True
        assert [o["value"] for o in fields[1]["options"]] == ["idea", "prototype"]
    ctx.close()
