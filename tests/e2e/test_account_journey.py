"""Register → confirm through the emailed link → sign in → switch to French, in Chromium.

axe-core checks every page visited for WCAG 2.1 AA violations.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture

pytestmark = pytest.mark.e2e


@pytest.fixture
def page(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def test_register_verify_login_and_switch_to_french(
    page: Any, live_server: Any, smtp_server: SMTPCapture
) -> None:
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.org"

    page.goto("/")
    assert_accessible(page)
    page.get_by_role("link", name="Create an account").first.click()
    page.wait_for_url("**/register")
    assert_accessible(page)

    # An empty submission shows the error summary, linked to each field.
    page.get_by_role("button", name="Create account").click()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Enter your email address." in summary.inner_text()
    assert page.title().startswith("Error:")
    assert_accessible(page)

    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_label("Your name").fill("Émilie Tester")
    page.get_by_label("Country of residence").select_option("CA")
    page.get_by_label("Preferred language").select_option("en")
    page.get_by_label("Time zone").select_option("America/Toronto")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/check-email*")
    assert page.get_by_role("heading", name="Check your email").is_visible()
    assert_accessible(page)

    message = smtp_server.wait_for(email)[-1]
    link = SMTPCapture.link(message, "/verify/")
    assert link.startswith(live_server.url + "/verify/")
    page.goto(link)
    page.wait_for_url("**/login")
    assert "your email address is confirmed" in page.locator(".flashes").inner_text()
    assert_accessible(page)

    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/")
    assert "Welcome back, Émilie Tester." in page.locator(".flashes").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Your account").click()
    page.wait_for_url("**/account")
    assert "confirmed" in page.locator("dd").first.inner_text()
    assert_accessible(page)

    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Votre compte").is_visible()
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert_accessible(page)

    # The choice is remembered on the account, so it survives signing out and in again.
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    page.goto("/login")
    page.get_by_label("Adresse courriel").fill(email)
    page.get_by_label("Mot de passe").fill("a long enough passphrase")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert_accessible(page)


def test_public_and_error_pages_are_accessible_in_both_languages(page: Any) -> None:
    for path in ["/agencies/", "/login", "/forgot-password", "/no-such-page"]:
        page.goto(path)
        assert_accessible(page)
    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Page introuvable").is_visible()
    assert_accessible(page)
    page.goto("/login")
    page.get_by_role("button", name="Se connecter").click()
    assert page.locator(".error-summary").is_visible()
    assert_accessible(page)
