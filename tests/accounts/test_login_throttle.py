"""Per-account sign-in throttling that nobody can turn against the owner (OWASP device cookies).

Failures from clients the account does not know are limited per account; a browser that signed
in to the account before carries a signed device cookie and is limited on its own, so others'
failures never lock the owner out. The per-address limit stays in front of both.
"""

from __future__ import annotations

from tests.accounts.conftest import events, is_signed_in, path_of
from tests.factories import PASSWORD, make_user
from tests.support.smtp import SMTPCapture

ACCOUNT_LIMIT = 20  # RATELIMIT_LOGIN_ACCOUNT: failures per hour from unknown clients
DEVICE_LIMIT = 10  # RATELIMIT_LOGIN_DEVICE: failures per hour from one known device
LOGIN_PER_ADDRESS = 10  # RATELIMIT_LOGIN: attempts per minute from one address
DEVICE_COOKIE = "tandem_device"


def _attempt(client, email: str, password: str, address: str):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _spray(app, email: str, n: int = ACCOUNT_LIMIT, start: int = 1) -> list[int]:
    """``n`` wrong passwords for ``email``, each from its own address and fresh browser."""
    return [
        _attempt(app.test_client(), email, "wrong guess", f"203.0.113.{i}").status_code
        for i in range(start, start + n)
    ]


def _known_device(client, email: str = "ada@example.org") -> None:
    """The owner signs in once from ``client`` and signs out: the browser keeps its device
    cookie."""
    assert _attempt(client, email, PASSWORD, "198.51.100.1").status_code == 302
    assert client.get_cookie(DEVICE_COOKIE, path="/login") is not None
    client.post("/logout", environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert not is_signed_in(client)


def test_the_owner_on_a_known_device_signs_in_after_a_spray_from_many_addresses(app, client, db):
    make_user("ada@example.org")
    _known_device(client)

    assert _spray(app, "ada@example.org") == [200] * ACCOUNT_LIMIT
    assert _spray(app, "ada@example.org", 1, start=100) == [429]

    response = _attempt(client, "ada@example.org", PASSWORD, "198.51.100.1")

    assert response.status_code == 302
    assert is_signed_in(client)


def test_an_unknown_device_is_throttled_for_that_account_only(app, db):
    make_user("ada@example.org")
    make_user("bob@example.org")
    _spray(app, "ada@example.org")
    stranger = app.test_client()

    # Even the right password: the account is closed to unknown clients for now.
    response = _attempt(stranger, "ada@example.org", PASSWORD, "198.51.100.50")

    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many attempts" in response.get_data(as_text=True)
    assert not is_signed_in(stranger)
    (event,) = events("account.login_throttled")
    assert event.after == {"device": "unknown"}
    # Another account from the same browser and address is not affected.
    assert _attempt(stranger, "bob@example.org", PASSWORD, "198.51.100.50").status_code == 302


def test_an_address_without_an_account_is_throttled_the_same_way(app, db):
    """The answers never tell whether an account exists."""
    statuses = _spray(app, "nobody@example.org", ACCOUNT_LIMIT + 1)

    assert statuses == [200] * ACCOUNT_LIMIT + [429]


def test_only_failures_count_against_the_account(app, db):
    make_user("ada@example.org")
    for i in range(ACCOUNT_LIMIT + 5):
        browser = app.test_client()
        assert _attempt(browser, "ada@example.org", PASSWORD, f"192.0.2.{i}").status_code == 302

    assert _spray(app, "ada@example.org", 1) == [200]


def test_the_per_address_limit_still_holds_for_a_known_device(app, client, db):
    make_user("ada@example.org")
    _known_device(client)  # one attempt from 198.51.100.1 already
    statuses = [
        _attempt(client, f"guess{i}@example.org", "wrong", "198.51.100.1").status_code
        for i in range(LOGIN_PER_ADDRESS - 1)
    ]
    assert statuses == [200] * (LOGIN_PER_ADDRESS - 1)

    # The owner's device cookie does not lift the limit of the address.
    assert _attempt(client, "ada@example.org", PASSWORD, "198.51.100.1").status_code == 429
    assert _attempt(client, "ada@example.org", PASSWORD, "198.51.100.2").status_code == 302


def test_a_known_device_is_limited_on_its_own(app, client, db):
    make_user("ada@example.org")
    _known_device(client)
    stolen = client.get_cookie(DEVICE_COOKIE, path="/login").value

    statuses = [
        _attempt(client, "ada@example.org", "wrong guess", f"198.51.100.{i}").status_code
        for i in range(10, 10 + DEVICE_LIMIT + 1)
    ]

    assert statuses == [200] * DEVICE_LIMIT + [429]
    assert events("account.login_throttled")[-1].after == {"device": "known"}
    # A stolen copy of that cookie is limited with it.
    thief = app.test_client()
    thief.set_cookie(DEVICE_COOKIE, stolen, path="/login")
    assert _attempt(thief, "ada@example.org", PASSWORD, "192.0.2.77").status_code == 429
    # Unknown clients still have the account's own budget.
    assert _attempt(app.test_client(), "ada@example.org", PASSWORD, "192.0.2.78").status_code == (
        302
    )


def test_a_device_cookie_is_for_its_account_only(app, client, db):
    make_user("ada@example.org")
    make_user("bob@example.org")
    _known_device(client, "bob@example.org")
    _spray(app, "ada@example.org")

    response = _attempt(client, "ada@example.org", PASSWORD, "198.51.100.1")

    assert response.status_code == 429


def test_a_tampered_device_cookie_is_an_unknown_device(app, client, db):
    make_user("ada@example.org")
    _known_device(client)
    value = client.get_cookie(DEVICE_COOKIE, path="/login").value
    _spray(app, "ada@example.org")

    for forged in (value[:-2] + "xx", "garbage", "", "a" * 3000):
        client.set_cookie(DEVICE_COOKIE, forged, path="/login")
        assert _attempt(client, "ada@example.org", PASSWORD, "198.51.100.1").status_code == 429


def test_the_device_cookie_is_renewed_at_each_sign_in(client, db):
    make_user("ada@example.org")
    _known_device(client)
    first = client.get_cookie(DEVICE_COOKIE, path="/login")

    _known_device(client)
    second = client.get_cookie(DEVICE_COOKIE, path="/login")

    assert first.value != second.value
    assert second.http_only
    assert second.path == "/login"
    assert second.same_site == "Lax"
    assert second.expires is not None


def test_one_browser_is_a_known_device_for_several_accounts(app, client, db):
    make_user("ada@example.org")
    make_user("bob@example.org")
    _known_device(client, "ada@example.org")
    _known_device(client, "bob@example.org")
    _spray(app, "ada@example.org")
    _spray(app, "bob@example.org", start=50)

    assert _attempt(client, "ada@example.org", PASSWORD, "198.51.100.1").status_code == 302
    client.post("/logout")
    assert _attempt(client, "bob@example.org", PASSWORD, "198.51.100.1").status_code == 302


def test_a_password_reset_makes_the_browser_a_known_device(app, client, db, mail):
    make_user("ada@example.org")
    _spray(app, "ada@example.org")
    client.post("/forgot-password", data={"email": "ada@example.org"})
    (message,) = mail.wait_for("ada@example.org")
    link = path_of(SMTPCapture.link(message, "/reset-password/"))

    client.post(link, data={"password": "a fresh passphrase"})

    assert client.get_cookie(DEVICE_COOKIE, path="/login") is not None
    response = _attempt(client, "ada@example.org", "a fresh passphrase", "198.51.100.1")
    assert response.status_code == 302
