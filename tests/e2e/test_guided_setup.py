"""Guided set-up (issue 14, point 3): two agencies set up a Deep Space Food-shaped challenge
(a NASA-like lead, a CSA-like partner) by clicking and typing only, led by the set-up
checklist. Starting state: two agencies, each with one administrator, nothing else. The lead
starts at ``/``; the partner opens the invitation link from the email it received. Every page
load and every form submission (a POST) of each agency is counted; the figures are printed
(``pytest -s``) and written to ``instance/guided-setup.txt``; the total must stay at most 25
form submissions."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from tests.e2e.test_parallel_challenge import _agency_with_admin
from tests.e2e.test_team_registration import _sign_in
from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture

pytestmark = pytest.mark.e2e
MAX_FORMS = 25
FIGURES = Path(__file__).resolve().parents[2] / "instance" / "guided-setup.txt"


@dataclass
class Tally:
    """Page loads and form submissions (POST requests) of one agency's browser page."""

    pages: int = 0
    forms: int = 0
    counting: bool = False

    def watch(self, page: Any) -> None:
        def loaded(_page: Any) -> None:
            if self.counting:
                self.pages += 1

        def requested(request: Any) -> None:
            if self.counting and request.method == "POST":
                self.forms += 1

        page.on("load", loaded)
        page.on("request", requested)


def _page(browser: Any, live_server: Any, email: str) -> tuple[Any, Any, Tally]:
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    tally = Tally()
    tally.watch(page)
    _sign_in(page, email)  # the starting state: signed in, not counted
    return ctx, page, tally


def _click(page: Any, role: str, name: str, exact: bool = False) -> None:
    page.get_by_role(role, name=name, exact=exact).first.click()
    page.wait_for_load_state()
    errors = page.locator(".error-summary")
    assert errors.count() == 0, errors.first.inner_text()


def _step(page: Any, title: str) -> None:
    """Follow the checklist's next step for this agency (it must be ``title``) to its page."""
    _click(page, "link", f"Your next step: {title}", exact=True)
    assert_accessible(page)


def _choose_place(page: Any, label: str, typed: str, expected: str) -> None:
    """Type part of a place's name in the searchable picker and choose it with Enter."""
    page.get_by_role("combobox", name=label).focus()
    page.keyboard.type(typed)
    page.get_by_role("listbox", name=label).get_by_role("option").first.wait_for()
    page.keyboard.press("Enter")
    assert expected in page.get_by_role("list", name="Chosen").nth(1).inner_text()


def _track(page: Any, title: str, rules: Any, prize: tuple[str, str], terms: str) -> None:
    """Rules, prize and terms of one agency's track, from its step of the checklist."""
    _step(page, title)
    _click(page, "link", "Eligibility rules")
    assert_accessible(page)
    rules(page)
    page.get_by_label("Minimum age").fill("18")
    _click(page, "button", "Save the rules")
    page.get_by_role("link", name="Add a prize").click()
    page.get_by_label("Prize name (English)").fill("Grand prize")
    page.get_by_label("Amount").fill(prize[0])
    assert page.get_by_label("Currency").input_value() == prize[1]  # the agency's country's
    _click(page, "button", "Save the prize")
    page.get_by_role("link", name="Terms and conditions").first.click()
    page.get_by_label("Terms and conditions (Markdown) (English)").fill(terms)
    _click(page, "button", "Publish this version")
    _click(page, "button", "Mark the track ready")
    assert "The track is marked ready." in page.locator(".flashes").inner_text()
    assert page.url.endswith("/manage#setup")  # on to the next step


def _nasa_rules(page: Any) -> None:
    chosen = page.get_by_role("list", name="Chosen").first
    assert chosen.inner_text().strip() == "United States (US)"  # from the agency
    # Residents of Canada apply to CSA; everyone else may take part for recognition.
    _choose_place(page, "Excluded countries", "canad", "Canada (CA)")
    page.get_by_label("Entrants from elsewhere may take part for recognition").check()


def _csa_rules(page: Any) -> None:
    chosen = page.get_by_role("list", name="Chosen").first
    assert chosen.inner_text().strip() == "Canada (CA)"
    page.get_by_label("Condition on receiving a prize (English)").fill(
        "Winners form a legal entity in Canada."
    )


def _add_field(page: Any, kind: str, question: str) -> None:
    page.get_by_role("link", name="Add a field").click()
    page.get_by_label(kind).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Question (English)").fill(question)
    page.get_by_label("An answer is required").check()


def _criterion(page: Any, title: str) -> None:
    page.get_by_label("Title (English)").fill(title)
    _click(page, "button", "Add the criterion")


def _lead_creates(page: Any, run: str, partner_email: str) -> str:
    page.get_by_role("link", name="New challenge").first.click()
    assert_accessible(page)
    page.get_by_label("Short address").fill(f"dsfc-{run}")
    page.get_by_label("Title (English)").fill(f"Deep Space Food {run}")
    page.get_by_label("Summary (English)").fill("Food for long missions.")
    _click(page, "button", "Create the draft")
    assert_accessible(page)
    console = str(page.url)
    page.get_by_label("Email address of the partner agency's administrator").fill(partner_email)
    _click(page, "button", "Send invitation")
    return console


