"""Rate limits on sign-in, registration and password reset (per client address)."""

from __future__ import annotations

import pytest

from tests.accounts.conftest import events, is_signed_in, page_text, registration, users
from tests.factories import PASSWORD, make_user

LOGIN_PER_MINUTE = 10
REGISTER_PER_MINUTE = 5
RESET_PER_MINUTE = 5


def _fail_login(client, n: int, **kwargs) -> list[int]:
    return [
        client.post(
            "/login", data={"email": f"guess{i}@example.org", "password": "wrong"}, **kwargs
        ).status_code
        for i in range(n)
    ]


def test_configured_limits_are_the_documented_defaults(app):
    assert app.config["RATELIMIT_LOGIN"] == "10 per minute;50 per hour"
    assert app.config["RATELIMIT_REGISTER"].startswith(f"{REGISTER_PER_MINUTE} per minute")
    assert app.config["RATELIMIT_RESET"].startswith(f"{RESET_PER_MINUTE} per minute")


def test_login_answers_429_past_the_threshold(client, db):
    make_user("ada@example.org")

    assert _fail_login(client, LOGIN_PER_MINUTE) == [200] * LOGIN_PER_MINUTE
    response = client.post("/login", data={"email": "ada@example.org", "password": PASSWORD})

    assert response.status_code == 429
    # Even the right password is refused, and the attempt never reaches the view.
    assert not is_signed_in(client)
    assert len(events("account.login_failed")) == LOGIN_PER_MINUTE
    assert events("account.login") == []
    # Reading the page is not limited.
    assert client.get("/login").status_code == 200


def test_the_429_page_is_friendly_html(client, db):
    _fail_login(client, LOGIN_PER_MINUTE)

    response = client.post("/login", data={"email": "x@example.org", "password": "x"})

    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "Too many attempts" in page_text(response)
    assert "Wait a little and try again." in page_text(response)
    assert int(response.headers["Retry-After"]) > 0
    # The pages speak the API's header names (IETF draft), not X-RateLimit-*.
    assert response.headers["RateLimit-Remaining"] == "0"
    assert response.headers["RateLimit-Policy"].startswith(f"{LOGIN_PER_MINUTE};w=")
    assert not [k for k, _v in response.headers if k.lower().startswith("x-ratelimit")]
    french = client.post(
        "/login", data={"email": "x@example.org"}, headers={"Accept-Language": "fr"}
    )
    assert french.status_code == 429
    assert "Trop de tentatives" in page_text(french)


SPOOFED = ["X-Forwarded-For", "X-Real-IP", "Forwarded", "Client-IP", "True-Client-IP"]


@pytest.mark.parametrize("header", SPOOFED)
def test_spoofed_forwarding_headers_do_not_bypass_the_login_limit(client, db, header):
    def spoof(i: int) -> dict[str, str]:
        value = f"for=198.51.100.{i}" if header == "Forwarded" else f"198.51.100.{i}"
        return {header: value}

    statuses = [
        client.post(
            "/login",
            data={"email": f"guess{i}@example.org", "password": "wrong"},
            headers=spoof(i),
        ).status_code
        for i in range(LOGIN_PER_MINUTE + 3)
    ]

    assert statuses == [200] * LOGIN_PER_MINUTE + [429] * 3
    (ip,) = {e.ip for e in events("account.login_failed")}
    assert ip == "127.0.0.1"


def test_the_login_limit_is_per_client_address(client, db):
    _fail_login(client, LOGIN_PER_MINUTE)
    assert _fail_login(client, 1) == [429]

    other = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    assert _fail_login(client, 1, **other) == [200]


def test_one_account_is_protected_from_guesses_spread_over_many_addresses(client, db):
    make_user("ada@example.org")

    statuses = [
        client.post(
            "/login",
            data={"email": "ADA@example.org", "password": "wrong guess"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{i}"},
        ).status_code
        for i in range(21)
    ]

    assert statuses == [200] * 20 + [429]
    # Another account from a fresh address is unaffected.
    response = client.post(
        "/login",
        data={"email": "bob@example.org", "password": "wrong guess"},
        environ_base={"REMOTE_ADDR": "203.0.113.200"},
    )
    assert response.status_code == 200


def test_register_is_rate_limited(client, db, mail):
    statuses = [
        client.post(
            "/register",
            data=registration(email=f"person{i}@example.org"),
            headers={"X-Forwarded-For": f"198.51.100.{i}"},
        ).status_code
        for i in range(REGISTER_PER_MINUTE + 1)
    ]

    assert statuses == [302] * REGISTER_PER_MINUTE + [429]
    assert len(users()) == REGISTER_PER_MINUTE
    assert "person5@example.org" not in [u.email for u in users()]
    assert client.get("/register").status_code == 200


def test_forgot_password_is_rate_limited(client, db, mail):
    make_user("ada@example.org")

    statuses = [
        client.post(
            "/forgot-password",
            data={"email": "ada@example.org"},
            headers={"X-Forwarded-For": f"198.51.100.{i}"},
        ).status_code
        for i in range(RESET_PER_MINUTE + 1)
    ]

    assert statuses == [302] * RESET_PER_MINUTE + [429]
    assert len(mail.wait_for("ada@example.org", RESET_PER_MINUTE)) == RESET_PER_MINUTE
    assert len(events("account.password_reset_requested")) == RESET_PER_MINUTE
