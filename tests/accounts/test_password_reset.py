"""Password reset by email: same answer for unknown addresses, one-use expiring links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from competitions.accounts import passwords
from competitions.core import clock as app_clock
from tests.accounts.conftest import (
    BASE,
    NEW_PASSWORD,
    events,
    field_error,
    is_signed_in,
    page_text,
    path_of,
    sign_in,
)
from tests.factories import PASSWORD, make_user
from tests.support.smtp import SMTPCapture


def _request_link(client, mail, email: str = "ada@example.org") -> str:
    response = client.post("/forgot-password", data={"email": email})
    assert response.status_code == 302
    (msg,) = mail.wait_for(email)
    return path_of(SMTPCapture.link(msg, "/reset-password/"))


def test_known_address_gets_a_link_built_from_base_url(client, db, mail):
    make_user("Ada@Example.org")

    response = client.post(
        "/forgot-password", data={"email": " ada@example.ORG"}, headers={"Host": "evil.example"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/check-email?why=reset"
    (msg,) = mail.wait_for("ada@example.org")
    assert msg["Subject"] == "Reset your password"
    assert SMTPCapture.link(msg, "/reset-password/").startswith(BASE + "reset-password/")
    assert "evil.example" not in msg.as_string()
    (event,) = events("account.password_reset_requested")
    assert event.after == {"known": True}


@pytest.mark.parametrize("address", ["nobody@example.org", "disabled@example.org"])
def test_unknown_or_disabled_address_gets_the_same_page_and_no_email(app, db, mail, address):
    make_user("ada@example.org")
    make_user("disabled@example.org", disabled_at=app_clock.now())
    known, unknown = app.test_client(), app.test_client()

    for_known = known.post("/forgot-password", data={"email": "ada@example.org"})
    mail.wait_for("ada@example.org")
    mail.clear()
    for_unknown = unknown.post("/forgot-password", data={"email": address})

    assert for_unknown.status_code == for_known.status_code == 302
    assert for_unknown.headers["Location"] == for_known.headers["Location"]
    assert page_text(unknown.get(for_unknown.headers["Location"])) == page_text(
        known.get(for_known.headers["Location"])
    )
    assert mail.messages == []
    assert events("account.password_reset_requested")[-1].after == {"known": False}


def test_link_sets_a_new_password(client, db, mail):
    user = make_user("ada@example.org", verified=False)
    link = _request_link(client, mail)
    mail.clear()

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    assert user.is_verified  # following the link proved the address
    (notice,) = mail.wait_for("ada@example.org")
    assert notice["Subject"] == "Your password was changed"
    assert len(events("account.password_reset")) == 1
    assert sign_in(client, "ada@example.org", PASSWORD).status_code == 200
    assert sign_in(client, "ada@example.org", NEW_PASSWORD).status_code == 302


def test_link_works_only_once(client, db, mail):
    user = make_user("ada@example.org")
    link = _request_link(client, mail)
    client.post(link, data={"password": NEW_PASSWORD})
    db.session.refresh(user)
    hash_after_first_use = user.password_hash

    shown = client.get(link)
    reused = client.post(link, data={"password": "yet another passphrase"})

    for response in (shown, reused):
        assert response.status_code == 400
        assert "This reset link has already been used or is not valid." in page_text(response)
    db.session.refresh(user)
    assert user.password_hash == hash_after_first_use
    assert len(events("account.password_reset")) == 1


@pytest.mark.parametrize(
    ("elapsed", "usable"),
    [(timedelta(minutes=59), True), (timedelta(hours=1, seconds=1), False)],
    ids=["just-before-expiry", "just-after-expiry"],
)
def test_link_expires(client, db, mail, clock, app, elapsed, usable):
    assert app.config["PASSWORD_RESET_MAX_AGE"] == 3600
    user = make_user("ada@example.org")
    link = _request_link(client, mail)

    clock.advance(elapsed)
    response = client.post(link, data={"password": NEW_PASSWORD})

    db.session.refresh(user)
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD) is usable
    if not usable:
        assert response.status_code == 400
        assert "This reset link has expired. Ask for a new one." in page_text(response)
        assert client.get(link).status_code == 400


def test_tampered_link_is_refused(client, db, mail):
    user = make_user("ada@example.org")
    link = _request_link(client, mail)
    payload, stamp, signature = link.rsplit("/", 1)[1].split(".")
    forged = f"/reset-password/{payload}.{stamp}.{signature[::-1]}"

    response = client.post(forged, data={"password": NEW_PASSWORD})

    assert response.status_code == 400
    assert "This reset link is not valid." in page_text(response)
    db.session.refresh(user)
    assert passwords.verify_password(user.password_hash, PASSWORD)


def test_too_short_new_password_keeps_the_link_usable(client, db, mail):
    user = make_user("ada@example.org")
    link = _request_link(client, mail)

    response = client.post(link, data={"password": "short"})

    assert response.status_code == 200
    assert "at least 10 characters" in field_error(response, "password")
    db.session.refresh(user)
    assert passwords.verify_password(user.password_hash, PASSWORD)
    assert client.post(link, data={"password": NEW_PASSWORD}).status_code == 302


@pytest.mark.parametrize("remember", [False, True], ids=["session", "remember-me"])
def test_reset_signs_out_other_sessions(client, other_client, db, mail, remember):
    make_user("ada@example.org")
    extra = {"remember": "y"} if remember else {}
    assert sign_in(other_client, "ada@example.org", **extra).status_code == 302
    assert is_signed_in(other_client)
    link = _request_link(client, mail)

    client.post(link, data={"password": NEW_PASSWORD})

    assert not is_signed_in(other_client)
    assert not is_signed_in(client)
