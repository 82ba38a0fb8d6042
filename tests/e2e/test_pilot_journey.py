"""E2E in Chromium, the whole way after the award (issue 17): results are released with Maple
as the Canadian track's winner; the track's admin records the award with its prize condition;
Maple's lead — who reads Tandem in French — sends the evidence; the admin approves it, the
award is paid; the admin offers Maple a pilot, the lead accepts it, posts an update and
consents to a public page; the host adds a KPI, records a measurement, signs off the kick-off
and consents too; a visitor finds the pilot's public page from the challenge page. axe-core
checks every page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from competitions.awards import reserves
from competitions.challenges.models import Challenge
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from tests.e2e.test_awards import CONDITION, PDF, _mail_saying, _released
from tests.e2e.test_team_registration import _page
from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture

pytestmark = pytest.mark.e2e


def _world(run: str) -> str:
    """Released results, a budget for success of the CA agency, Maple's lead in French."""
    from competitions.accounts.models import User

    slug = _released(run)
    challenge = db.session.query(Challenge).filter_by(slug=slug).one()
    admin = db.session.query(User).filter_by(email=f"ca-admin-{run}@agency.example").one()
    reserves.set_reserve(
        Actor(admin, ip="127.0.0.1"),
        challenge.tracks[0],
        reserves.ReserveData("500000", "CAD", {"en": "Pilots in test-beds."}, False),
    )
    lead = db.session.query(User).filter_by(email=f"maple-{run}@example.org").one()
    lead.preferred_language = "fr"
    db.session.commit()
    return slug


