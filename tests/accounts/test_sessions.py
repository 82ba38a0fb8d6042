"""Server-side sessions: sign-out ends a session for good, each device is listed and can be
ended, "sign out everywhere" ends them all (remember-me included)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.accounts.conftest import events, is_signed_in, page_text, sign_in
from tests.factories import make_user

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _cookies(client) -> dict[str, str]:
    return {
        name: cookie.value
        for name in ("tandem_session", "remember_token")
        if (cookie := client.get_cookie(name)) is not None
    }


def _replay(app, cookies: dict[str, str]):
    """A fresh browser that carries only ``cookies`` (a thief's copy)."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


def _session_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"/account/sessions/(\d+)/end", html)]


def test_the_session_cookie_is_dead_after_logout(app, client, db):
    make_user("ada@example.org")
    sign_in(client, "ada@example.org")
    stolen = _cookies(client)
    assert "tandem_session" in stolen
    assert is_signed_in(_replay(app, stolen))

    client.post("/logout")

    assert not is_signed_in(client)
    assert not is_signed_in(_replay(app, stolen))


def test_the_remember_cookie_is_dead_after_logout(app, client, db):
    make_user("ada@example.org")
    sign_in(client, "ada@example.org", remember="y")
    stolen = _cookies(client)
    remember_only = {"remember_token": stolen["remember_token"]}
    assert is_signed_in(_replay(app, remember_only))

    client.post("/logout")

    assert not is_signed_in(_replay(app, remember_only))
    assert not is_signed_in(_replay(app, stolen))


def test_logout_ends_only_this_devices_session(client, other_client, db):
    make_user("ada@example.org")
    sign_in(client, "ada@example.org")
    sign_in(other_client, "ada@example.org", remember="y")

    client.post("/logout")

    assert not is_signed_in(client)
    assert is_signed_in(other_client)
    other_client.delete_cookie("tandem_session")
    assert is_signed_in(other_client)  # its remember-me still works too


