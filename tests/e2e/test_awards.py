"""E2E in Chromium: results are released with Maple as the Canadian track's winner; the
track's admin records its award with the track's prize condition; Maple's lead sees what is
left on the home page, sends the evidence with the entry's documents; the admin verifies it,
approves the award and records its payment (date and reference). axe-core checks every page."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import pytest

from competitions.agencies.models import Agency, Membership, Role
from competitions.challenges.models import Challenge
from competitions.challenges.services import tracks as track_services
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.entries.models import Entry, Team
from competitions.judging.models import Advancement
from tests.e2e.test_judging import _judging_world
from tests.e2e.test_team_registration import _page, _user
from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n% certificate of incorporation\n%%EOF\n"
CONDITION = "Form a legal entity in Canada before receiving a prize."


def _released(run: str) -> str:
    """The judging world with the CA track's prize condition, Maple advancing, results out."""
    slug = _judging_world(run)
    challenge = db.session.query(Challenge).filter_by(slug=slug).one()
    track = challenge.tracks[0]
    root = _user(f"awards-root-{run}@tandem.example", "CA", "UTC", admin=True)
    admin = _user(f"ca-admin-{run}@agency.example", "CA", "America/Toronto")
    db.session.flush()
    agency = db.session.query(Agency).filter_by(slug=f"ca-{run}").one()
    db.session.add(Membership(user=admin, agency=agency, role=Role.ADMIN))
    track_services.update_rules(
        Actor(root, ip="127.0.0.1"),
        track,
        {
            **track.rules,
            "prize_conditions": [{"text": {"en": CONDITION}, "entrant_types": ["team"]}],
        },
    )
    maple = (
        db.session.query(Entry)
        .join(Team, Team.id == Entry.team_id)
        .filter(Entry.track_id == track.id, Team.name == f"Maple {run}")
        .one()
    )
    round_ = challenge.rounds[0]
    db.session.add(
        Advancement(round_id=round_.id, entry_id=maple.id, advancing=True, method="manual", rank=1)
    )
    now = clock.now()
    round_.submission_deadline = now - timedelta(hours=3)
    round_.judging_closes = now - timedelta(hours=2)
    round_.results_at = now - timedelta(hours=1)
    db.session.commit()
    return slug


def _mail_saying(smtp: SMTPCapture, address: str, words: str) -> str:
    """The text of the first email to ``address`` that says ``words`` (waiting for it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in smtp.to(address):
            body = SMTPCapture.text(message)
            if words in body:
                return body
        time.sleep(0.1)
    raise AssertionError(f"no email to {address} says {words!r}")


def test_award_with_a_condition_from_results_to_payment(
    browser: Any, live_server: Any, live_app: Any, smtp_server: SMTPCapture, tmp_path: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _released(run)
    team = f"Maple {run}"

    # The track's admin records Maple's award from the console.
    admin_ctx, admin = _page(browser, live_server, f"ca-admin-{run}@agency.example")
    admin.goto(f"/challenges/{slug}/manage")
    admin.get_by_role("link", name="Awards CA track").click()
    admin.wait_for_url("**/awards")
    assert team in admin.locator("main").inner_text()
    assert_accessible(admin)
    admin.get_by_role("link", name=f"Record an award — {team}").click()
    admin.wait_for_url("**/awards/new**")
    assert admin.get_by_label(CONDITION).is_checked()
    assert admin.get_by_label("Amount").input_value() == "150000"
    assert_accessible(admin)
    admin.get_by_role("button", name="Record the award").click()
    admin.wait_for_load_state()
    assert "The award is recorded" in admin.locator("main").inner_text()
    assert "Not sent yet" in admin.locator("main").inner_text()
    assert_accessible(admin)
    award_url = admin.url
    notice = _mail_saying(smtp_server, f"maple-{run}@example.org", "the prize “Winner”")
    assert "/awards/" in notice and CONDITION in notice

    # Maple's lead sees what is left at home and sends the evidence with the entry's documents.
    team_ctx, lead = _page(browser, live_server, f"maple-{run}@example.org")
    home = lead.locator("section", has=lead.get_by_role("heading", name="Your awards"))
    assert "1 prize condition to satisfy" in home.inner_text()
    assert_accessible(lead)
    home.get_by_role("link").first.click()
    lead.wait_for_url("**/awards/*")
    assert "Left for your team to do" in lead.locator("main").inner_text()
    assert_accessible(lead)
    lead.get_by_role("link", name="Send the evidence").click()
    lead.wait_for_load_state()
    evidence = tmp_path / "incorporation.pdf"
    evidence.write_bytes(PDF)
    lead.get_by_label(f"File for {CONDITION}").set_input_files(str(evidence))
    lead.get_by_role("button", name=f"Send {CONDITION}").click()
    lead.wait_for_load_state()
    assert "The document was sent" in lead.locator("main").inner_text()
    assert_accessible(lead)

    # The admin verifies it on the entry's page, then approves and records the payment.
    admin.goto(award_url)
    admin.get_by_role("link", name=f"Review it — {CONDITION}").click()
    admin.wait_for_load_state()
    admin.get_by_role("button", name=f"Record {CONDITION} — {team}").click()
    admin.wait_for_load_state()
    assert "The decision on the document was recorded." in admin.locator("main").inner_text()
    admin.goto(award_url)
    assert "Every prize condition is satisfied." in admin.locator("main").inner_text()
    assert_accessible(admin)
    admin.get_by_role("button", name="Approve the award for payment").click()
    admin.wait_for_load_state()
    assert "Approved for payment" in admin.locator("#payout-status").inner_text()
    admin.get_by_role("button", name="Record the payment").click()  # nothing filled in
    admin.wait_for_load_state()
    assert "Enter the date of the payment." in admin.locator("main").inner_text()
    assert_accessible(admin)
    admin.get_by_label("Date of the payment").fill(clock.now().date().isoformat())
    admin.get_by_label("Payment reference").fill(f"EFT-{run}")
    admin.get_by_role("button", name="Record the payment").click()
    admin.wait_for_load_state()
    status = admin.locator("#payout-status").inner_text()
    assert "Paid" in status and f"EFT-{run}" in status
    history = admin.locator("section", has=admin.get_by_role("heading", name="History"))
    assert (
        "Evidence verified" in history.inner_text() and "Payment recorded" in history.inner_text()
    )
    assert_accessible(admin)
    assert _mail_saying(smtp_server, f"maple-{run}@example.org", "it is satisfied")
    admin_ctx.close()
    team_ctx.close()
