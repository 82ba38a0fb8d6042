"""Chosen passwords follow NIST SP 800-63B: no common or breached password, no context word,
nothing repetitive or sequential — at registration, reset and change alike, said clearly."""

from __future__ import annotations

import pytest

from competitions.accounts import password_policy
from competitions.accounts.password_policy import Weakness, weakness
from tests.accounts.conftest import NEW_PASSWORD, field_error, path_of, registration, sign_in
from tests.factories import PASSWORD, make_user
from tests.support.smtp import SMTPCapture

EMAIL = "ada.lovelace@example.org"

COMMON = "This password is too common"
HAS_EMAIL = "Your password must not contain the name in your email address."
HAS_SERVICE = "Your password must not contain the name of this service, Tandem."
REPETITIVE = "Your password must not be a repeated or sequential run of characters"


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short", Weakness.TOO_SHORT),
        ("x" * 1025, Weakness.TOO_LONG),
        (EMAIL.upper(), Weakness.IS_EMAIL),
        # common and breached passwords, whatever the case
        ("basketball", Weakness.COMMON),
        ("BasketBall", Weakness.COMMON),
        ("1q2w3e4r5t", Weakness.COMMON),
        ("password12", Weakness.COMMON),
        # ... and with digits and symbols around them
        ("password2024!", Weakness.COMMON),
        ("!!sunshine1987", Weakness.COMMON),
        # context-specific words: the address's local part, its pieces, the service
        ("adalovelace rules", Weakness.HAS_EMAIL),
        ("my name is LOVELACE", Weakness.HAS_EMAIL),
        ("ada.lovelace!!", Weakness.HAS_EMAIL),
        ("welcome to Tandem", Weakness.HAS_SERVICE),
        ("mytandempass", Weakness.HAS_SERVICE),
        # repetitive or sequential
        ("aaaaaaaaaa", Weakness.REPETITIVE),
        ("1234567890", Weakness.REPETITIVE),
        ("abcdefghijkl", Weakness.REPETITIVE),
        ("9876543210", Weakness.REPETITIVE),
        ("abcabcabcabc", Weakness.REPETITIVE),
        ("1234abcdefg", Weakness.REPETITIVE),
        ("zyxwvutsrqpo", Weakness.REPETITIVE),
        ("azertyuiop", Weakness.REPETITIVE),
        ("ÀÀÀÀÀÀÀÀÀÀÀ", Weakness.REPETITIVE),
        # acceptable
        ("correct horse battery", None),
        ("a sturdy new passphrase", None),
        ("Ada's analytical notes", None),  # "ada" alone is too short a piece to refuse
        ("tram 7 to the harbour", None),
        ("grenouille violette 42", None),
    ],
)
def test_the_rules(password, expected):
    assert weakness(password, EMAIL) == expected


def test_the_list_is_shipped_with_the_package_and_read_once():
    common = password_policy.common_passwords()

    assert len(common) >= 10_000
    assert {"123456", "password", "qwerty", "iloveyou"} <= common
    assert password_policy.common_passwords() is common


def test_without_an_address_only_the_other_rules_apply():
    assert weakness("adalovelace rules") is None
    assert weakness("basketball") == Weakness.COMMON


def test_huge_inputs_are_refused_quickly():
    assert weakness("ab" * 100_000, EMAIL) == Weakness.TOO_LONG
    assert weakness("x" * 1024, EMAIL) == Weakness.REPETITIVE


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("basketball2024", COMMON),
        ("ada.lovelace forever", HAS_EMAIL),
        ("tandem is great", HAS_SERVICE),
        ("1234567890", REPETITIVE),
    ],
)
def test_registration_refuses_with_a_clear_message(client, db, mail, password, message):
    response = client.post("/register", data=registration(email=EMAIL, password=password))

    assert response.status_code == 200
    assert message in field_error(response, "password")
    assert mail.messages == []


def test_the_messages_are_in_french(client, db):
    response = client.post(
        "/register",
        data=registration(email=EMAIL, password="basketball2024", preferred_language="fr"),
        headers={"Accept-Language": "fr"},
    )

    assert "Ce mot de passe est trop courant" in field_error(response, "password")


def test_a_change_refuses_a_common_password(client, db, login):
    user = make_user(EMAIL)
    login(user)

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "password123"},
    )

    assert response.status_code == 200
    assert COMMON in field_error(response, "new_password")
    assert sign_in(client.application.test_client(), EMAIL).status_code == 302


def test_a_reset_refuses_a_sequential_password_and_keeps_the_link(client, db, mail):
    make_user(EMAIL)
    client.post("/forgot-password", data={"email": EMAIL})
    (message,) = mail.wait_for(EMAIL)
    link = path_of(SMTPCapture.link(message, "/reset-password/"))

    refused = client.post(link, data={"password": "0123456789"})

    assert refused.status_code == 200
    assert REPETITIVE in field_error(refused, "password")
    assert client.post(link, data={"password": NEW_PASSWORD}).status_code == 302
