"""The audit log: who may read which part, filters, neutralized values, append-only storage."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from competitions.agencies.models import Agency
from competitions.core import audit
from competitions.core.actor import Actor
from competitions.core.audit import AuditEvent, AuditLogIsAppendOnly
from competitions.core.extensions import db
from tests.agencies.helpers import CONTROL, audit_actions, events, page_text
from tests.factories import make_user


def table(response) -> str:
    """The body of the audit table (so page chrome and flashes do not count)."""
    text = page_text(response)
    return text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


@pytest.fixture
def sample_events(world):
    """One event in each agency and one account event, each with a recognizable label."""
    audit.record(
        Actor(world.admin_a),
        "agency.updated",
        obj=world.agency_a,
        object_label="event-of-agency-a",
        agency_id=world.agency_a.id,
    )
    audit.record(
        Actor(world.admin_b),
        "agency.updated",
        obj=world.agency_b,
        object_label="event-of-agency-b",
        agency_id=world.agency_b.id,
    )
    audit.record(
        Actor(world.innovator),
        "account.profile_updated",
        obj=world.innovator,
        object_label="event-of-innovator",
    )
    db.session.commit()


# --- who sees what ----------------------------------------------------------------------------


def test_platform_admin_sees_every_event(client, world, login, sample_events):
    login(world.platform_admin)

    response = client.get("/admin/audit")

    assert response.status_code == 200
    rows = table(response)
    for label in ("event-of-agency-a", "event-of-agency-b", "event-of-innovator"):
        assert label in rows
    assert audit_actions(response)[0] == "account.login"  # newest first


def test_platform_audit_filters_by_action_prefix(client, world, login, sample_events):
    login(world.platform_admin)

    response = client.get("/admin/audit?action=account.")

    actions = audit_actions(response)
    assert set(actions) == {"account.login", "account.profile_updated"}
    assert "event-of-agency-a" not in table(response)


def test_platform_audit_filters_by_actor(client, world, login, sample_events):
    login(world.platform_admin)

    response = client.get("/admin/audit?actor=admin-b@agency-b")

    rows = table(response)
    assert "event-of-agency-b" in rows
    assert "event-of-agency-a" not in rows
    assert "event-of-innovator" not in rows
    assert audit_actions(response) == ["agency.updated"]


def test_actor_filter_finds_an_address_as_displayed(client, world, login, db):
    user = make_user("Ünal.Öztürk@Example.org")
    audit.record(Actor(user), "account.profile_updated", obj=user)
    db.session.commit()
    login(world.platform_admin)

    response = client.get("/admin/audit", query_string={"actor": "Ünal.Öztürk@Example.org"})

    assert audit_actions(response) == ["account.profile_updated"]


def test_filter_with_like_wildcards_is_literal(client, world, login, sample_events):
    login(world.platform_admin)

    response = client.get("/admin/audit?action=%25")

    assert audit_actions(response) == []


def test_agency_admin_sees_only_own_agency_events(client, world, login, sample_events):
    login(world.admin_a)

    response = client.get("/agencies/agency-a/audit")

    assert response.status_code == 200
    rows = table(response)
    assert "event-of-agency-a" in rows
    assert "event-of-agency-b" not in rows
    assert "event-of-innovator" not in rows
    assert "account.login" not in rows


def test_agency_audit_filters_stay_within_the_agency(client, world, login, sample_events):
    login(world.admin_a)

    response = client.get("/agencies/agency-a/audit?actor=admin-b")

    assert audit_actions(response) == []


def test_agency_admin_cannot_read_platform_audit(client, world, login, sample_events):
    login(world.admin_a)

    response = client.get("/admin/audit")

    assert response.status_code == 404
    assert "event-of-agency-b" not in page_text(response)
    [denied] = events("authz.denied")
    assert denied.after["path"] == "/admin/audit"


def test_staff_cannot_read_agency_audit(client, world, login, sample_events):
    login(world.staff_a)

    response = client.get("/agencies/agency-a/audit")

    assert response.status_code == 404
    assert "event-of-agency-a" not in page_text(response)


@pytest.mark.parametrize("path", ["/admin/audit", "/agencies/agency-a/audit"])
def test_anonymous_is_sent_to_sign_in(client, world, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- neutralized values -----------------------------------------------------------------------


def assert_clean(event: AuditEvent) -> None:
    for value in (
        event.actor_label,
        event.object_label,
        json.dumps(event.before, ensure_ascii=False),
        json.dumps(event.after, ensure_ascii=False),
    ):
        assert value is None or not CONTROL.search(value), repr(value)


def settings_with_name(name: str) -> dict[str, object]:
    return {
        "name": name,
        "slug": "agency-a",
        "jurisdiction": "CA",
        "timezone": "America/Toronto",
        "languages": ["en"],
    }


def test_control_characters_in_agency_name_are_neutralized(client, world, login):
    # A C1 "CSI" (the one-byte form of ESC [) is a control character: a one-line name drops
    # it at the service. A right-to-left override is a format character, legitimate in names:
    # it is kept in the data and escaped in the audit log.
    evil = "Agency A\x9b31m FAKE \u202eevil"
    login(world.admin_a)

    response = client.post("/agencies/agency-a/settings", data=settings_with_name(evil))

    assert response.status_code == 302
    assert db.session.get(Agency, world.agency_a.id).name == "Agency A31m FAKE \u202eevil"
    [updated] = events("agency.updated")
    assert_clean(updated)
    assert updated.after["name"] == "Agency A31m FAKE \\u202eevil"
    assert updated.object_label == "Agency A31m FAKE \\u202eevil"

    page = client.get("/agencies/agency-a/audit").get_data(as_text=True)
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert not CONTROL.search(rows.replace("\n", "").replace("\t", ""))


def test_escape_sequence_in_agency_name_never_reaches_the_log_raw(client, world, login):
    login(world.admin_a)

    client.post("/agencies/agency-a/settings", data=settings_with_name("Agency A\x1b[31m FAKE\x07"))

    # Refused by the form or stored escaped: either way no raw control character is logged.
    assert events()  # at least the sign-in
    for event in events():
        assert_clean(event)


def test_control_characters_in_created_agency_are_neutralized(client, world, login):
    login(world.platform_admin)

    client.post(
        "/admin/agencies/new",
        data={
            "name": "Line\x9b2K\rforged",
            "short_name": "S\u2066\x9b",
            "slug": "forged",
            "jurisdiction": "FR",
            "timezone": "Europe/Paris",
            "languages": ["fr"],
        },
    )

    [created] = events("agency.created")
    assert_clean(created)
    assert created.after["name"] == "Line2K forged"  # \r folded, the C1 CSI dropped
    assert created.after["short_name"] == "S\\u2066"  # the C1 CSI dropped, the format kept


def test_control_characters_in_failed_login_are_neutralized(client, world):
    client.post(
        "/login",
        data={"email": "root@tandem.example\n2026 account.login ok\u202e", "password": "x"},
    )

    [failed] = events("account.login_failed")
    assert_clean(failed)
    assert failed.actor_label == "root@tandem.example\\u000a2026 account.login ok\\u202e"


def test_invitation_address_with_line_break_is_refused_and_logs_nothing_raw(
    client, world, login, invite, mail
):
    login(world.admin_a)

    response = invite("guest@example.org\r\nBcc: victim@example.org", "staff")

    assert response.status_code == 400
    assert mail.messages == []
    assert events("agency.invitation_sent") == []
    for event in events():
        assert_clean(event)


def test_neutralize_escapes_nested_values():
    value = {"k\n": ["a\x1b", ("b\u2028",)], "n": 1, "none": None}

    assert audit.neutralize(value) == {
        "k\\u000a": ["a\\u001b", ["b\\u2028"]],
        "n": 1,
        "none": None,
    }


# --- append-only --------------------------------------------------------------------------------


@pytest.fixture
def stored_event(world):
    entry = audit.record(Actor(world.admin_a), "agency.updated", agency_id=world.agency_a.id)
    db.session.commit()
    return entry


def test_orm_update_of_an_audit_event_is_refused(db, stored_event):
    with pytest.raises(AuditLogIsAppendOnly), db.session.begin_nested():
        stored_event.action = "agency.nothing_happened"
        db.session.flush()

    db.session.expire_all()
    assert db.session.get(AuditEvent, stored_event.id).action == "agency.updated"


def test_orm_delete_of_an_audit_event_is_refused(db, stored_event):
    with pytest.raises(AuditLogIsAppendOnly), db.session.begin_nested():
        db.session.delete(stored_event)
        db.session.flush()

    db.session.expire_all()
    assert db.session.get(AuditEvent, stored_event.id) is not None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'agency.nothing_happened' WHERE id = :id",
        "DELETE FROM audit_event WHERE id = :id",
    ],
    ids=["update", "delete"],
)
def test_raw_sql_change_of_an_audit_event_is_refused_by_the_database(db, stored_event, statement):
    event_id = stored_event.id
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(sa.text(statement), {"id": event_id})

    db.session.expire_all()
    assert db.session.get(AuditEvent, event_id).action == "agency.updated"


def test_bulk_orm_delete_is_refused_by_the_database(db, stored_event):
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(sa.delete(AuditEvent))

    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) >= 1


# --- bounded queries ----------------------------------------------------------------------------


def add_events(world, n: int) -> None:
    actors = [world.admin_a, world.staff_a, world.platform_admin]
    for i in range(n):
        audit.record(
            Actor(actors[i % len(actors)]),
            "agency.updated",
            obj=world.agency_a,
            agency_id=world.agency_a.id,
            before={"i": i},
            after={"i": i + 1},
        )
    db.session.commit()


@pytest.mark.parametrize("path", ["/agencies/agency-a/audit", "/admin/audit"])
def test_audit_page_query_count_does_not_grow_with_events(
    client, world, login, count_queries, path
):
    login(world.platform_admin)
    add_events(world, 5)
    with count_queries() as few:
        assert client.get(path).status_code == 200

    add_events(world, 55)
    with count_queries() as many:
        response = client.get(path)
    assert response.status_code == 200
    assert len(audit_actions(response)) == 50  # a full page

    assert many.count == few.count, many.statements
    assert few.count <= 8, few.statements


def test_audit_pages_are_paginated(client, world, login):
    login(world.admin_a)
    add_events(world, 60)

    first = client.get("/agencies/agency-a/audit")
    second = client.get("/agencies/agency-a/audit?page=2")

    assert "60 events" in page_text(first)
    assert len(audit_actions(first)) == 50
    assert len(audit_actions(second)) == 10
    assert "Older" in page_text(first) and "Newer" in page_text(second)
    # newest first: page one starts with the last change, page two ends with the first
    assert '"i": 60' in page_text(first).split("<tbody>", 1)[1][:2000]
    assert '"i": 1}' in page_text(second).split("</tbody>", 1)[0][-3000:]
