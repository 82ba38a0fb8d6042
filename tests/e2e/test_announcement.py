"""E2E in Chromium: an admin writes a bilingual announcement, previews it, sends it; followers
get it in their language through the real SMTP server and stop it from the link; axe-core
checks every page."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from competitions.core.extensions import db
from competitions.outreach.models import Subscription
from tests.e2e.test_team_registration import _published_challenge, _sign_in
from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture


def test_an_admin_releases_a_bilingual_announcement(
    browser: Any, live_server: Any, live_app: Any, smtp_server: SMTPCapture
) -> None:
    run = uuid.uuid4().hex[:6]
    en, fr = f"en-{run}@example.org", f"fr-{run}@example.org"
    with live_app.app_context():
        slug = _published_challenge(run)
        from competitions.challenges.models import Challenge

        challenge = db.session.query(Challenge).filter_by(slug=slug).one()
        # The Canadian track speaks French too: the form asks for both languages.
        challenge.tracks[0].languages = ["en", "fr"]
        for email, lang in ((en, "en"), (fr, "fr")):
            db.session.add(
                Subscription(
                    challenge=challenge,
                    email=email,
                    email_normalized=email,
                    language=lang,
                    status="active",
                    nonce=uuid.uuid4().hex,
                )
            )
        db.session.commit()
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    _sign_in(page, f"root-{run}@tandem.example")
    page.goto(f"/challenges/{slug}/manage")
    page.get_by_role("link", name="Announcements").click()
    assert_accessible(page)
    page.get_by_role("link", name="Write an announcement").click()
    page.get_by_role("button", name="Save the draft").click()  # empty: explained, not sent
    assert (
        "Write a subject in at least one language." in page.locator(".error-summary").inner_text()
    )
    assert_accessible(page)
    page.get_by_label("Subject (English)").fill("Webinar on Friday")
    page.get_by_label("Message (English, Markdown)").fill("Join us on **Friday** at 15:00 UTC.")
    page.get_by_label("Subject (French)").fill("Webinaire vendredi")
    page.get_by_label("Message (French, Markdown)").fill("Rejoignez-nous **vendredi** à 15 h UTC.")
    page.get_by_label("People following the challenge").check()
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url("**/announcements/*")
    assert "2 people today" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Send now").click()
    page.wait_for_load_state()
    assert "Released: the emails are on their way." in page.locator(".flashes").inner_text()
    (english,) = smtp_server.wait_for(en)
    (french,) = smtp_server.wait_for(fr)
    assert english["Subject"] == "Webinar on Friday" and french["Subject"] == "Webinaire vendredi"
    page.reload()
    assert "Sent 2 of 2" in page.locator("main").inner_text()
    assert_accessible(page)

    page.goto(f"/challenges/{slug}")
    assert "Webinar on Friday" in page.locator("main").inner_text()  # public: sent to followers
    assert_accessible(page)

    reader = ctx.new_page()
    reader.goto(urlsplit(french["List-Unsubscribe"].strip("<>")).path)
    reader.get_by_role("button", name="Stop these emails").click()
    reader.get_by_role("heading", name="Done").wait_for()
    with live_app.app_context():
        sub = db.session.query(Subscription).filter_by(email=fr).one()
        assert sub.status == "unsubscribed"
    ctx.close()
