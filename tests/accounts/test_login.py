"""Sign-in and sign-out: generic failures, audit, remember me, redirects, session rotation."""

from __future__ import annotations

import re

import pytest

from competitions.core import clock as app_clock
from competitions.core.audit import AuditEvent
from tests.accounts.conftest import error_summary, events, is_signed_in, page_text, sign_in
from tests.factories import PASSWORD, make_user

GENERIC = "The email address or password is incorrect."


def test_login_redirects_home_and_signs_in(client, db):
    user = make_user("ada@example.org")

    response = sign_in(client, "ada@example.org")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)
    db.session.refresh(user)
    assert user.last_login_at is not None
    (event,) = events("account.login")
    assert (event.actor_id, event.object_id) == (user.id, str(user.id))
    assert event.ip == "127.0.0.1"


@pytest.mark.parametrize(
    "typed", ["ADA@EXAMPLE.ORG", "  ada@example.org  ", "\uff41\uff44\uff41@example.org"]
)
def test_login_accepts_any_form_of_the_address(client, db, typed):
    make_user("Ada@Example.org")

    assert sign_in(client, typed).status_code == 302
    assert is_signed_in(client)


def test_wrong_password_and_unknown_email_look_the_same(client, db):
    make_user("ada@example.org")

    wrong = sign_in(client, "ada@example.org", "not the password at all")
    unknown = sign_in(client, "bob@example.org", "not the password at all")

    assert wrong.status_code == unknown.status_code == 200
    assert error_summary(wrong) == error_summary(unknown) == [GENERIC]
    # The pages are identical except for the address the visitor typed.
    assert page_text(wrong) == page_text(unknown).replace("bob@", "ada@")

    # CSRF tokens carry a timestamp: two requests a second apart differ only there.
    def without_tokens(html: str) -> str:
        return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)

    assert without_tokens(wrong.get_data(as_text=True)) == without_tokens(
        unknown.get_data(as_text=True).replace("bob@", "ada@")
    )
    assert not is_signed_in(client)


def test_failed_logins_are_audited_with_ip(client, db):
    user = make_user("ada@example.org")

    sign_in(client, "ada@example.org", "not the password at all")
    sign_in(client, " Bob@Example.org", "not the password at all")

    known, unknown = events("account.login_failed")
    assert (known.object_id, known.actor_label, known.ip) == (
        str(user.id),
        "ada@example.org",
        "127.0.0.1",
    )
    assert (unknown.object_id, unknown.actor_label, unknown.ip) == (
        None,
        "bob@example.org",
        "127.0.0.1",
    )
    assert known.actor_id is None
    assert events("account.login") == []


def test_failure_message_is_in_french_for_a_french_visitor(client, db):
    response = client.post(
        "/login",
        data={"email": "ada@example.org", "password": "whatever"},
        headers={"Accept-Language": "fr"},
    )

    assert error_summary(response) == ["L'adresse courriel ou le mot de passe est incorrect."]


def test_disabled_user_cannot_sign_in(client, db):
    make_user("ada@example.org", disabled_at=app_clock.now())

    response = sign_in(client, "ada@example.org")

    assert response.status_code == 200
    assert error_summary(response) == [GENERIC]
    assert not is_signed_in(client)
    (event,) = events("account.login_failed")
    assert event.after == {"reason": "disabled"}
    assert events("account.login") == []


def test_disabling_a_signed_in_user_ends_their_session(client, db, login):
    user = make_user("ada@example.org")
    login(user)
    assert is_signed_in(client)

    user.disabled_at = app_clock.now()
    db.session.commit()

    assert not is_signed_in(client)


def test_remember_me_sets_a_remember_cookie(client, db):
    make_user("ada@example.org")

    sign_in(client, "ada@example.org", remember="y")

    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.http_only
    # The remember cookie alone brings the user back after the browser session ends.
    client.delete_cookie("tandem_session")
    assert is_signed_in(client)


def test_without_remember_me_there_is_no_remember_cookie(client, db):
    make_user("ada@example.org")

    sign_in(client, "ada@example.org")

    assert client.get_cookie("remember_token") is None
    client.delete_cookie("tandem_session")
    assert not is_signed_in(client)


