"""CSRF protection on the account forms (sign-in included)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from competitions.core.audit import AuditEvent
from tests.accounts.conftest import is_signed_in, page_text, registration, users
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user

REFUSED = "Your form expired or was sent from another site. Nothing was saved"

FORMS = {
    "login": ("/login", {"email": "ada@example.org", "password": PASSWORD}),
    "register": ("/register", registration(email="newcomer@example.org")),
    "forgot-password": ("/forgot-password", {"email": "ada@example.org"}),
}


def _page(client, path: str) -> tuple[str, dict[str, str]]:
    """Open ``path`` like a browser: its CSRF token and the Referer a same-site form sends."""
    response = client.get(path)
    assert response.status_code == 200
    return csrf_from(response.get_data(as_text=True)), {"Referer": response.request.url}


def _audit_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def _effect(client, mail, name: str) -> bool:
    """Whether the form did its job."""
    if name == "login":
        return is_signed_in(client)
    if name == "register":
        return [u.email for u in users()] == ["ada@example.org", "newcomer@example.org"]
    return len(mail.to("ada@example.org")) == 1


@pytest.mark.parametrize("token", ["missing", "wrong", "other-session"])
@pytest.mark.parametrize("name", FORMS.keys())
def test_form_without_a_valid_token_is_refused(app, client, db, mail, csrf_enabled, name, token):
    make_user("ada@example.org")
    path, data = FORMS[name]
    _token, referer = _page(client, path)  # the visitor has a session
    if token == "wrong":
        data = {**data, "csrf_token": "not-a-token"}
    elif token == "other-session":
        data = {**data, "csrf_token": _page(app.test_client(), path)[0]}
    before = _audit_count(db)

    response = client.post(path, data=data, headers=referer)

    assert response.status_code == 400
    assert REFUSED in page_text(response)
    assert _audit_count(db) == before
    assert mail.messages == []
    assert not _effect(client, mail, name)


@pytest.mark.parametrize("name", FORMS.keys())
def test_form_with_the_token_from_the_page_works(client, db, mail, csrf_enabled, name):
    make_user("ada@example.org")
    path, data = FORMS[name]
    token, referer = _page(client, path)

    response = client.post(path, data={**data, "csrf_token": token}, headers=referer)

    assert response.status_code == 302
    if name != "login":
        mail.wait_for("newcomer@example.org" if name == "register" else "ada@example.org")
    assert _effect(client, mail, name)


@pytest.mark.parametrize("name", FORMS.keys())
def test_https_form_posted_from_another_site_is_refused(client, db, mail, csrf_enabled, name):
    make_user("ada@example.org")
    path, data = FORMS[name]
    token, referer = _page(client, path)
    assert referer["Referer"].startswith("https://")

    response = client.post(
        path, data={**data, "csrf_token": token}, headers={"Referer": "https://evil.example/"}
    )

    assert response.status_code == 400
    assert mail.messages == []
    assert not _effect(client, mail, name)


def _sign_in_with_token(client) -> None:
    token, referer = _page(client, "/login")
    response = client.post(
        "/login",
        data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": token},
        headers=referer,
    )
    assert response.status_code == 302


def test_logout_without_a_token_is_refused(client, db, csrf_enabled):
    make_user("ada@example.org")
    _sign_in_with_token(client)
    _token, referer = _page(client, "/account")

    response = client.post("/logout", headers=referer)

    assert response.status_code == 400
    assert REFUSED in page_text(response)
    assert is_signed_in(client)


def test_logout_with_the_token_from_the_page_works(client, db, csrf_enabled):
    make_user("ada@example.org")
    _sign_in_with_token(client)
    token, referer = _page(client, "/account")

    response = client.post("/logout", data={"csrf_token": token}, headers=referer)

    assert response.status_code == 302
    assert not is_signed_in(client)


def test_a_pre_login_token_does_not_survive_sign_in(client, db, csrf_enabled):
    make_user("ada@example.org")
    old, referer = _page(client, "/login")
    client.post(
        "/login",
        data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": old},
        headers=referer,
    )

    response = client.post("/logout", data={"csrf_token": old}, headers=referer)

    assert response.status_code == 400
    assert is_signed_in(client)
