"""Registration validation: specific messages, in the visitor's language; hostile input."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from tests.accounts.conftest import error_summary, field_error, registration, users

# (overrides, field, English message, French message)
MESSAGES = {
    "short-password": (
        {"password": "too short"},
        "password",
        "Your password must be at least 10 characters long.",
        "Votre mot de passe doit comporter au moins 10 caractères.",
    ),
    "bad-email": (
        {"email": "ada.example.org"},
        "email",
        "Enter an email address in the correct format, like name@example.org.",
        "Saisissez une adresse courriel au bon format, par exemple nom@example.org.",
    ),
    "missing-country": (
        {"country": ""},
        "country",
        "Select your country of residence.",
        "Sélectionnez votre pays de résidence.",
    ),
    "missing-email": (
        {"email": ""},
        "email",
        "Enter your email address.",
        "Saisissez votre adresse courriel.",
    ),
    "password-is-email": (
        {"password": "Ada.Lovelace@example.org", "email": "ada.lovelace@example.org"},
        "password",
        "Your password must not be your email address.",
        "Votre mot de passe ne doit pas être votre adresse courriel.",
    ),
    "blank-name": (
        {"display_name": "   "},
        "display_name",
        "Enter your name.",
        "Saisissez votre nom.",
    ),
}


def _choose_french(client: Any, how: str) -> dict[str, str]:
    if how == "accept-language":
        return {"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"}
    response = client.post("/language", data={"lang": "fr", "next": "/register"})
    assert response.status_code == 302
    return {"Accept-Language": "en"}  # the session's choice wins over the browser's


@pytest.mark.parametrize("case", MESSAGES.values(), ids=MESSAGES.keys())
def test_validation_message_is_specific_and_in_english(client, db, mail, case):
    overrides, field, english, _french = case

    response = client.post("/register", data=registration(**overrides))

    assert response.status_code == 200
    assert english in field_error(response, field)
    assert english in error_summary(response)
    assert users() == []
    assert mail.messages == []


@pytest.mark.parametrize("how", ["accept-language", "language-switch"])
@pytest.mark.parametrize("case", MESSAGES.values(), ids=MESSAGES.keys())
def test_validation_message_is_in_french_for_a_french_visitor(client, db, mail, case, how):
    overrides, field, _english, french = case
    headers = _choose_french(client, how)

    response = client.post("/register", data=registration(**overrides), headers=headers)

    assert response.status_code == 200
    assert french in field_error(response, field)
    assert users() == []


def test_register_page_preselects_the_visitors_language(client, db):
    html = client.get("/register", headers={"Accept-Language": "fr"}).get_data(as_text=True)

    assert '<option selected value="fr">' in html
    assert '<html lang="fr" dir="ltr">' in html


HOSTILE = {
    "long-email": ({"email": "a" * 20_000 + "@example.org"}, "email"),
    "long-name": ({"display_name": "N" * 20_000}, "display_name"),
    "long-password": ({"password": "p" * 200_000}, "password"),
    "nul-in-email": ({"email": "ada\x00@example.org"}, "email"),
    "header-injection-email": ({"email": "ada@example.org\r\nBcc: victim@example.net"}, "email"),
    "unknown-time-zone": ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    "path-time-zone": ({"timezone": "../../../etc/passwd"}, "timezone"),
    "nul-time-zone": ({"timezone": "UTC\x00"}, "timezone"),
    "unknown-country": ({"country": "XX"}, "country"),
    "lowercase-country": ({"country": "ca"}, "country"),
    "long-country": ({"country": "C" * 5000}, "country"),
    "unknown-language": ({"preferred_language": "it"}, "preferred_language"),
    "markup-language": ({"preferred_language": "<script>"}, "preferred_language"),
}


@pytest.mark.parametrize("case", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_registration_is_refused_without_crashing(client, db, mail, case):
    overrides, field = case

    response = client.post("/register", data=registration(**overrides))

    assert response.status_code == 200
    assert field_error(response, field), f"no error shown on {field}"
    assert "<script>" not in response.get_data(as_text=True).split("<main", 1)[1]
    assert users() == []
    assert mail.messages == []


def test_missing_fields_altogether_do_not_crash(client, db, mail):
    response = client.post("/register", data={})

    assert response.status_code == 200
    assert len(error_summary(response)) >= 3
    assert users() == []


def test_repeated_fields_do_not_crash(client, db, mail):
    data = MultiDict([*registration().items(), ("email", "eve@example.org")])

    response = client.post("/register", data=data)

    assert response.status_code in (200, 302)
    assert len(users()) <= 1


SPECIFIC = {
    "unknown-country": ({"country": "XX"}, "country", "Select your country of residence."),
    "unknown-time-zone": ({"timezone": "Mars/Olympus"}, "timezone", "Select a time zone"),
    "unknown-language": (
        {"preferred_language": "it"},
        "preferred_language",
        "Select a language from the list.",
    ),
}


@pytest.mark.parametrize("case", SPECIFIC.values(), ids=SPECIFIC.keys())
def test_unknown_choice_gets_the_specific_message(client, db, case):
    overrides, field, message = case

    response = client.post("/register", data=registration(**overrides))

    assert message in field_error(response, field)


def _nul_parameters(db: Any, request_: Any) -> list[Any]:
    """Run ``request_`` and return the SQL parameters that contain a NUL character.

    PostgreSQL refuses NUL in text values (the driver raises), so such a value reaching the
    database is a server error in production even though SQLite stores it.
    """
    seen: list[Any] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        if any(isinstance(v, str) and "\x00" in v for v in values):
            seen.append(parameters)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        response = request_()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    assert response.status_code < 500
    return seen


@pytest.mark.parametrize(
    ("path", "data"),
    [
        pytest.param("/register", registration(email="ada\x00@example.org"), id="register-email"),
        pytest.param(
            "/register", registration(password="analytical\x00engine"), id="register-password"
        ),
        pytest.param(
            "/register",
            registration(display_name="Ada\x00Lovelace"),
            id="register-name",
        ),
        pytest.param(
            "/login",
            {"email": "ada\x00@example.org", "password": "whatever it is"},
            id="login-email",
        ),
        pytest.param("/forgot-password", {"email": "\x00@example.org"}, id="forgot-email"),
    ],
)
def test_nul_characters_never_reach_the_database(client, db, mail, path, data):
    assert _nul_parameters(db, lambda: client.post(path, data=data)) == []