def _lead_builds(page: Any) -> None:
    _step(page, "Shared timeline")  # straight to the form of the first round
    page.get_by_label("Round name (English)").fill("Phase 1")
    page.get_by_label("Submissions open").fill("2040-04-01T09:00")
    page.get_by_label("Submission deadline").fill("2040-07-30T17:00")
    page.get_by_label("Judging closes").fill("2040-09-01T17:00")
    page.get_by_label("Results released").fill("2040-10-01T17:00")
    _click(page, "button", "Save the round")

    _step(page, "Submission form: Phase 1")
    _add_field(page, "Short text", "Name of the food system")
    _click(page, "button", "Save the field")
    _add_field(page, "File upload", "Technical description")
    page.get_by_label("PDF").check()
    _click(page, "button", "Save the field")
    assert_accessible(page)
    _click(page, "link", "Continue the set-up")

    _step(page, "Rubric: Phase 1")
    _criterion(page, "Nutrition")
    _criterion(page, "Acceptability")
    assert_accessible(page)
    _click(page, "link", "Continue the set-up")


def _invite_judge(page: Any, step: str, email: str) -> None:
    _step(page, step)
    page.get_by_label("Judge's email address").fill(email)
    _click(page, "button", "Invite as judge")
    assert_accessible(page)
    _click(page, "link", "Continue the set-up")


def _to_console(page: Any, run: str) -> None:
    """From any page: home (the brand), then the challenge among the agency's own."""
    _click(page, "link", "Tandem")
    home = page.get_by_role("region", name="Your agencies' challenges")
    home.get_by_role("link", name=f"Deep Space Food {run}").click()
    page.wait_for_load_state()


def _steps_done(page: Any) -> list[str]:
    checklist = page.get_by_role("region", name="Set-up complete")
    checklist.get_by_text("Show the steps").click()
    return checklist.locator("li .badge").all_inner_texts()


def test_two_agencies_set_up_a_parallel_challenge_by_clicking(
    browser: Any, live_server: Any, live_app: Any, smtp_server: SMTPCapture
) -> None:
    started = time.monotonic()
    run = uuid.uuid4().hex[:6]
    lead_email, partner_email = f"lead-{run}@nasa.example", f"admin-{run}@csa.example"
    nasa, csa = f"nasa-{run}", f"csa-{run}"
    with live_app.app_context():
        _agency_with_admin(nasa, "US", "America/New_York", lead_email)
        _agency_with_admin(csa, "CA", "America/Toronto", partner_email)
    lead_ctx, lead, lead_tally = _page(browser, live_server, lead_email)
    partner_ctx, partner, partner_tally = _page(browser, live_server, partner_email)
    lead_tally.counting = partner_tally.counting = True

    # The lead: from the home page to the draft, and the partner invited.
    lead.goto("/")
    console = _lead_creates(lead, run, partner_email)
    link = SMTPCapture.link(smtp_server.wait_for(partner_email)[-1], "/partner-invitations/")
    _track(
        lead,
        f"Track: Agency {nasa} (rules, prizes, terms)",
        _nasa_rules,
        ("1500000", "USD"),
        "## Rules\n\nResidents of the United States may win prizes.",
    )
    _lead_builds(lead)
    _invite_judge(lead, f"Panel of Agency {nasa}", f"judge-{run}@nasa.example")

    # The partner: the link in its email, then its own track and panel, from its checklist.
    partner.goto(link)
    assert_accessible(partner)
    _click(partner, "button", "Add our track")
    partner.get_by_label("Contact email for entrants").fill(f"help@{csa}.example")
    partner.get_by_label("Legal time zone").select_option("America/Toronto")
    _click(partner, "button", "Save the settings")
    partner.get_by_role("link", name=f"Deep Space Food {run}").first.click()
    _track(
        partner,
        f"Track: Agency {csa} (rules, prizes, terms)",
        _csa_rules,
        ("300000", "CAD"),
        "## Rules\n\nResidents of Canada may win prizes.",
    )
    _invite_judge(partner, f"Panel of Agency {csa}", f"judge-{run}@csa.example")

    # The lead publishes: back later from the home page, where the draft waits.
    _to_console(lead, run)
    _step(lead, "Publish")
    _click(lead, "button", "Publish the challenge")
    lead_tally.counting = partner_tally.counting = False

    total = lead_tally.forms + partner_tally.forms
    figures = (
        f"set-up: lead {lead_tally.forms} forms / {lead_tally.pages} pages, "
        f"partner {partner_tally.forms} forms / {partner_tally.pages} pages, "
        f"total {total} forms / {lead_tally.pages + partner_tally.pages} pages, "
        f"{time.monotonic() - started:.1f} s"
    )
    print(figures)
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(figures + "\n")
    assert total <= MAX_FORMS, figures
    for judge in (f"judge-{run}@nasa.example", f"judge-{run}@csa.example"):
        assert SMTPCapture.link(smtp_server.wait_for(judge)[-1], "/judging/invitations/")

    # Both agencies, back from their home page, see every step done.
    for page in (lead, partner):
        _to_console(page, run)
        assert page.url == console
        badges = _steps_done(page)
        assert len(badges) >= 10 and set(badges) == {"Done"}, badges
        assert_accessible(page)

    # Public: an anonymous visitor finds it among the upcoming challenges, with both tracks.
    visitor_ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    visitor = visitor_ctx.new_page()
    visitor.goto("/challenges/?status=upcoming")
    _click(visitor, "link", f"Deep Space Food {run}")
    rules = visitor.get_by_role("table", name="Eligibility rules of each track").inner_text()
    assert f"Agency {nasa}" in rules and f"Agency {csa}" in rules
    with live_app.app_context():
        challenge = db.session.query(Challenge).filter_by(slug=f"dsfc-{run}").one()
        assert challenge.is_published
        assert [f["type"] for f in challenge.rounds[0].form_fields] == ["short_text", "file"]
    for ctx in (lead_ctx, partner_ctx, visitor_ctx):
        ctx.close()
