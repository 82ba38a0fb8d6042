"""An innovator forms a team, invites a teammate, is routed to the right track, registers
(accepting the current terms and the track's statements), saves a draft, uploads a file,
submits and sees the receipt. axe-core checks every page."""

from __future__ import annotations

import uuid
import zipfile
from datetime import timedelta
from typing import Any

import pytest

from competitions.accounts import passwords
from competitions.accounts.models import User, normalize_email
from competitions.agencies.models import Agency
from competitions.challenges import services
from competitions.challenges.services import timeline as timeline_services
from competitions.challenges.services import tracks as track_services
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.entries import documents
from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture

pytestmark = pytest.mark.e2e
PASSWORD = "a long enough passphrase"


def _user(email: str, country: str, zone: str, admin: bool = False) -> User:
    user = User(
        email=email,
        email_normalized=normalize_email(email),
        password_hash=passwords.hash_password(PASSWORD),
        display_name=email.split("@")[0],
        country=country,
        timezone=zone,
        email_verified_at=clock.now(),
        is_platform_admin=admin,
    )
    db.session.add(user)
    return user


def _published_challenge(run: str) -> str:
    """Canadian and U.S. tracks, registration open now (built directly through services)."""
    root = _user(f"root-{run}@tandem.example", "US", "UTC", admin=True)
    ca = Agency(
        slug=f"ca-{run}",
        name=f"Canada {run}",
        jurisdiction="CA",
        timezone="America/Toronto",
        languages=["en"],
    )
    us = Agency(
        slug=f"us-{run}",
        name=f"States {run}",
        jurisdiction="US",
        timezone="America/Chicago",
        languages=["en"],
    )
    db.session.add_all([ca, us])
    db.session.flush()
    actor = Actor(root, ip="127.0.0.1")
    challenge = services.create_challenge(
        actor, ca, f"food-{run}", services.Texts({"en": f"Food {run}"}, {}, {})
    )
    track_ca = challenge.tracks[0]
    track_us = services.new_track(challenge, us, 1)
    db.session.flush()
    for track, country, recognition in ((track_ca, "CA", False), (track_us, "US", True)):
        track_services.update_track(
            actor,
            track,
            track_services.TrackSettings(
                {"en": f"{country} track"},
                {},
                ["en"],
                f"help-{country}@example.org",
                track.timezone,
                {"en": "I confirm that our submission is our own work."},
            ),
        )
        track_services.update_rules(
            actor,
            track,
            {
                "allowed_countries": [country],
                "minimum_age": 18,
                "recognition_for_others": recognition,
            },
        )
        track_services.publish_terms(actor, track, {"en": f"Terms of the {country} track."})
        track_services.mark_ready(actor, track, True)
    now = clock.now()
    timeline_services.save_round(
        actor,
        challenge,
        None,
        timeline_services.RoundData(
            {"en": "Phase 1"},
            {
                "submission_opens": now - timedelta(days=1),
                "submission_deadline": now + timedelta(days=30),
                "judging_closes": now + timedelta(days=40),
                "results_at": now + timedelta(days=45),
            },
        ),
    )
    challenge.rounds[0].form_fields = [
        {
            "key": "summary",
            "type": "long_text",
            "label": {"en": "Summary"},
            "required": True,
            "max_words": 50,
        },
        {
            "key": "report",
            "type": "file",
            "label": {"en": "Design report"},
            "file_types": ["pdf"],
            "max_size_mb": 5,
            "max_files": 1,
            "required": True,
        },
        {
            "key": "own_work",
            "type": "attestation",
            "label": {"en": "This submission is our own work."},
            "required": True,
        },
    ]
    documents.add_requirement(
        actor,
        track_ca,
        documents.RequirementData(
            {"en": "Proof of residence"}, {"en": "A utility bill."}, "member", ["pdf", "png"], 2
        ),
    )
    services.publish(actor, challenge)
    db.session.commit()
    return challenge.slug


def _page(browser: Any, live_server: Any, email: str | None = None) -> tuple[Any, Any]:
    """A new browser context (British English) and its page, signed in as ``email`` if given."""
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    if email:
        _sign_in(page, email)
    return ctx, page


