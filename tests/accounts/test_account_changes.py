"""Changing the password and the email address of a signed-in account."""

from __future__ import annotations

from datetime import timedelta

import pytest

from competitions.accounts import passwords
from tests.accounts.conftest import (
    BASE,
    NEW_PASSWORD,
    error_summary,
    events,
    field_error,
    is_signed_in,
    page_text,
    path_of,
    sign_in,
    user_by_email,
)
from tests.factories import PASSWORD, make_user
from tests.support.smtp import SMTPCapture

# -- password -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Your current password is incorrect."),
        ("fr", "Votre mot de passe actuel est incorrect."),
    ],
)
def test_change_password_requires_the_current_password(
    client, other_client, db, mail, login, language, message
):
    user = make_user("ada@example.org", preferred_language=language)
    login(user)
    sign_in(other_client, "ada@example.org")
    hash_before = user.password_hash

    response = client.post(
        "/account/password",
        data={"current_password": "not my password", "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert message in field_error(response, "current_password")
    db.session.refresh(user)
    assert user.password_hash == hash_before
    assert is_signed_in(other_client)
    assert mail.messages == []


def test_change_password_checks_the_new_password(client, db, login):
    user = make_user("ada@example.org")
    login(user)

    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": "short"}
    )

    assert response.status_code == 200
    assert "at least 10 characters" in field_error(response, "new_password")
    db.session.refresh(user)
    assert passwords.verify_password(user.password_hash, PASSWORD)


def test_change_password_signs_out_other_sessions_but_not_this_one(
    client, other_client, db, mail, login
):
    user = make_user("ada@example.org")
    login(user)
    sign_in(other_client, "ada@example.org", remember="y")
    assert is_signed_in(other_client)

    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    assert is_signed_in(client)
    assert not is_signed_in(other_client)
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")
    (notice,) = mail.wait_for("ada@example.org")
    assert notice["Subject"] == "Your password was changed"
    assert len(events("account.password_changed")) == 1
    assert sign_in(other_client, "ada@example.org", PASSWORD).status_code == 200
    assert sign_in(other_client, "ada@example.org", NEW_PASSWORD).status_code == 302


def test_change_password_needs_a_signed_in_user(client, db):
    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert path_of(response.headers["Location"]) == "/login"


# -- email ----------------------------------------------------------------------------------


def _request_change(client, new: str = "ada.new@example.org", password: str = PASSWORD):
    return client.post("/account/email", data={"email": new, "password": password})


def _confirmation_link(mail, address: str = "ada.new@example.org") -> str:
    (msg,) = mail.wait_for(address)
    link = SMTPCapture.link(msg, "/account/email/confirm/")
    assert link.startswith(BASE + "account/email/confirm/")
    return path_of(link)


def test_change_email_requires_the_password(client, db, mail, login):
    user = make_user("ada@example.org")
    login(user)

    response = _request_change(client, password="not my password")

    assert response.status_code == 200
    assert "Your current password is incorrect." in error_summary(response)
    assert mail.messages == []
    assert events("account.email_change_requested") == []
    db.session.refresh(user)
    assert user.email == "ada@example.org"


def test_wrong_password_on_change_email_is_shown_on_the_password_field(client, db, login):
    login(make_user("ada@example.org"))

    response = _request_change(client, password="not my password")

    assert "Your current password is incorrect." in field_error(response, "password")


@pytest.mark.parametrize(
    ("new", "field_message"),
    [
        ("not-an-address", "Enter an email address in the correct format"),
        (" ADA@example.org ", "That is already your email address."),
    ],
)
def test_change_email_rejects_bad_or_same_address(client, db, mail, login, new, field_message):
    login(make_user("ada@example.org"))

    response = _request_change(client, new=new)

    assert response.status_code == 200
    assert field_message in field_error(response, "email")
    assert mail.messages == []


def test_change_email_takes_effect_only_after_the_link(client, other_client, db, mail, login):
    user = make_user("ada@example.org")
    login(user)
    sign_in(other_client, "ada@example.org")

    response = _request_change(client, new="Ada.New@example.org")

    assert response.status_code == 302
    assert response.headers["Location"] == "/check-email?why=change"
    link = _confirmation_link(mail)
    assert mail.to("ada@example.org") == []  # only the new address gets the link
    db.session.refresh(user)
    assert user.email == "ada@example.org"

    confirmed = client.get(link)

    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/account"
    db.session.refresh(user)
    assert (user.email, user.email_normalized) == ("Ada.New@example.org", "ada.new@example.org")
    assert user.is_verified
    (notice,) = mail.wait_for("ada@example.org")
    assert notice["Subject"] == "Your email address was changed"
    assert "Ada.New@example.org" in SMTPCapture.text(notice)
    (event,) = events("account.email_changed")
    assert (event.before, event.after) == (
        {"email": "ada@example.org"},
        {"email": "Ada.New@example.org"},
    )
    assert is_signed_in(client)
    assert not is_signed_in(other_client)
    assert sign_in(other_client, "ada@example.org").status_code == 200
    assert sign_in(other_client, "ada.new@example.org").status_code == 302


def test_change_email_link_works_once(client, db, mail, login):
    login(make_user("ada@example.org"))
    _request_change(client)
    link = _confirmation_link(mail)
    client.get(link)

    again = client.get(link)

    assert again.status_code == 400
    assert "This confirmation link is not valid or has expired." in page_text(again)
    assert len(events("account.email_changed")) == 1


def test_change_email_link_expires(client, db, mail, clock, login):
    user = make_user("ada@example.org")
    login(user)
    _request_change(client)
    link = _confirmation_link(mail)

    clock.advance(timedelta(hours=48, seconds=1))
    response = client.get(link)

    assert response.status_code == 400
    db.session.refresh(user)
    assert user.email == "ada@example.org"


def test_address_taken_in_the_meantime_is_refused(client, db, mail, login):
    user = make_user("ada@example.org")
    login(user)
    _request_change(client, new="wanted@example.org")
    link = _confirmation_link(mail, "wanted@example.org")
    mail.clear()
    make_user("WANTED@example.org")
    db.session.commit()

    response = client.get(link)

    assert response.status_code == 400
    assert "This email address can no longer be used." in page_text(response)
    db.session.refresh(user)
    assert user.email == "ada@example.org"
    assert mail.messages == []
    assert events("account.email_changed") == []
    assert user_by_email("wanted@example.org").id != user.id


def test_a_stolen_change_link_dies_with_a_password_change(client, db, mail, login):
    user = make_user("ada@example.org")
    login(user)
    _request_change(client, new="attacker@example.net")
    link = _confirmation_link(mail, "attacker@example.net")
    client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    response = client.get(link)

    assert response.status_code == 400
    db.session.refresh(user)
    assert user.email == "ada@example.org"
