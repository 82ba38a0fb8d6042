"""An agency admin creates an API token in Chromium, copies it from the page, calls the API
with it, then revokes it; the token page and the API reference pass axe-core in English and
French."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from competitions.agencies.models import Agency, Membership, Role
from competitions.core.extensions import db
from tests.e2e.test_team_registration import _page, _user
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.e2e


def _admin(run: str, lang: str) -> tuple[str, str]:
    email = f"api-admin-{lang}-{run}@agency.example"
    user = _user(email, "CA", "America/Toronto")
    user.preferred_language = lang
    agency = Agency(
        slug=f"api-{lang}-{run}",
        name=f"API agency {run}",
        jurisdiction="CA",
        timezone="America/Toronto",
        languages=["en", "fr"],
    )
    db.session.add_all([agency, Membership(user=user, agency=agency, role=Role.ADMIN)])
    db.session.commit()
    return email, agency.slug


def test_create_use_and_revoke_a_token(browser: Any, live_server: Any, live_app: Any) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        email, slug = _admin(run, "en")
    ctx, page = _page(browser, live_server, email)
    page.goto(f"/agencies/{slug}/console")
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url(f"**/agencies/{slug}/api-tokens")
    assert_accessible(page)
    page.get_by_role("button", name="Create the token").click()  # no name yet
    assert "Give the token a name." in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_label("Name").fill("Grants system")
    page.get_by_label("Read only").check()
    page.get_by_role("button", name="Create the token").click()
    secret = page.get_by_label("Token “Grants system”").input_value()
    assert secret.startswith("tdm_")
    assert_accessible(page)

    answer = page.request.get("/api/v1/agency", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200 and answer.json()["agency"]["slug"] == slug

    page.goto(f"/agencies/{slug}/api-tokens")
    assert secret not in page.content()  # shown once
    page.get_by_role("button", name="Revoke").click()
    assert "Revoked" in page.locator("main").inner_text()
    assert_accessible(page)
    refused = page.request.get("/api/v1/agency", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401
    ctx.close()


def test_the_token_page_and_the_reference_in_french(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        email, slug = _admin(run, "fr")
    ctx, page = _page(browser, live_server, email)
    page.goto(f"/agencies/{slug}/api-tokens")
    assert "Jetons d\u2019API" in page.locator("h1").inner_text()
    assert_accessible(page)
    page.goto("/developers/api")
    assert "Référence de l\u2019API" in page.locator("h1").inner_text()
    assert_accessible(page)
    ctx.close()


def test_the_reference_in_english(browser: Any, live_server: Any) -> None:
    ctx, page = _page(browser, live_server)
    page.goto("/developers/api")
    assert page.locator("h1").inner_text() == "API reference"
    assert page.get_by_role("link", name="/api/v1/openapi.json").is_visible()
    assert_accessible(page)
    ctx.close()
