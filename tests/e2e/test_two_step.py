"""Two-step sign-in in Chromium: a member of an agency that requires it is sent to enrol right
after signing in, reads the key from the page, turns it on with a code computed by pyotp, signs
out, and signs in again with the password and a new code. axe-core checks each page."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pyotp
import pytest

from competitions.agencies.models import Agency, Membership, Role
from competitions.core.extensions import db
from tests.e2e.test_team_registration import PASSWORD, _page, _user
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.e2e


def _member_of_strict_agency(run: str) -> str:
    email = f"officer-{run}@agency.example"
    user = _user(email, "CA", "America/Toronto")
    agency = Agency(
        slug=f"strict-{run}",
        name=f"Strict agency {run}",
        jurisdiction="CA",
        timezone="America/Toronto",
        languages=["en", "fr"],
        require_mfa=True,
    )
    db.session.add_all([agency, Membership(user=user, agency=agency, role=Role.STAFF)])
    db.session.commit()
    return email


def _password_step(page: Any, email: str) -> None:
    from competitions.core.extensions import limiter

    limiter.reset()  # the live server is shared: earlier tests' sign-ins do not count
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_enrol_sign_out_and_sign_in_with_a_code(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        email = _member_of_strict_agency(run)

    ctx, page = _page(browser, live_server)
    _password_step(page, email)
    page.wait_for_url("**/account/two-step/setup")
    assert "Your agency requires two-step sign-in" in page.locator("main").inner_text()
    assert page.locator("main svg").is_visible()  # the QR code
    assert_accessible(page)

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    assert page.locator("#recovery-codes li").count() == 10
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()
    page.goto("/account")
    page.wait_for_url("**/login*")

    _password_step(page, email)
    page.wait_for_url("**/login/two-step")
    assert_accessible(page)
    # The enrolment code's time step is spent: the next step's code is within the drift.
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(live_server.url + "/")
    assert "Welcome back" in page.locator(".flashes").inner_text()
    page.goto("/account")
    assert page.get_by_role("heading", name="Your account").is_visible()
    ctx.close()


def test_add_a_passkey_and_sign_in_with_it(browser: Any, live_server: Any, live_app: Any) -> None:
    """Chromium's virtual authenticator (DevTools protocol) plays the passkey. WebAuthn
    refuses IP addresses, so this test opens the live server as localhost."""
    run = uuid.uuid4().hex[:6]
    email = f"passkey-{run}@example.org"
    with live_app.app_context():
        _user(email, "CA", "America/Toronto")
        db.session.commit()
    base = live_server.url.replace("127.0.0.1", "localhost")
    saved = live_app.config["BASE_URL"]
    live_app.config["BASE_URL"] = base
    ctx = browser.new_context(base_url=base, locale="en-GB")
    try:
        page = ctx.new_page()
        page.set_default_timeout(15000)
        cdp = ctx.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        options = {
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": True,
            "hasUserVerification": True,
            "isUserVerified": True,
            "automaticPresenceSimulation": True,
        }
        cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})

        _password_step(page, email)
        page.wait_for_url(base + "/")
        page.goto("/account/two-step/passkeys/new")
        assert_accessible(page)
        page.get_by_label("Name of this passkey").fill("Virtual key")
        page.get_by_role("button", name="Add a passkey").click()
        # The script asks the authenticator, then submits: wait for the page it leads to.
        page.get_by_role("heading", name="Your recovery codes").wait_for()
        page.goto("/account/two-step")
        assert "Virtual key" in page.locator("main").inner_text()
        assert_accessible(page)

        page.get_by_role("button", name="Sign out").click()
        page.get_by_text("You are signed out.").wait_for()
        _password_step(page, email)
        page.wait_for_url("**/login/two-step")
        assert_accessible(page)
        page.get_by_role("button", name="Use a passkey").click()
        page.wait_for_url(base + "/")
        assert "Welcome back" in page.locator(".flashes").inner_text()
    finally:
        ctx.close()
        live_app.config["BASE_URL"] = saved