def test_logout_is_post_only(client, db, login):
    login(make_user("ada@example.org"))

    assert client.get("/logout").status_code == 405
    assert is_signed_in(client)

    response = client.post("/logout")

    assert response.status_code == 302
    assert not is_signed_in(client)
    assert len(events("account.logout")) == 1


def test_logout_also_forgets_remember_me(client, db):
    make_user("ada@example.org")
    sign_in(client, "ada@example.org", remember="y")
    assert client.get_cookie("remember_token") is not None

    client.post("/logout")

    assert client.get_cookie("remember_token") is None
    assert not is_signed_in(client)


UNSAFE_NEXT = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/account",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    " //evil.example",
]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_open_redirect_in_next_is_ignored(client, db, target):
    make_user("ada@example.org")

    response = sign_in(client, "ada@example.org", next=target)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_local_next_is_followed(client, db):
    make_user("ada@example.org")
    page = client.get("/login?next=/account%3Ftab%3D1").get_data(as_text=True)
    assert 'value="/account?tab=1"' in page

    response = sign_in(client, "ada@example.org", next="/account?tab=1")

    assert response.headers["Location"] == "/account?tab=1"


def test_session_is_rotated_at_login(client, db):
    user = make_user("ada@example.org")
    with client.session_transaction() as session:
        session["planted"] = "attacker-chosen value"
    before = client.get_cookie("tandem_session")
    assert before is not None

    sign_in(client, "ada@example.org")

    after = client.get_cookie("tandem_session")
    assert after is not None
    assert after.value != before.value
    with client.session_transaction() as session:
        assert "planted" not in session
        # "<user id>:<the key of a new server-side session>"
        uid, key = session["_user_id"].split(":")
    assert uid == str(user.id)
    assert len(key) >= 40
    assert is_signed_in(client)


def test_pre_login_cookie_does_not_grant_a_session(app, client, db):
    make_user("ada@example.org")
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "x"
    fixed = client.get_cookie("tandem_session").value

    sign_in(client, "ada@example.org")

    attacker = app.test_client()
    attacker.set_cookie("tandem_session", fixed)
    assert not is_signed_in(attacker)
    assert is_signed_in(client)


def test_signed_in_user_is_sent_home_from_login(client, db, login):
    login(make_user("ada@example.org"))

    response = client.get("/login")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_hostile_login_input_never_crashes(client, db):
    make_user("ada@example.org")
    for data in (
        {"email": "a" * 50_000, "password": "x"},
        {"email": "ada@example.org", "password": "p" * 200_000},
        {"email": "ada@example.org\r\nBcc: x@example.net", "password": PASSWORD},
        {"email": "", "password": ""},
        {},
    ):
        response = client.post("/login", data=data)
        assert response.status_code == 200, data
        assert error_summary(response)
    assert not is_signed_in(client)


@pytest.mark.parametrize("path", ["/login", "/forgot-password"])
def test_long_typed_address_fits_the_audit_log(client, db, path):
    response = client.post(path, data={"email": "a" * 400 + "@example.org", "password": "x"})

    assert response.status_code < 500
    limit = AuditEvent.__table__.c.actor_label.type.length
    labels = [e.actor_label or "" for e in db.session.scalars(db.select(AuditEvent))]
    assert all(len(label) <= limit for label in labels)


def test_audit_cuts_labels_to_the_column_length(db):
    from competitions.core import audit
    from competitions.core.actor import Actor

    event = audit.record(
        Actor(None, ip="1" * 100), "test.long", actor_label="a" * 5000, object_label="b" * 5000
    )
    db.session.commit()
    assert len(event.actor_label) == AuditEvent.__table__.c.actor_label.type.length
    assert len(event.object_label) == AuditEvent.__table__.c.object_label.type.length
    assert len(event.ip) == AuditEvent.__table__.c.ip.type.length
    assert event.actor_label.endswith("…")


def test_the_welcome_is_in_the_user_s_language_not_the_browser_s(client, db):
    make_user("ada@example.org", display_name="Ada", preferred_language="fr")

    response = sign_in(client, "ada@example.org", headers={"Accept-Language": "en"})
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"})

    assert "Bienvenue, Ada." in page_text(page)
    assert "Welcome back" not in page_text(page)
