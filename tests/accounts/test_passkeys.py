"""Passkeys as the second step (``accounts.passkeys``), answered by a software authenticator
that signs exactly as a browser's would."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from competitions.accounts.models import AccountSession, Passkey
from competitions.core.extensions import db as _db
from tests.accounts.conftest import events, is_signed_in, sign_in
from tests.conftest import BASE_URL
from tests.factories import PASSWORD, make_user
from tests.support.authenticator import SoftAuthenticator

EMAIL = "ada@example.org"


def _options(html: str, action: str = "") -> str:
    pattern = rf'<form method="post"[^>]*{action}[^>]*data-options="([^"]+)"'
    match = re.search(pattern, html)
    assert match, "the page carries the passkey options"
    return unescape(match.group(1))


def _codes(response) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.get_data(True))


@pytest.fixture
def key() -> SoftAuthenticator:
    return SoftAuthenticator(BASE_URL, "tandem.test")


@pytest.fixture
def ada(db, client):
    user = make_user(EMAIL)
    _db.session.commit()
    assert sign_in(client, EMAIL).status_code == 302
    return user


def _add(client, key, name: str = "Work laptop"):
    options = _options(client.get("/account/two-step/passkeys/new").get_data(as_text=True))
    return client.post(
        "/account/two-step/passkeys/new", data={"name": name, "credential": key.create(options)}
    )


@pytest.fixture
def registered(ada, client, key):
    response = _add(client, key)
    assert len(_codes(response)) == 10  # the first second factor comes with recovery codes
    client.post("/logout")
    return key


def _passkey_step(client, key, answer: str | None = None):
    page = client.get("/login/two-step").get_data(as_text=True)
    return client.post(
        "/login/two-step/passkey", data={"credential": answer or key.get(_options(page))}
    )


def test_adding_a_passkey_turns_two_step_sign_in_on(ada, client, key):
    response = _add(client, key)
    assert response.status_code == 200
    stored = _db.session.scalar(select(Passkey))
    assert stored.name == "Work laptop" and stored.user_id == ada.id
    assert events("account.mfa_enabled")[-1].after == {"method": "passkey"}
    assert "Work laptop" in client.get("/account/two-step").get_data(as_text=True)


def test_a_forged_registration_is_refused(ada, client, key):
    client.get("/account/two-step/passkeys/new")
    other = SoftAuthenticator("https://evil.example", "evil.example")
    response = client.post(
        "/account/two-step/passkeys/new",
        data={"credential": other.create('{"challenge": "AAAA"}')},
    )
    assert response.status_code == 200
    assert "could not be added" in response.get_data(as_text=True)
    assert _db.session.scalar(select(Passkey.id)) is None


@pytest.mark.parametrize(
    "answer",
    ["", "not json", "[]", '{"id": 5}', '{"id": "x", "response": {"clientDataJSON": 7}}'],
)
def test_garbage_registrations_are_refused_without_error(ada, client, answer):
    client.get("/account/two-step/passkeys/new")
    response = client.post("/account/two-step/passkeys/new", data={"credential": answer})
    assert response.status_code == 200
    assert _db.session.scalar(select(Passkey.id)) is None


def test_signing_in_with_a_passkey(registered, client):
    response = sign_in(client, EMAIL)
    assert urlsplit(response.headers["Location"]).path == "/login/two-step"
    assert not is_signed_in(client)
    assert _db.session.scalar(select(AccountSession.id)) is None
    done = _passkey_step(client, registered)
    assert done.status_code == 302
    assert is_signed_in(client)
    assert events("account.login")[-1].after == {"second_step": "passkey"}
    assert _db.session.scalar(select(Passkey.sign_count)) == 1


def test_a_replayed_passkey_answer_is_refused(registered, client, other_client):
    sign_in(client, EMAIL)
    page = client.get("/login/two-step").get_data(as_text=True)
    answer = registered.get(_options(page))
    assert client.post("/login/two-step/passkey", data={"credential": answer}).status_code == 302
    sign_in(other_client, EMAIL)
    replay = _passkey_step(other_client, registered, answer)
    assert replay.status_code == 200
    assert not is_signed_in(other_client)
    assert events("account.mfa_failed")[-1].after == {"method": "passkey"}


def test_garbage_answers_are_refused_without_error(registered, client):
    sign_in(client, EMAIL)
    for answer in ("not json", "[]", '{"id": 5}', '{"id": "x" }', "x" * 30_000):
        assert _passkey_step(client, registered, answer).status_code == 200
    assert not is_signed_in(client)


def test_removing_a_passkey_needs_the_password(ada, client, key):
    _add(client, key)
    passkey_id = _db.session.scalar(select(Passkey.id))
    url = f"/account/two-step/passkeys/{passkey_id}/remove"
    assert client.post(url, data={"password": "wrong guess"}).status_code == 200
    assert _db.session.scalar(select(Passkey.id)) == passkey_id
    assert client.post(url, data={"password": PASSWORD}).status_code == 302
    assert _db.session.scalar(select(Passkey.id)) is None
    assert client.get(url).status_code == 404