def test_from_results_to_a_public_pilot_page(
    browser: Any, live_server: Any, live_app: Any, smtp_server: SMTPCapture, tmp_path: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _world(run)
    team = f"Maple {run}"

    # The track's admin records Maple's award, with the track's prize condition.
    admin_ctx, admin = _page(browser, live_server, f"ca-admin-{run}@agency.example")
    admin.goto(f"/challenges/{slug}/manage")
    admin.get_by_role("link", name="Awards CA track").click()
    admin.wait_for_url("**/awards")
    admin.get_by_role("link", name=f"Record an award — {team}").click()
    admin.wait_for_url("**/awards/new**")
    assert admin.get_by_label(CONDITION).is_checked()
    admin.get_by_role("button", name="Record the award").click()
    admin.wait_for_load_state()
    assert "The award is recorded" in admin.locator("main").inner_text()
    assert_accessible(admin)
    award_url = admin.url

    # Maple's lead, in French, sends the evidence from the home page.
    team_ctx, lead = _page(browser, live_server, f"maple-{run}@example.org")
    assert lead.locator("html").get_attribute("lang") == "fr"
    home = lead.locator("section", has=lead.get_by_role("heading", name="Vos prix"))
    home.get_by_role("link").first.click()
    lead.wait_for_url("**/awards/*")
    assert_accessible(lead)
    lead.get_by_role("link", name="Envoyer le justificatif").click()
    lead.wait_for_load_state()
    evidence = tmp_path / "incorporation.pdf"
    evidence.write_bytes(PDF)
    lead.get_by_label(f"Fichier pour {CONDITION}").set_input_files(str(evidence))
    lead.get_by_role("button", name=f"Envoyer {CONDITION}").click()
    lead.wait_for_load_state()
    assert "Le document a été envoyé" in lead.locator("main").inner_text()
    assert_accessible(lead)

    # The admin approves the evidence, then the award, and records the payment.
    admin.goto(award_url)
    admin.get_by_role("link", name=f"Review it — {CONDITION}").click()
    admin.wait_for_load_state()
    admin.get_by_role("button", name=f"Record {CONDITION} — {team}").click()
    admin.wait_for_load_state()
    admin.goto(award_url)
    admin.get_by_role("button", name="Approve the award for payment").click()
    admin.wait_for_load_state()
    admin.get_by_label("Date of the payment").fill(clock.now().date().isoformat())
    admin.get_by_label("Payment reference").fill(f"EFT-{run}")
    admin.get_by_role("button", name="Record the payment").click()
    admin.wait_for_load_state()
    assert "Paid" in admin.locator("#payout-status").inner_text()
    assert_accessible(admin)

    # The admin offers Maple a pilot in the agency's test-bed.
    admin.get_by_role("link", name="Offer this winner a pilot").click()
    admin.wait_for_url("**/pilot")
    admin.get_by_label("Test-bed", exact=True).fill("Toronto water network")
    admin.get_by_label("Objectives").fill("Cut leak detection time.")
    admin.get_by_label("People involved at the host").fill("Ada Lovelace, programme manager")
    admin.get_by_label("Start date").fill(clock.now().date().isoformat())
    admin.get_by_label("Budget drawn from your budget for success").fill("50000")
    admin.get_by_role("button", name="Offer the pilot").click()
    admin.wait_for_url("**/pilots/*")
    pilot_url = admin.url
    assert "/pilots/" in _mail_saying(smtp_server, f"maple-{run}@example.org", "Toronto water")

    # The lead accepts, posts an update and consents to a public page (in French).
    lead.goto("/")
    pilots = lead.locator("section", has=lead.get_by_role("heading", name="Vos projets pilotes"))
    assert "en attente de votre réponse" in pilots.inner_text()
    pilots.get_by_role("link").first.click()
    lead.wait_for_url("**/pilots/*")
    lead.get_by_role("button", name="Accepter le projet pilote").click()
    lead.wait_for_load_state()
    assert "Vous avez accepté le projet pilote." in lead.locator("main").inner_text()
    lead.get_by_role("textbox", name="Point d\u2019étape").fill(
        "Capteurs posés dans trois quartiers."
    )
    lead.get_by_role("button", name="Publier le point d\u2019étape").click()
    lead.wait_for_load_state()
    assert "Votre point d\u2019étape est publié." in lead.locator("main").inner_text()
    lead.get_by_role("button", name="Consentir à une page publique au nom de l\u2019équipe").click()
    lead.wait_for_load_state()
    assert (
        "Votre consentement à la page publique est enregistré." in lead.locator("main").inner_text()
    )
    assert_accessible(lead)

    # The host adds a KPI, records a measurement, signs off the kick-off and consents.
    admin.goto(pilot_url)
    admin.get_by_label("KPI", exact=True).fill("Leak detection time")
    admin.get_by_label("Unit").fill("hours")
    admin.get_by_label("Shared key (optional)").fill("detection-time")
    admin.get_by_label("Baseline").fill("48")
    admin.get_by_label("Target").fill("6")
    admin.get_by_role("button", name="Add the KPI").click()
    admin.wait_for_load_state()
    admin.get_by_label("Value", exact=True).fill("31.5")
    admin.get_by_role("button", name="Record the measurement").click()
    admin.wait_for_load_state()
    assert "The measurement is recorded." in admin.locator("main").inner_text()
    admin.get_by_role("button", name="Sign off — Kick-off").click()
    admin.wait_for_load_state()
    assert "The milestone is signed off." in admin.locator("main").inner_text()
    admin.get_by_role("button", name="Consent for the host to a public page").click()
    admin.wait_for_load_state()
    assert_accessible(admin)
    # What the other partners read, and the comparison page (one host so far): axe-clean.
    admin.get_by_role("link", name="What the other partners see (summary)").click()
    admin.wait_for_url("**/summary")
    assert "Ada Lovelace" not in admin.locator("main").inner_text()
    assert_accessible(admin)
    admin.goto(award_url + "/pilots/compare")
    assert "detection-time" in admin.locator("#comparison").inner_text()
    assert_accessible(admin)
    admin.goto(pilot_url)
    admin.get_by_role("link", name="Open the public page").click()
    admin.wait_for_url("**/public")
    public_url = admin.url
    admin_ctx.close()
    team_ctx.close()

    # A visitor finds the public page from the challenge page: nothing personal on it.
    visitor_ctx, visitor = _page(browser, live_server)
    visitor.goto(f"/challenges/{slug}")
    visitor.get_by_role("link", name=f"{team}'s pilot at").click()
    visitor.wait_for_url("**/public")
    assert visitor.url == public_url
    main = visitor.locator("main").inner_text()
    assert "Capteurs posés dans trois quartiers." in main and "Kick-off" in main
    assert "Leak detection time" in main and "31.5" in main
    assert visitor.locator("figure svg").count() == 1
    for private in ("Ada Lovelace", "50,000", "maple-", f"EFT-{run}"):
        assert private not in main, private
    feeds = visitor.locator('head link[rel="alternate"][type="application/atom+xml"]')
    assert feeds.count() == 1
    assert_accessible(visitor)
    visitor_ctx.close()
