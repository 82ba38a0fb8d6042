"""E2E in Chromium: Maple's award exists (released results, the Canadian track); the track's
agency, which reserved a budget for success, offers Maple a pilot from the award's page; Maple's
lead finds the offer on the home page and accepts it (the budget is drawn); the lead posts a
status update; the host adds a KPI and records a measurement (charted) and signs off the
kick-off milestone. axe-core checks every page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from competitions.agencies.models import Agency
from competitions.awards import reserves
from competitions.awards import services as award_services
from competitions.challenges.models import Challenge
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.entries.models import Entry, Team
from tests.e2e.test_awards import _mail_saying, _released
from tests.e2e.test_team_registration import _page
from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture

pytestmark = pytest.mark.e2e


def _awarded(run: str) -> int:
    """Maple's award in the CA track (no condition), and the CA agency's budget for success."""
    from competitions.accounts.models import User

    slug = _released(run)
    challenge = db.session.query(Challenge).filter_by(slug=slug).one()
    track = challenge.tracks[0]
    admin = db.session.query(User).filter_by(email=f"ca-admin-{run}@agency.example").one()
    actor = Actor(admin, ip="127.0.0.1")
    maple = (
        db.session.query(Entry)
        .join(Team, Team.id == Entry.team_id)
        .filter(Entry.track_id == track.id, Team.name == f"Maple {run}")
        .one()
    )
    award = award_services.record_award(
        actor,
        track,
        award_services.AwardData(
            f"{challenge.rounds[0].id}:{maple.id}", track.prizes[0].id, "150000", "CAD", []
        ),
    )
    reserves.set_reserve(
        actor, track, reserves.ReserveData("500000", "CAD", {"en": "Pilots in test-beds."}, False)
    )
    db.session.commit()
    assert db.session.query(Agency).filter_by(slug=f"ca-{run}").one()
    return award.id


def test_pilot_offered_accepted_updated_measured_signed_off(
    browser: Any, live_server: Any, live_app: Any, smtp_server: SMTPCapture
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        award_id = _awarded(run)
    team = f"Maple {run}"

    # The host (the track's agency) offers Maple a pilot from the award's page.
    admin_ctx, admin = _page(browser, live_server, f"ca-admin-{run}@agency.example")
    admin.goto(f"/awards/{award_id}")
    admin.get_by_role("link", name="Offer this winner a pilot").click()
    admin.wait_for_url("**/pilot")
    assert "Budget for success of" in admin.locator("main").inner_text()
    assert_accessible(admin)
    admin.get_by_role("button", name="Offer the pilot").click()  # nothing filled in
    admin.wait_for_load_state()
    assert "Name the test-bed." in admin.locator("main").inner_text()
    assert_accessible(admin)
    admin.get_by_label("Test-bed", exact=True).fill("Toronto water network")
    admin.get_by_label("Objectives").fill("Cut leak detection time.")
    admin.get_by_label("People involved at the host").fill("Ada, programme manager")
    admin.get_by_label("Start date").fill(clock.now().date().isoformat())
    admin.get_by_label("Budget drawn from your budget for success").fill("900000")
    admin.get_by_role("button", name="Offer the pilot").click()
    admin.wait_for_load_state()
    assert "is left in this budget" in admin.locator("main").inner_text()
    admin.get_by_label("Budget drawn from your budget for success").fill("50000")
    admin.get_by_role("button", name="Offer the pilot").click()
    admin.wait_for_url("**/pilots/*")
    assert "The pilot is offered" in admin.locator("main").inner_text()
    assert team in admin.locator("h1").inner_text()
    assert_accessible(admin)
    pilot_url = admin.url
    assert "/pilots/" in _mail_saying(smtp_server, f"maple-{run}@example.org", "Toronto water")

    # Maple's lead finds the offer at home and accepts it; then posts a status update.
    team_ctx, lead = _page(browser, live_server, f"maple-{run}@example.org")
    home = lead.locator("section", has=lead.get_by_role("heading", name="Your pilots"))
    assert "waiting for your answer" in home.inner_text()
    assert_accessible(lead)
    home.get_by_role("link").first.click()
    lead.wait_for_url("**/pilots/*")
    assert_accessible(lead)
    lead.get_by_role("button", name="Accept the pilot").click()
    lead.wait_for_load_state()
    assert "You accepted the pilot." in lead.locator("main").inner_text()
    assert "Under way" in lead.locator("#pilot-status").inner_text()
    lead.get_by_role("textbox", name="Status update").fill("Sensors installed in three districts.")
    lead.get_by_role("button", name="Post the update").click()
    lead.wait_for_load_state()
    assert "Your update is posted." in lead.locator("main").inner_text()
    assert_accessible(lead)

    # The host adds a KPI, records a measurement (charted) and signs off the kick-off.
    admin.goto(pilot_url)
    assert "Sensors installed in three districts." in admin.locator("main").inner_text()
    admin.get_by_label("KPI", exact=True).fill("Leak detection time")
    admin.get_by_label("Unit").fill("hours")
    admin.get_by_label("Baseline").fill("48")
    admin.get_by_label("Target").fill("6")
    admin.get_by_role("button", name="Add the KPI").click()
    admin.wait_for_load_state()
    assert "The KPI is added." in admin.locator("main").inner_text()
    admin.get_by_label("Value", exact=True).fill("31.5")
    admin.get_by_role("button", name="Record the measurement").click()
    admin.wait_for_load_state()
    assert "The measurement is recorded." in admin.locator("main").inner_text()
    assert admin.locator("figure svg").count() == 1
    assert "31.5" in admin.locator("figure table").inner_text()
    assert_accessible(admin)
    admin.get_by_role("button", name="Sign off — Kick-off").click()
    admin.wait_for_load_state()
    assert "The milestone is signed off." in admin.locator("main").inner_text()
    history = admin.locator("section", has=admin.get_by_role("heading", name="History"))
    assert (
        "Offer accepted" in history.inner_text() and "Milestone signed off" in history.inner_text()
    )
    assert_accessible(admin)
    admin_ctx.close()
    team_ctx.close()