def test_the_sessions_page_lists_each_device(client, other_client, db):
    make_user("ada@example.org")
    client.post(
        "/login",
        data={"email": "ada@example.org", "password": "correct horse battery"},
        headers={"User-Agent": FIREFOX},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    other_client.post(
        "/login",
        data={"email": "ada@example.org", "password": "correct horse battery"},
        headers={"User-Agent": SAFARI_IPHONE},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )

    response = client.get("/account/sessions", headers={"User-Agent": FIREFOX})

    assert response.status_code == 200
    text = page_text(response)
    assert "Firefox on Windows" in text
    assert "Safari on iPhone" in text
    assert "198.51.100.7" in text and "203.0.113.9" in text
    assert text.count("This device") == 1
    # The current one is the Firefox row: "This device" comes in its row, before Safari's.
    assert text.index("Firefox on Windows") < text.index("This device") < text.index("Safari")
    assert len(_session_ids(response.get_data(as_text=True))) == 2
    # The profile page links to it.
    assert "/account/sessions" in client.get("/account").get_data(as_text=True)


def test_the_sessions_page_is_in_french(client, db):
    make_user("ada@example.org", preferred_language="fr")
    sign_in(client, "ada@example.org")

    text = page_text(client.get("/account/sessions"))

    assert "Vos sessions" in text
    assert "Cet appareil" in text


def test_ending_a_session_from_the_list_signs_that_device_out(app, client, other_client, db):
    make_user("ada@example.org")
    sign_in(client, "ada@example.org")
    sign_in(other_client, "ada@example.org", remember="y")
    stolen = _cookies(other_client)
    mine = _session_ids(client.get("/account/sessions").get_data(as_text=True))
    theirs = _session_ids(other_client.get("/account/sessions").get_data(as_text=True))
    # Each page puts its own session first.
    other = theirs[0]
    assert other != mine[0]

    response = client.post(f"/account/sessions/{other}/end")

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/sessions"
    assert is_signed_in(client)
    assert not is_signed_in(other_client)
    assert not is_signed_in(_replay(app, stolen))
    assert not is_signed_in(_replay(app, {"remember_token": stolen["remember_token"]}))
    assert _session_ids(client.get("/account/sessions").get_data(as_text=True)) == [mine[0]]
    (event,) = events("account.session_ended")
    assert event.after["session"] == other


def test_ending_the_current_session_from_the_list_signs_out(client, db):
    make_user("ada@example.org")
    sign_in(client, "ada@example.org")
    (mine,) = _session_ids(client.get("/account/sessions").get_data(as_text=True))

    client.post(f"/account/sessions/{mine}/end")

    assert not is_signed_in(client)


def test_nobody_ends_another_persons_session(client, other_client, db):
    make_user("ada@example.org")
    make_user("bob@example.org")
    sign_in(client, "ada@example.org")
    sign_in(other_client, "bob@example.org")
    (bobs,) = _session_ids(other_client.get("/account/sessions").get_data(as_text=True))

    assert client.post(f"/account/sessions/{bobs}/end").status_code == 404
    assert client.post("/account/sessions/999999/end").status_code == 404

    assert is_signed_in(other_client)


def test_sign_out_everywhere_ends_every_session(app, client, other_client, db):
    make_user("ada@example.org")
    sign_in(client, "ada@example.org", remember="y")
    sign_in(other_client, "ada@example.org", remember="y")
    third = app.test_client()
    sign_in(third, "ada@example.org")
    stolen = [_cookies(c) for c in (client, other_client, third)]

    response = client.post("/account/sessions/end-all")

    assert response.status_code == 302
    for browser in (client, other_client, third):
        assert not is_signed_in(browser)
    for cookies in stolen:
        assert not is_signed_in(_replay(app, cookies))
        if "remember_token" in cookies:
            assert not is_signed_in(_replay(app, {"remember_token": cookies["remember_token"]}))
    assert len(events("account.signed_out_everywhere")) == 1
    # Signing in again works.
    assert sign_in(client, "ada@example.org").status_code == 302
    assert is_signed_in(client)


def test_a_remembered_session_ends_when_its_time_is_up(app, client, db, clock):
    make_user("ada@example.org")
    sign_in(client, "ada@example.org", remember="y")
    remember_only = {"remember_token": client.get_cookie("remember_token").value}

    clock.advance(timedelta(days=29))
    assert is_signed_in(_replay(app, remember_only))
    clock.advance(timedelta(days=2))

    # The cookie itself says nothing about time: the server's record does.
    assert not is_signed_in(_replay(app, remember_only))


def test_last_seen_moves_with_use(client, db, clock):
    from competitions.accounts.models import AccountSession

    make_user("ada@example.org")
    sign_in(client, "ada@example.org")
    (record,) = db.session.scalars(db.select(AccountSession)).all()
    first = record.last_seen_at

    clock.advance(timedelta(minutes=10))
    assert is_signed_in(client)

    db.session.refresh(record)
    assert record.last_seen_at == first + timedelta(minutes=10)
    assert record.created_at == first


@pytest.mark.parametrize("cookie_id", ["", "x", "1:", ":abc", "1:" + "a" * 5000, "abc:def"])
def test_forged_session_ids_are_signed_out(app, db, cookie_id):
    user = make_user("ada@example.org")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = cookie_id.replace("1:", f"{user.id}:")

    assert not is_signed_in(client)


@pytest.mark.parametrize(
    ("user_agent", "shown"),
    [
        (FIREFOX, "Firefox on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5.0", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_devices_are_named_for_people(app, user_agent, shown):
    from competitions.accounts.devices import describe

    with app.test_request_context():
        assert describe(user_agent) == shown


def test_a_session_without_remember_me_ends_after_twelve_hours(
    app, client, db, clock, real_session_limits
):
    make_user("ada@example.org")
    sign_in(client, "ada@example.org")

    clock.advance(timedelta(hours=12) - timedelta(minutes=1))
    assert is_signed_in(client)
    clock.advance(timedelta(minutes=2))

    assert not is_signed_in(client)


def test_a_password_change_keeps_this_session_and_lists_no_other(client, other_client, db):
    make_user("ada@example.org")
    sign_in(client, "ada@example.org")
    sign_in(other_client, "ada@example.org", remember="y")
    before = _session_ids(client.get("/account/sessions").get_data(as_text=True))
    assert len(before) == 2

    client.post(
        "/account/password",
        data={"current_password": "correct horse battery", "new_password": "a sturdy new one"},
    )

    assert is_signed_in(client)
    assert not is_signed_in(other_client)
    assert _session_ids(client.get("/account/sessions").get_data(as_text=True)) == before[:1]
