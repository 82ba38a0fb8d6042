"""E2E in Chromium: a person asks CSA a question; CSA answers it for the whole challenge,
first without French (blocked, explained), then in both languages; NASA, the lead agency,
approves it from its queue; the answer appears on NASA's track page in English and on CSA's
in French, without the asker's name. axe-core checks every page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from competitions.agencies.models import Agency, Membership
from competitions.challenges import services
from competitions.challenges.services import tracks as track_services
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from tests.e2e.test_team_registration import _sign_in, _user
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.e2e


def _challenge(run: str) -> str:
    """NASA leads (English); CSA runs a track in English and French. Published."""
    root = _user(f"root-{run}@tandem.example", "US", "UTC", admin=True)
    nasa = Agency(
        slug=f"nasa-{run}",
        name=f"NASA {run}",
        jurisdiction="US",
        timezone="America/Chicago",
        languages=["en"],
    )
    csa = Agency(
        slug=f"csa-{run}",
        name=f"CSA {run}",
        jurisdiction="CA",
        timezone="America/Toronto",
        languages=["en", "fr"],
    )
    db.session.add_all([nasa, csa])
    db.session.flush()
    actor = Actor(root, ip="127.0.0.1")
    challenge = services.create_challenge(
        actor,
        nasa,
        f"food-{run}",
        services.Texts({"en": f"Food {run}", "fr": f"Nourriture {run}"}, {}, {}),
    )
    track_nasa = challenge.tracks[0]
    track_csa = services.new_track(challenge, csa, 1)
    db.session.flush()
    for track, names, langs in (
        (track_nasa, {"en": "NASA track"}, ["en"]),
        (track_csa, {"en": "CSA track", "fr": "Volet de l'ASC"}, ["en", "fr"]),
    ):
        track_services.update_track(
            actor,
            track,
            track_services.TrackSettings(names, {}, langs, "help@example.org", track.timezone, {}),
        )
    nasa_admin = _user(f"nasa-{run}@example.gov", "US", "America/Chicago")
    csa_staff = _user(f"csa-{run}@example.ca", "CA", "America/Toronto")
    db.session.flush()
    db.session.add_all(
        [
            Membership(user=nasa_admin, agency=nasa, role="admin"),
            Membership(user=csa_staff, agency=csa, role="staff"),
        ]
    )
    challenge.status, challenge.published_at = "published", clock.now()
    db.session.commit()
    return challenge.slug


def test_a_question_to_csa_is_answered_for_every_track_with_the_leads_approval(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    asker = f"asker-{run}@example.org"
    with live_app.app_context():
        slug = _challenge(run)
        _user(asker, "CA", "America/Toronto")
        db.session.commit()

    # An innovator asks CSA.
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    _sign_in(page, asker)
    page.goto(f"/challenges/{slug}")
    page.get_by_role("link", name="Ask a question").click()
    assert_accessible(page)
    page.get_by_label("Which track is it about?").select_option(label="CSA track")
    page.get_by_label("Your question").fill("May a Canadian company with a U.S. subsidiary enter?")
    page.get_by_role("button", name="Send the question").click()
    assert "Your question is sent to the agencies." in page.locator(".flashes").inner_text()
    assert "U.S. subsidiary" in page.locator("#mine").inner_text()
    assert_accessible(page)
    ctx.close()

    # CSA answers for the whole challenge: English alone is refused, then both languages.
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    _sign_in(page, f"csa-{run}@example.ca")
    page.goto(f"/challenges/{slug}/manage")
    page.get_by_role("link", name="Questions", exact=True).click()
    assert_accessible(page)
    page.get_by_role("link", name="May a Canadian company").click()
    assert_accessible(page)
    page.get_by_label("The answer speaks for").select_option(
        label="Every track of the challenge (the lead agency approves)"
    )
    page.get_by_label("Topic (English)").fill("Eligibility")
    page.get_by_label("The question, as the public reads it (English)").fill(
        "Can a company with a subsidiary abroad enter?"
    )
    page.get_by_label("Answer in Markdown (English)").fill(
        "Yes: **each** entity enters the track of its own country."
    )
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_role("button", name="Ask the lead agency to approve and publish").click()
    assert "missing in French" in page.locator(".flashes").inner_text()
    assert_accessible(page)
    page.get_by_label("Topic (French)").fill("Admissibilité")
    page.get_by_label("The question, as the public reads it (French)").fill(
        "Une entreprise ayant une filiale à l'étranger peut-elle participer ?"
    )
    page.get_by_label("Answer in Markdown (French)").fill(
        "Oui : **chaque** entité participe au volet de son pays."
    )
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_role("button", name="Ask the lead agency to approve and publish").click()
    assert "sent to the lead agency" in page.locator(".flashes").inner_text()
    assert_accessible(page)
    ctx.close()

    # NASA's admin finds it on the home page, approves it.
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    _sign_in(page, f"nasa-{run}@example.gov")
    page.goto(f"/challenges/{slug}/manage/questions")
    assert "Answers awaiting your approval" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Can a company with a subsidiary abroad enter?").click()
    page.get_by_role("button", name="Approve and publish for every track").click()
    assert "Approved" in page.locator(".flashes").inner_text()
    assert_accessible(page)
    ctx.close()

    # The public reads it on NASA's track page in English, on CSA's in French.
    ctx = browser.new_context(base_url=live_server.url, locale="en-US")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto(f"/challenges/{slug}/tracks/nasa-{run}")
    main = page.locator("main").inner_text()
    assert "Can a company with a subsidiary abroad enter?" in main and "asker" not in main
    assert_accessible(page)
    page.get_by_role("link", name="All questions and answers for this track").click()
    page.get_by_label("Search the answers").fill("subsidiary")
    page.get_by_role("button", name="Search").click()
    assert "Eligibility" in page.locator("main").inner_text()
    assert_accessible(page)
    ctx.close()
    ctx = browser.new_context(base_url=live_server.url, locale="fr-CA")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto(f"/challenges/{slug}/tracks/csa-{run}")
    main = page.locator("main").inner_text()
    assert "Oui : chaque entité participe au volet de son pays." in main
    assert "Questions et réponses" in main
    assert_accessible(page)
    ctx.close()
