"""Who reaches which agency page: another agency's admin, staff, anonymous visitors.

Another agency's pages and objects answer 404 (never 403), and each denial is audited.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from competitions.agencies.models import AgencyInvitation, Membership
from competitions.core import clock
from competitions.core.extensions import db
from tests.agencies.helpers import PNG, events


@pytest.fixture
def invitation_a(world):
    inv = AgencyInvitation(
        agency=world.agency_a,
        email="guest@example.org",
        email_normalized="guest@example.org",
        role="staff",
        expires_at=clock.now() + timedelta(days=14),
    )
    db.session.add(inv)
    db.session.commit()
    return inv


def a_requests(world, invitation_a):
    """Every page of agency A that only its members (or its admins) may use."""
    staff_id = world.staff_a_membership.id
    admin_id = world.admin_a_membership.id
    return [
        ("GET", "/agencies/agency-a/console", None),
        ("GET", "/agencies/agency-a/settings", None),
        ("POST", "/agencies/agency-a/settings", {"name": "Taken over"}),
        ("GET", "/agencies/agency-a/audit", None),
        ("POST", "/agencies/agency-a/members/invite", {"email": "x@example.org", "role": "admin"}),
        ("POST", f"/agencies/agency-a/members/{staff_id}/role", {"role": "admin"}),
        ("POST", f"/agencies/agency-a/members/{admin_id}/role", {"role": "staff"}),
        ("POST", f"/agencies/agency-a/members/{staff_id}/remove", {}),
        ("POST", f"/agencies/agency-a/members/{admin_id}/remove", {}),
        ("POST", f"/agencies/agency-a/invitations/{invitation_a.id}/revoke", {}),
        ("POST", "/agencies/agency-a/logo", {"logo-logo": (io.BytesIO(PNG), "logo.png")}),
        ("POST", "/agencies/agency-a/logo/remove", {}),
    ]


def unchanged(world, invitation_a):
    db.session.expire_all()
    assert world.agency_a.name == "Agency A"
    assert world.agency_a.logo_key is None
    assert db.session.get(Membership, world.staff_a_membership.id).role == "staff"
    assert db.session.get(Membership, world.admin_a_membership.id).role == "admin"
    assert db.session.get(AgencyInvitation, invitation_a.id).resolution is None
    assert db.session.query(AgencyInvitation).count() == 1


def test_admin_of_another_agency_gets_404_everywhere_and_each_denial_is_audited(
    client, world, login, invitation_a, mail
):
    login(world.admin_b)
    requests = a_requests(world, invitation_a)

    for method, path, data in requests:
        response = client.open(path, method=method, data=data)
        assert response.status_code == 404, (method, path)

    denied = events("authz.denied")
    assert [(e.after["method"], e.after["path"]) for e in denied] == [
        (method, path) for method, path, _ in requests
    ]
    for e in denied:
        assert e.actor_id == world.admin_b.id
        assert e.role == "user"
        assert e.agency_id == world.agency_a.id
    unchanged(world, invitation_a)
    assert mail.messages == []


def test_agency_staff_sees_console_but_cannot_manage(client, world, login, invitation_a):
    login(world.staff_a)

    console = client.get("/agencies/agency-a/console")
    assert console.status_code == 200
    assert "Ada Admin A" in console.get_data(as_text=True)
    assert "Send invitation" not in console.get_data(as_text=True)
    assert "guest@example.org" not in console.get_data(as_text=True)

    allowed = {"/agencies/agency-a/console"}
    own_removal = f"/agencies/agency-a/members/{world.staff_a_membership.id}/remove"
    forbidden = [r for r in a_requests(world, invitation_a) if r[1] not in allowed | {own_removal}]
    for method, path, data in forbidden:
        response = client.open(path, method=method, data=data)
        assert response.status_code == 404, (method, path)

    assert len(events("authz.denied", actor_id=world.staff_a.id)) == len(forbidden)
    unchanged(world, invitation_a)


def test_innovator_gets_404_on_agency_console(client, world, login):
    login(world.innovator)

    assert client.get("/agencies/agency-a/console").status_code == 404
    [denied] = events("authz.denied")
    assert denied.actor_id == world.innovator.id
    assert denied.agency_id == world.agency_a.id


@pytest.mark.parametrize(
    "path",
    [
        "/agencies/agency-a/console",
        "/agencies/agency-a/settings",
        "/agencies/agency-a/audit",
        "/admin/audit",
        "/admin/",
    ],
)
def test_anonymous_is_sent_to_sign_in(client, world, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("action", ["role", "remove"])
def test_member_of_another_agency_addressed_through_wrong_agency_is_404(
    client, world, login, action
):
    login(world.admin_a)
    b_member = world.admin_b_membership.id

    response = client.post(
        f"/agencies/agency-a/members/{b_member}/{action}", data={"role": "staff"}
    )

    assert response.status_code == 404
    membership = db.session.get(Membership, b_member)
    assert membership is not None
    assert membership.role == "admin"


def test_platform_admin_also_cannot_address_b_member_through_a(client, world, login):
    login(world.platform_admin)
    b_member = world.admin_b_membership.id

    response = client.post(f"/agencies/agency-a/members/{b_member}/remove")

    assert response.status_code == 404
    assert db.session.get(Membership, b_member) is not None


def test_invitation_of_another_agency_cannot_be_revoked_through_own_agency(
    client, world, login, invitation_a
):
    login(world.admin_b)

    response = client.post(f"/agencies/agency-b/invitations/{invitation_a.id}/revoke")

    assert response.status_code == 404
    assert db.session.get(AgencyInvitation, invitation_a.id).resolution is None


def test_own_agency_path_cannot_reach_a_member_of_another_agency(client, world, login):
    login(world.admin_b)
    a_staff = world.staff_a_membership.id

    response = client.post(f"/agencies/agency-b/members/{a_staff}/role", data={"role": "admin"})

    assert response.status_code == 404
    assert db.session.get(Membership, a_staff).role == "staff"


def test_platform_admin_can_open_any_agency(client, world, login):
    login(world.platform_admin)

    for path in ("/agencies/agency-a/console", "/agencies/agency-b/settings", "/admin/"):
        assert client.get(path).status_code == 200, path
    assert events("authz.denied") == []
