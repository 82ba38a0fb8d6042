"""Managing members: role changes, removal, leaving, and the last-administrator rule."""

from __future__ import annotations

from competitions.agencies.models import Membership
from competitions.core.extensions import db
from tests.agencies.helpers import events, page_text
from tests.factories import make_membership, make_user

LAST_ADMIN = "An agency needs at least one administrator."


def role_of(membership_id: int) -> str | None:
    m = db.session.get(Membership, membership_id)
    return None if m is None else m.role


def test_admin_promotes_staff_then_demotes_them_again(client, world, login):
    login(world.admin_a)
    path = f"/agencies/agency-a/members/{world.staff_a_membership.id}/role"

    promoted = client.post(path, data={"role": "admin"}, follow_redirects=True)
    assert "The role of Sam Staff A was changed." in page_text(promoted)
    assert role_of(world.staff_a_membership.id) == "admin"

    demoted = client.post(path, data={"role": "staff"})
    assert demoted.status_code == 302
    assert role_of(world.staff_a_membership.id) == "staff"

    changes = events("agency.member_role_changed")
    assert [(e.before, e.after) for e in changes] == [
        ({"role": "staff"}, {"role": "admin"}),
        ({"role": "admin"}, {"role": "staff"}),
    ]
    for e in changes:
        assert e.actor_id == world.admin_a.id
        assert e.role == "agency_admin"
        assert e.agency_id == world.agency_a.id
        assert e.object_type == "membership"
        assert e.object_id == str(world.staff_a_membership.id)
        assert e.object_label == "staff-a@agency-a.example @ agency-a"


def test_new_admin_gains_management_rights(client, world, login, logout):
    login(world.admin_a)
    client.post(
        f"/agencies/agency-a/members/{world.staff_a_membership.id}/role", data={"role": "admin"}
    )
    logout()

    login(world.staff_a)
    assert client.get("/agencies/agency-a/settings").status_code == 200


def test_unknown_role_changes_nothing(client, world, login):
    login(world.admin_a)

    client.post(
        f"/agencies/agency-a/members/{world.staff_a_membership.id}/role", data={"role": "owner"}
    )

    assert role_of(world.staff_a_membership.id) == "staff"
    assert events("agency.member_role_changed") == []


def test_admin_removes_a_member(client, world, login):
    login(world.admin_a)
    membership_id = world.staff_a_membership.id

    response = client.post(
        f"/agencies/agency-a/members/{membership_id}/remove", follow_redirects=True
    )

    assert "Sam Staff A was removed from the agency." in page_text(response)
    assert db.session.get(Membership, membership_id) is None
    [removed] = events("agency.member_removed")
    assert removed.actor_id == world.admin_a.id
    assert removed.agency_id == world.agency_a.id
    assert removed.before == {"email": "staff-a@agency-a.example", "role": "staff"}


def test_removed_member_loses_access(client, world, login, logout):
    login(world.admin_a)
    client.post(f"/agencies/agency-a/members/{world.staff_a_membership.id}/remove")
    logout()

    login(world.staff_a)
    assert client.get("/agencies/agency-a/console").status_code == 404


def test_staff_member_leaves(client, world, login):
    login(world.staff_a)
    membership_id = world.staff_a_membership.id
    console = page_text(client.get("/agencies/agency-a/console"))
    assert "Leave this agency" in console

    response = client.post(f"/agencies/agency-a/members/{membership_id}/remove")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert db.session.get(Membership, membership_id) is None
    [left] = events("agency.member_left")
    assert left.actor_id == world.staff_a.id
    assert left.role == "agency_staff"
    assert left.agency_id == world.agency_a.id
    assert client.get("/agencies/agency-a/console").status_code == 404


def test_last_admin_cannot_demote_themselves(client, world, login):
    login(world.admin_a)

    response = client.post(
        f"/agencies/agency-a/members/{world.admin_a_membership.id}/role",
        data={"role": "staff"},
        follow_redirects=True,
    )

    assert LAST_ADMIN in page_text(response)
    assert role_of(world.admin_a_membership.id) == "admin"
    assert events("agency.member_role_changed") == []


def test_last_admin_cannot_be_removed_or_leave(client, world, login):
    login(world.admin_a)

    response = client.post(
        f"/agencies/agency-a/members/{world.admin_a_membership.id}/remove", follow_redirects=True
    )

    assert LAST_ADMIN in page_text(response)
    assert role_of(world.admin_a_membership.id) == "admin"
    assert events("agency.member_left") == []


def test_platform_admin_cannot_remove_or_demote_the_last_admin(client, world, login):
    login(world.platform_admin)
    path = f"/agencies/agency-b/members/{world.admin_b_membership.id}"

    demote = client.post(f"{path}/role", data={"role": "staff"}, follow_redirects=True)
    remove = client.post(f"{path}/remove", follow_redirects=True)

    assert LAST_ADMIN in page_text(demote)
    assert LAST_ADMIN in page_text(remove)
    assert role_of(world.admin_b_membership.id) == "admin"
    assert events("agency.member_role_changed") == []
    assert events("agency.member_removed") == []


def test_with_two_admins_one_may_demote_or_remove_the_other(client, world, login):
    second = make_membership(make_user("second-admin@agency-a.example"), world.agency_a, "admin")
    db.session.commit()
    login(world.admin_a)

    client.post(f"/agencies/agency-a/members/{second.id}/role", data={"role": "staff"})
    assert role_of(second.id) == "staff"

    first_id = world.admin_a_membership.id
    client.post(f"/agencies/agency-a/members/{second.id}/role", data={"role": "admin"})
    client.post(f"/agencies/agency-a/members/{first_id}/remove")
    assert role_of(first_id) is None
    assert role_of(second.id) == "admin"
    [left] = events("agency.member_left")
    assert left.actor_id == world.admin_a.id


def test_console_lists_members_admins_first(client, world, login):
    login(world.staff_a)

    text = page_text(client.get("/agencies/agency-a/console")).split("<tbody>", 1)[1]

    assert text.index("Ada Admin A") < text.index("Sam Staff A")
    assert "Bo Admin B" not in text


def test_console_query_count_does_not_grow_with_members(client, world, login, count_queries):
    login(world.admin_a)
    with count_queries() as few:
        assert client.get("/agencies/agency-a/console").status_code == 200

    for i in range(15):
        make_membership(make_user(f"member{i}@agency-a.example"), world.agency_a)
    db.session.commit()
    with count_queries() as many:
        response = client.get("/agencies/agency-a/console")

    assert "member14@agency-a.example" in page_text(response)
    assert many.count <= few.count + 1, many.statements
