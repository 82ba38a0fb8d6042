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


def test_a_challenge_wide_answer_is_corrected_with_the_leads_approval_then_withdrawn(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    """CSA corrects a published answer for every track; NASA approves the correction (the
    page then says "corrected on"); NASA withdraws it with a reason and it leaves the page."""
    from competitions.accounts.models import User
    from competitions.challenges.models import Challenge
    from competitions.questions import answers
    from competitions.questions import services as questions

    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _challenge(run)
        asker = _user(f"asker-{run}@example.org", "CA", "America/Toronto")
        db.session.flush()
        challenge = db.session.query(Challenge).filter_by(slug=slug).one()
        csa = db.session.query(User).filter_by(email=f"csa-{run}@example.ca").one()
        nasa = db.session.query(User).filter_by(email=f"nasa-{run}@example.gov").one()
        question = questions.ask(
            Actor(asker), challenge, f"csa-{run}", "Who owns the prototype afterwards?", "en"
        )
        answers.save_draft(
            Actor(csa),
            question,
            answers.AnswerDraft(
                "",
                {},
                {"en": "Who owns the prototype?", "fr": "À qui appartient le prototype ?"},
                {"en": "The agencies do.", "fr": "Les agences."},
                False,
            ),
        )
        answers.publish(Actor(csa), question)
        answers.approve(Actor(nasa), question)
        db.session.commit()
        question_id = question.id

    # CSA corrects it: it waits for NASA's approval, the published text stays.
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    _sign_in(page, f"csa-{run}@example.ca")
    page.goto(f"/challenges/{slug}/manage/questions/{question_id}")
    page.get_by_role("link", name="Correct the answer").click()
    assert_accessible(page)
    page.get_by_label("Answer in Markdown (English)").fill("The teams do.")
    page.get_by_role("button", name="Ask the lead agency to approve the correction").click()
    assert "Give a reason." in page.locator("main").inner_text()  # the note is needed
    assert_accessible(page)
    page.get_by_label("Answer in Markdown (French)").fill("Les équipes.")
    page.get_by_label("What was corrected, and why").fill("The rules give it to the teams.")
    page.get_by_role("button", name="Ask the lead agency to approve the correction").click()
    assert "sent to the lead agency" in page.locator(".flashes").inner_text()
    ctx.close()

    # NASA approves the correction from its queue, then withdraws the answer.
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    _sign_in(page, f"nasa-{run}@example.gov")
    page.goto(f"/challenges/{slug}/manage/questions")
    page.get_by_role("link", name="Who owns the prototype?").first.click()
    assert "The rules give it to the teams." in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Approve and publish the correction").click()
    assert "correction is published" in page.locator(".flashes").inner_text()
    assert "Published texts of this answer" in page.locator("main").inner_text()
    assert_accessible(page)
    public = ctx.new_page()
    public.goto(f"/challenges/{slug}/tracks/csa-{run}/questions")
    text = public.locator("main").inner_text()
    assert "The teams do." in text and "corrected on" in text and "The agencies do." not in text
    page.get_by_label("Withdraw it from the public pages").fill("It contradicts the terms.")
    page.get_by_role("button", name="Withdraw the answer").click()
    assert "withdrawn" in page.locator(".flashes").inner_text()
    assert "It contradicts the terms." in page.locator("main").inner_text()
    assert_accessible(page)
    public.reload()
    assert "The teams do." not in public.locator("main").inner_text()
    ctx.close()
