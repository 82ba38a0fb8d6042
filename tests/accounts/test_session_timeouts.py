"""Agency members' sessions end after 30 minutes without activity and 12 hours after sign-in,
remember-me or not; other people's sessions are not cut short (on the movable clock)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.accounts.conftest import is_signed_in, page_text, sign_in
from tests.factories import make_agency, make_membership, make_user

pytestmark = pytest.mark.usefixtures("real_session_limits")


@pytest.fixture
def member(db):
    user = make_user("staff@agency.example")
    make_membership(user, make_agency("agency"))
    db.session.commit()
    return user


def test_the_configured_limits_are_thirty_minutes_and_twelve_hours(app):
    assert app.config["MEMBER_SESSION_IDLE"] == 30 * 60
    assert app.config["MEMBER_SESSION_MAX_AGE"] == 12 * 60 * 60


def test_a_member_is_signed_out_after_thirty_idle_minutes(client, member, clock):
    sign_in(client, member.email, remember="y")

    clock.advance(timedelta(minutes=29))
    assert is_signed_in(client)  # activity: the idle time starts again
    clock.advance(timedelta(minutes=29))
    assert is_signed_in(client)
    clock.advance(timedelta(minutes=31))

    assert not is_signed_in(client)
    client.delete_cookie("tandem_session")
    assert not is_signed_in(client)  # the remember-me cookie does not bring it back


def test_a_member_is_signed_out_twelve_hours_after_signing_in(client, member, clock):
    sign_in(client, member.email, remember="y")

    for _ in range(11 * 3 + 2):  # busy every 20 minutes for 11 h 40 min
        clock.advance(timedelta(minutes=20))
        assert is_signed_in(client)
    clock.advance(timedelta(minutes=20))

    assert not is_signed_in(client)
    # Signing in again starts a new session.
    assert sign_in(client, member.email).status_code == 302
    assert is_signed_in(client)


def test_people_without_a_membership_are_not_cut_short(client, db, clock):
    user = make_user("ada@example.org")
    sign_in(client, user.email, remember="y")

    clock.advance(timedelta(hours=3))
    assert is_signed_in(client)
    clock.advance(timedelta(days=3))

    assert is_signed_in(client)


def test_a_membership_granted_during_a_session_brings_the_limits(client, db, clock):
    user = make_user("ada@example.org")
    sign_in(client, user.email, remember="y")
    clock.advance(timedelta(hours=1))
    assert is_signed_in(client)

    make_membership(user, make_agency("agency"))
    db.session.commit()
    clock.advance(timedelta(minutes=2))
    assert is_signed_in(client)  # seen as a member from now on
    clock.advance(timedelta(minutes=31))

    assert not is_signed_in(client)


def test_a_timed_out_session_is_not_listed(app, client, member, clock):
    sign_in(client, member.email)
    clock.advance(timedelta(minutes=31))
    other = app.test_client()
    sign_in(other, member.email)

    html = other.get("/account/sessions").get_data(as_text=True)

    assert len(re.findall(r"/account/sessions/\d+/end", html)) == 1


def test_the_list_says_a_remembered_member_session_ends_within_twelve_hours(client, member, clock):
    from competitions.core import i18n

    sign_in(client, member.email, remember="y")

    text = page_text(client.get("/account/sessions"))

    with client.application.test_request_context():
        in_12_hours, in_30_days = (
            i18n.format_instant(clock.now() + delta, member.timezone)
            for delta in (timedelta(hours=12), timedelta(days=30))
        )
    assert f"Kept signed in until {in_12_hours}" in text
    assert in_30_days not in text
