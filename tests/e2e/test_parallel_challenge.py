"""A lead agency creates a challenge, invites a partner, both configure their own tracks,
the lead publishes, and a visitor in Tokyo sees the rules side by side and the timeline in
their own time zone. axe-core checks every page on the way."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from competitions.accounts import passwords
from competitions.accounts.models import User, normalize_email
from competitions.agencies.models import Agency, Membership
from competitions.core import clock
from competitions.core.extensions import db
from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture

pytestmark = pytest.mark.e2e
PASSWORD = "a long enough passphrase"


def _agency_with_admin(slug: str, country: str, zone: str, email: str) -> None:
    agency = Agency(
        slug=slug, name=f"Agency {slug}", jurisdiction=country, timezone=zone, languages=["en"]
    )
    user = User(
        email=email,
        email_normalized=normalize_email(email),
        password_hash=passwords.hash_password(PASSWORD),
        display_name=f"Admin {slug}",
        country=country,
        timezone=zone,
        email_verified_at=clock.now(),
    )
    db.session.add_all([agency, user, Membership(user=user, agency=agency, role="admin")])
    db.session.commit()


def _sign_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def _save(page: Any, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    errors = page.locator(".error-summary")
    assert errors.count() == 0, errors.first.inner_text()


def _configure_track(
    page: Any,
    console_url: str,
    track_slug: str,
    email: str,
    amount: str,
    currency: str,
    country: str,
    recognition: bool,
) -> None:
    page.goto(f"{console_url.replace('/manage', '')}/tracks/{track_slug}/manage")
    assert_accessible(page)
    page.get_by_label("Contact email for entrants").fill(email)
    _save(page, "Save the settings")

    page.get_by_role("link", name="Eligibility rules").click()
    assert_accessible(page)
    # A new track's prizes are for its agency's country: already chosen, shown by name.
    chosen = page.get_by_role("list", name="Chosen").first
    assert chosen.inner_text().startswith(country)
    page.get_by_label("Minimum age").fill("18")
    if recognition:
        page.get_by_label("Entrants from elsewhere may take part for recognition").check()
    _save(page, "Save the rules")

    page.get_by_role("link", name="Add a prize").click()
    assert_accessible(page)
    page.get_by_label("Prize name (English)").fill("Grand prize")
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("Currency").select_option(currency)
    _save(page, "Save the prize")

    page.get_by_role("link", name="Terms and conditions").first.click()
    assert_accessible(page)
    page.get_by_label("Terms and conditions (Markdown) (English)").fill(
        f"## Rules\n\nResidents of {country} may win prizes."
    )
    _save(page, "Publish this version")
    _save(page, "Mark the track ready")
    assert page.get_by_text("The track is marked ready.").is_visible()
    assert_accessible(page)


def test_two_agencies_run_one_challenge_in_parallel(
    browser: Any, live_server: Any, live_app: Any, smtp_server: SMTPCapture
) -> None:
    run = uuid.uuid4().hex[:6]
    lead_email, partner_email = f"lead-{run}@north.example", f"admin-{run}@south.example"
    north, south = f"north-{run}", f"south-{run}"
    with live_app.app_context():
        _agency_with_admin(north, "CA", "America/Toronto", lead_email)
        _agency_with_admin(south, "US", "America/Chicago", partner_email)

    lead_ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    lead = lead_ctx.new_page()
    lead.set_default_timeout(15000)
    _sign_in(lead, lead_email)
    lead.goto(f"/agencies/{north}/challenges")
    assert_accessible(lead)
    lead.get_by_role("link", name="Create a challenge").click()
    assert_accessible(lead)
    lead.get_by_label("Short address").fill(f"food-{run}")
    lead.get_by_label("Title (English)").fill(f"Space Food {run}")
    lead.get_by_label("Summary (English)").fill("Feed the crew.")
    lead.get_by_label("Time zone of the shared timeline").select_option("America/Chicago")
    _save(lead, "Create the draft")
    console_url = lead.url
    assert console_url.endswith(f"/challenges/food-{run}/manage")
    assert_accessible(lead)

    # The shared timeline: one round, typed in Chicago time.
    lead.get_by_role("link", name="Add a round").click()
    assert_accessible(lead)
    lead.get_by_label("Round name (English)").fill("Phase 1")
    lead.get_by_label("Time zone of the dates below").select_option("America/Chicago")
    lead.get_by_label("Submissions open").fill("2040-04-01T09:00")
    lead.get_by_label("Submission deadline").fill("2040-07-30T17:00")
    lead.get_by_label("Judging closes").fill("2040-09-01T17:00")
    lead.get_by_label("Results released").fill("2040-10-01T17:00")
    _save(lead, "Save the round")

    # Invite the partner agency's administrator.
    lead.get_by_label("Email address of the partner agency's administrator").fill(partner_email)
    _save(lead, "Send invitation")
    link = SMTPCapture.link(smtp_server.wait_for(partner_email)[-1], "/partner-invitations/")

    _configure_track(
        lead,
        console_url,
        north,
        f"help@{north}.example",
        "30000",
        "CAD",
        "Canada",
        recognition=False,
    )

    partner_ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    partner = partner_ctx.new_page()
    partner.set_default_timeout(15000)
    _sign_in(partner, partner_email)
    partner.goto(link)
    assert_accessible(partner)
    partner.get_by_role("button", name="Add our track").click()
    partner.wait_for_url(f"**/tracks/{south}/manage")
    # A partner cannot touch the lead's track.
    response = partner.goto(f"/challenges/food-{run}/tracks/{north}/manage")
    assert response is not None and response.status == 404
    _configure_track(
        partner,
        console_url,
        south,
        f"help@{south}.example",
        "150000",
        "USD",
        "United States",
        recognition=True,
    )

    lead.goto(console_url)
    _save(lead, "Publish the challenge")
    assert lead.url.endswith(f"/challenges/food-{run}")
    assert_accessible(lead)

    visitor_ctx = browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Asia/Tokyo"
    )
    visitor = visitor_ctx.new_page()
    visitor.goto("/challenges/?status=upcoming")
    assert_accessible(visitor)
    visitor.get_by_role("link", name=f"Space Food {run}").click()
    visitor.wait_for_load_state()
    rules = visitor.get_by_role("table", name="Eligibility rules of each track")
    assert "Canada" in rules.inner_text() and "United States" in rules.inner_text()
    assert "Welcome, for recognition without prize money" in rules.inner_text()
    timeline = visitor.get_by_role("table", name="The same instants in each track's legal time")
    text = timeline.inner_text()
    assert "30 Jul 2040 17:00 CDT" in text  # the partner's legal time (Chicago)
    assert "30 Jul 2040 18:00 EDT" in text  # the lead's legal time (Toronto)
    assert "31 Jul 2040" in text and "07:00" in text  # the visitor's own time, in Tokyo
    assert visitor.locator("svg.timeline-svg").is_visible()
    assert "30,000.00" in visitor.content() and "CAD" in visitor.content()
    assert_accessible(visitor)

    # Where do we belong? A team from Germany: the US track, for recognition only.
    visitor.get_by_label("Member 1: country of residence").select_option("DE")
    visitor.get_by_label("Member 1: age").fill("30")
    visitor.get_by_role("button", name="Check").click()
    visitor.wait_for_load_state()
    result = visitor.locator("section[aria-labelledby=where]").inner_text()
    assert "Your track:" in result and "Eligible for recognition only" in result
    assert_accessible(visitor)
    for ctx in (lead_ctx, partner_ctx, visitor_ctx):
        ctx.close()