def _sign_in(page: Any, email: str) -> None:
    """Sign in through the form. The live server is shared by every e2e test, all from
    127.0.0.1: the sign-in rate limit is reset so that earlier tests' sign-ins do not count."""
    from competitions.core.extensions import limiter

    limiter.reset()
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def test_innovator_forms_a_team_and_registers_in_the_right_track(
    browser: Any, live_server: Any, live_app: Any, smtp_server: SMTPCapture
) -> None:
    run = uuid.uuid4().hex[:6]
    lead_email, mate_email = f"lead-{run}@example.org", f"mate-{run}@example.org"
    with live_app.app_context():
        slug = _published_challenge(run)
        _user(lead_email, "CA", "America/Vancouver")
        _user(mate_email, "CA", "America/Toronto")
        db.session.commit()

    lead_ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    lead = lead_ctx.new_page()
    lead.set_default_timeout(15000)
    _sign_in(lead, lead_email)
    lead.goto(f"/challenges/{slug}")
    lead.get_by_role("link", name="Register your team").click()
    assert_accessible(lead)
    lead.get_by_role("link", name="Create a team").click()
    assert_accessible(lead)
    lead.get_by_label("Team name").fill(f"Maple {run}")
    lead.get_by_label("We are").select_option("team")
    lead.get_by_label("Your country of residence").select_option("CA")
    lead.get_by_label("Your age").fill("34")
    lead.get_by_role("button", name="Create the team").click()
    lead.wait_for_url(f"**/challenges/{slug}/register?team=*")
    assert_accessible(lead)

    # The team is told where it belongs and why not elsewhere.
    ca_option = lead.locator("section", has_text="CA track: Eligible")
    assert ca_option.count() == 1
    assert "Prizes need every member to reside in United States" in lead.content()

    lead.goto("/teams/")
    lead.get_by_role("link", name=f"Maple {run}").click()
    assert_accessible(lead)
    lead.get_by_label("Email address of the person to invite").fill(mate_email)
    lead.get_by_role("button", name="Send invitation").click()
    lead.wait_for_load_state()
    link = SMTPCapture.link(smtp_server.wait_for(mate_email)[-1], "/team-invitations/")

    mate_ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    mate = mate_ctx.new_page()
    mate.set_default_timeout(15000)
    _sign_in(mate, mate_email)
    mate.goto(link)
    assert_accessible(mate)
    mate.get_by_label("Your country of residence").select_option("CA")
    mate.get_by_label("Your age").fill("29")
    mate.get_by_role("button", name="Join the team").click()
    mate.wait_for_url("**/teams/*")
    assert "You joined the team" in mate.locator(".flashes").inner_text()
    assert_accessible(mate)

    lead.goto(f"/challenges/{slug}/register")
    ca_option = lead.locator("section", has_text="CA track: Eligible")
    # Without accepting the terms: a clear error, nothing registered.
    ca_option.get_by_role("button", name="Register in CA track").click()
    lead.wait_for_load_state()
    assert (
        "Accept the terms and conditions to register."
        in lead.locator(".error-summary").inner_text()
    )
    assert_accessible(lead)
    ca_option = lead.locator("section", has_text="CA track: Eligible")
    ca_option.get_by_label("I confirm that our submission is our own work.").check()
    ca_option.get_by_label("I have read and accept the terms and conditions").check()
    ca_option.get_by_role("button", name="Register in CA track").click()
    lead.wait_for_url("**/entries/*")
    body = lead.locator("main").inner_text()
    assert "Eligible" in body and "version 1" in body
    assert "Every member resides in Canada." in body
    assert_accessible(lead)

    # The track asks each member for a proof of residence: the lead sends theirs.
    docs = lead.locator("#documents")
    assert "0 of 2 verified" in docs.inner_text()
    docs.get_by_label("File for Proof of residence").set_input_files(
        files=[{"name": "bill.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 bill"}]
    )
    docs.get_by_role("button", name="Send Proof of residence").click()
    lead.wait_for_url("**#documents")
    assert "bill.pdf" in docs.inner_text() and "Waiting for review" in docs.inner_text()
    assert_accessible(lead)

    # Answer the round: a draft first, then the final submission with a file.
    lead.get_by_role("link", name="Open Phase 1").click()  # the step due leads the page
    lead.wait_for_url("**/rounds/*")
    assert_accessible(lead)
    lead.get_by_label("Summary").fill("A closed-loop greenhouse for long missions.")
    lead.get_by_role("button", name="Save draft").click()
    lead.wait_for_load_state()
    assert "Draft saved." in lead.locator(".flashes").inner_text()
    # Submitting without the file and the attestation: each field says what is missing.
    lead.get_by_role("button", name="Submit").click()
    lead.wait_for_load_state()
    summary = lead.locator(".error-summary").inner_text()
    assert "Upload this file." in summary and "Confirm this statement." in summary
    assert lead.get_by_label("Summary").input_value().startswith("A closed-loop greenhouse")
    assert_accessible(lead)
    # Autosave checks answers like the form: too many words are refused, the field named.
    status = lead.locator(".autosave-status")
    lead.get_by_label("Summary").fill("word " * 51)
    status.filter(has_text="you wrote 51").wait_for()
    assert "Summary" in status.inner_text() and "cannot be saved" in status.inner_text()
    lead.get_by_label("Summary").fill("A closed-loop greenhouse for long missions.")
    status.filter(has_text="Saved").wait_for()
    pdf = b"%PDF-1.4\n% Tandem e2e report\n" + b"0" * 2048
    lead.get_by_label("Design report").set_input_files(
        files=[{"name": "report.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    lead.get_by_label("This submission is our own work.").check()
    lead.get_by_role("button", name="Submit").click()
    lead.wait_for_url("**/versions/1?submitted=1")
    receipt = lead.locator("main").inner_text()
    digest = __import__("hashlib").sha256(pdf).hexdigest()
    assert "Receipt: version 1" in receipt and digest in receipt and "report.pdf" in receipt
    assert_accessible(lead)
    mail = smtp_server.wait_for(lead_email)[-1]
    assert digest in SMTPCapture.text(mail)

    # The track's admin sees the submission in the track's list and downloads the round's files.
    admin_ctx = browser.new_context(base_url=live_server.url, locale="en-GB", accept_downloads=True)
    admin = admin_ctx.new_page()
    admin.set_default_timeout(15000)
    _sign_in(admin, f"root-{run}@tandem.example")
    admin.goto(f"/challenges/{slug}/manage")
    admin.get_by_role("link", name="Submissions CA track").click()
    admin.wait_for_url("**/submissions")
    row = admin.locator("tr", has_text=f"Maple {run}")
    assert "Submitted" in row.inner_text()
    assert_accessible(admin)
    with admin.expect_download() as download:
        admin.get_by_role("link", name="Download this round's files").click()
    archive = zipfile.ZipFile(download.value.path())
    manifest = archive.read("manifest.csv").decode("utf-8-sig")
    assert digest in manifest and ",ok" in manifest
    (path,) = [n for n in archive.namelist() if n.endswith("report.pdf")]
    assert archive.read(path) == pdf
    for ctx in (lead_ctx, mate_ctx, admin_ctx):
        ctx.close()
