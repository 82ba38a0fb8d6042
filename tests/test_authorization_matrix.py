"""Every route, for every role → the expected outcome.

The matrix is checked against ``app.url_map``: a new route without a declared expectation fails
``test_every_route_has_an_expectation``. Objects of another agency answer 404.
Routes that take a signed token are authorized by the token, not by the role: with an invalid
token every role gets the same 400 page (their token-specific rules are tested in their domain).
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, url_for

from competitions.agencies.models import AgencyInvitation
from competitions.core import clock
from competitions.core.storage import get_storage
from competitions.extensions import db
from tests.factories import World

ROLES = ("anonymous", "innovator", "staff_a", "admin_a", "admin_b", "platform_admin")
LOGIN = "login"  # a redirect to the sign-in page
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def same(outcome: Any) -> dict[str, Any]:
    return dict.fromkeys(ROLES, outcome)


def signed_in(outcome: Any, anonymous: Any = LOGIN) -> dict[str, Any]:
    return {**same(outcome), "anonymous": anonymous}


def agency_members(ok: Any) -> dict[str, Any]:
    """Staff and admins of agency A and platform admins; others 404."""
    return {
        "anonymous": LOGIN,
        "innovator": 404,
        "staff_a": ok,
        "admin_a": ok,
        "admin_b": 404,
        "platform_admin": ok,
    }


def agency_admins(ok: Any) -> dict[str, Any]:
    """Admins of agency A and platform admins; others (staff of A included) 404."""
    return {**agency_members(ok), "staff_a": 404}


def platform_admins(ok: Any) -> dict[str, Any]:
    return {**signed_in(404), "platform_admin": ok}


EXPECT: dict[tuple[str, str], dict[str, Any]] = {
    ("static", "GET"): same(200),
    ("bootstrap.static", "GET"): same(200),
    ("core.home", "GET"): same(200),
    ("core.set_language", "POST"): same(302),
    ("core.healthz", "GET"): same(200),
    ("core.readyz", "GET"): same(200),
    # Signed-in people are sent home from the sign-in and registration pages.
    ("accounts.register", "GET"): signed_in(302, anonymous=200),
    ("accounts.register", "POST"): signed_in(302, anonymous=200),
    ("accounts.login", "GET"): signed_in(302, anonymous=200),
    ("accounts.login", "POST"): signed_in(302, anonymous=200),
    ("accounts.check_email", "GET"): same(200),
    ("accounts.verify_email", "GET"): same(400),
    ("accounts.resend_verification", "POST"): signed_in(302),
    ("accounts.logout", "POST"): same(302),
    ("accounts.forgot_password", "GET"): same(200),
    ("accounts.forgot_password", "POST"): same(200),
    ("accounts.reset_password", "GET"): same(400),
    ("accounts.reset_password", "POST"): same(400),
    ("accounts.profile", "GET"): signed_in(200),
    # An empty POST keeps the stored values (Flask-WTF falls back to the object): saved.
    ("accounts.profile", "POST"): signed_in(302),
    ("accounts.change_password", "GET"): signed_in(200),
    ("accounts.change_password", "POST"): signed_in(200),
    ("accounts.change_email", "GET"): signed_in(200),
    ("accounts.change_email", "POST"): signed_in(200),
    ("accounts.confirm_email_change", "GET"): same(400),
    ("agencies.directory", "GET"): same(200),
    ("agencies.public_profile", "GET"): same(200),
    ("agencies.logo", "GET"): same(200),
    ("agencies.console", "GET"): agency_members(200),
    ("agencies.settings", "GET"): agency_admins(200),
    ("agencies.settings", "POST"): agency_admins(302),
    ("agencies.upload_logo", "POST"): agency_admins(302),
    ("agencies.remove_logo", "POST"): agency_admins(302),
    ("agencies.invite", "POST"): agency_admins(400),
    ("agencies.revoke_invitation", "POST"): agency_admins(302),
    ("agencies.change_role", "POST"): agency_admins(302),
    # Members may leave on their own; removing someone else needs an admin.
    ("agencies.remove_member", "POST"): {**agency_admins(302), "staff_a": 302},
    ("agencies.agency_audit", "GET"): agency_admins(200),
    ("agencies.invitation", "GET"): same(400),
    ("agencies.invitation", "POST"): same(400),
    ("agencies.admin_home", "GET"): platform_admins(200),
    ("agencies.create_agency", "GET"): platform_admins(200),
    ("agencies.create_agency", "POST"): platform_admins(200),
    ("agencies.platform_audit", "GET"): platform_admins(200),
}

STATIC_FILES = {"static": "css/tandem.css", "bootstrap.static": "css/bootstrap.min.css"}


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            if method in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                found.add((rule.endpoint, method))
    return found


def test_every_route_has_an_expectation(app: Flask) -> None:
    routes = _routes(app)
    missing = sorted(routes - EXPECT.keys())
    stale = sorted(EXPECT.keys() - routes)
    assert not missing, f"routes without a declared authorization expectation: {missing}"
    assert not stale, f"expectations for routes that no longer exist: {stale}"


def _url(app: Flask, endpoint: str, world: World, invitation: AgencyInvitation) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values: dict[str, Any] = {}
    for arg in rule.arguments:
        values[arg] = {
            "slug": world.agency_a.slug,
            "filename": STATIC_FILES.get(endpoint),
            "token": "not-a-valid-token",
            "membership_id": world.staff_a_membership.id,
            "invitation_id": invitation.id,
        }[arg]
    with app.test_request_context():
        return url_for(endpoint, **values)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method"), sorted(EXPECT))
def test_route_outcome_for_role(
    app: Flask, client: Any, world: World, endpoint: str, method: str, role: str
) -> None:
    stored = get_storage().save(io.BytesIO(PNG), 10_000)
    world.agency_a.logo_key, world.agency_a.logo_mime = stored.key, "image/png"
    invitation = AgencyInvitation(
        agency=world.agency_a,
        email="invitee@example.org",
        email_normalized="invitee@example.org",
        role="staff",
        expires_at=clock.now() + timedelta(days=7),
    )
    db.session.add(invitation)
    db.session.commit()

    user = world.user(role)
    if user is not None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True

    url = _url(app, endpoint, world, invitation)
    response = client.open(url, method=method, data={} if method == "POST" else None)
    response.close()
    expected = EXPECT[(endpoint, method)][role]
    if expected == LOGIN:
        assert response.status_code == 302, response.status
        assert "/login" in response.headers["Location"], response.headers["Location"]
    else:
        assert response.status_code == expected, (
            f"{method} {url} as {role}: {response.status}\n{response.get_data(as_text=True)[:800]}"
        )
        if expected == 302:
            assert "/login" not in response.headers["Location"]
