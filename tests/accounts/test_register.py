"""Registration, the verification link, and email normalization."""

from __future__ import annotations

from datetime import timedelta

import pytest

from competitions.accounts import passwords
from tests.accounts.conftest import (
    BASE,
    events,
    page_text,
    path_of,
    registration,
    user_by_email,
    users,
)
from tests.factories import make_user
from tests.support.smtp import SMTPCapture

SPOOFS = {
    "host-header": {"headers": {"Host": "evil.example"}},
    "base-url": {"base_url": "http://evil.example"},
    "forwarded-host": {"headers": {"X-Forwarded-Host": "evil.example", "Forwarded": "host=evil"}},
}


def _email_link(mail: SMTPCapture, address: str, fragment: str) -> str:
    (msg,) = mail.wait_for(address)
    return SMTPCapture.link(msg, fragment)


@pytest.mark.parametrize("spoof", SPOOFS.values(), ids=SPOOFS.keys())
def test_register_creates_unverified_user_and_emails_link_from_base_url(client, db, mail, spoof):
    data = registration(preferred_language="fr", timezone="America/Montreal", country="CA")
    response = client.post("/register", data=data, **spoof)

    assert response.status_code == 302
    assert response.headers["Location"] == "/check-email?why=register"
    (user,) = users()
    assert user.email == "ada@example.org"
    assert (user.display_name, user.country) == ("Ada Lovelace", "CA")
    assert (user.preferred_language, user.timezone) == ("fr", "America/Montreal")
    assert not user.is_verified
    assert user.email_verified_at is None

    (msg,) = mail.wait_for("ada@example.org")
    link = SMTPCapture.link(msg, "/verify/")
    assert link.startswith(BASE + "verify/")
    assert "evil.example" not in msg.as_string()
    (event,) = events("account.registered")
    assert event.object_id == str(user.id)
    assert event.ip == "127.0.0.1"


def test_stored_password_hash_is_argon2id(client, db, mail):
    client.post("/register", data=registration(password="analytical engine notes"))

    (user,) = users()
    assert user.password_hash.startswith("$argon2id$")
    assert "analytical" not in user.password_hash
    assert passwords.verify_password(user.password_hash, "analytical engine notes")


def test_following_the_link_verifies_the_address(client, db, mail):
    client.post("/register", data=registration())
    link = _email_link(mail, "ada@example.org", "/verify/")

    response = client.get(path_of(link))

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    user = user_by_email("ada@example.org")
    assert user.is_verified
    assert len(events("account.email_verified")) == 1
    # Following it again is harmless and does not log a second verification.
    assert client.get(path_of(link)).status_code == 302
    assert len(events("account.email_verified")) == 1


@pytest.mark.parametrize(
    ("elapsed", "verified"),
    [(timedelta(hours=47, minutes=59), True), (timedelta(hours=48, seconds=1), False)],
    ids=["just-before-expiry", "just-after-expiry"],
)
def test_verification_link_expires(client, db, mail, clock, app, elapsed, verified):
    assert app.config["EMAIL_VERIFY_MAX_AGE"] == 48 * 3600
    client.post("/register", data=registration())
    link = _email_link(mail, "ada@example.org", "/verify/")

    clock.advance(elapsed)
    response = client.get(path_of(link))

    assert user_by_email("ada@example.org").is_verified is verified
    if not verified:
        assert response.status_code == 400
        assert "This confirmation link has expired" in page_text(response)
        assert events("account.email_verified") == []


def _tamper_signature(token: str) -> str:
    payload, stamp, signature = token.split(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return f"{payload}.{stamp}.{signature[:middle]}{swapped}{signature[middle + 1 :]}"


def _swap_payload(token: str, other: str) -> str:
    # Another account's payload with this token's signature.
    return ".".join([other.split(".")[0], *token.split(".")[1:]])


@pytest.mark.parametrize("tamper", ["signature", "payload", "garbage", "truncated"])
def test_tampered_verification_link_is_refused(client, db, mail, tamper):
    client.post("/register", data=registration())
    token = path_of(_email_link(mail, "ada@example.org", "/verify/")).rsplit("/", 1)[1]
    client.post("/register", data=registration(email="eve@example.org"))
    other = path_of(_email_link(mail, "eve@example.org", "/verify/")).rsplit("/", 1)[1]
    bad = {
        "signature": _tamper_signature(token),
        "payload": _swap_payload(other, token),
        "garbage": "not-a-token",
        "truncated": token[:-4],
    }[tamper]

    response = client.get(f"/verify/{bad}")

    assert response.status_code == 400
    assert "This confirmation link is not valid." in page_text(response)
    assert not any(u.is_verified for u in users())
    assert events("account.email_verified") == []


def test_a_link_for_another_purpose_is_refused(client, db, mail):
    make_user("ada@example.org", verified=False)
    client.post("/forgot-password", data={"email": "ada@example.org"})
    reset = _email_link(mail, "ada@example.org", "/reset-password/")
    token = path_of(reset).rsplit("/", 1)[1]

    response = client.get(f"/verify/{token}")

    assert response.status_code == 400
    assert "This confirmation link is not valid." in page_text(response)
    assert not user_by_email("ada@example.org").is_verified


VARIANTS = {
    "plain": "ada@example.org",
    "upper": "ADA@EXAMPLE.ORG",
    "padded": "\t ada@example.org \u3000",
    # Fullwidth letters (U+FF21...), which NFKC maps to ASCII.
    "fullwidth-local": "\uff41\uff44\uff41@example.org",
    "fullwidth-all": "\uff21\uff24\uff21@"
    "\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.\uff2f\uff32\uff27",
}


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_same_address_in_another_form_does_not_create_a_second_account(app, db, mail, variant):
    first, second = app.test_client(), app.test_client()
    new = first.post("/register", data=registration(email="  Ada@Example.ORG "))
    (owner,) = users()
    assert (owner.email, owner.email_normalized) == ("Ada@Example.ORG", "ada@example.org")
    hash_before = owner.password_hash
    mail.wait_for("ada@example.org", 1)

    again = second.post(
        "/register",
        data=registration(email=variant, password="another long password", display_name="Eve"),
    )

    # The same answer as for a new account: nothing tells the visitor the address is taken.
    assert again.status_code == new.status_code == 302
    assert again.headers["Location"] == new.headers["Location"]
    assert page_text(second.get(again.headers["Location"])) == page_text(
        first.get(new.headers["Location"])
    )
    (only,) = users()
    assert only.id == owner.id
    assert (only.display_name, only.password_hash) == ("Ada Lovelace", hash_before)
    # Instead of a verification link, the owner is told someone tried their address.
    verification, notice = mail.wait_for("ada@example.org", 2)
    assert "/verify/" in SMTPCapture.text(verification)
    assert notice["Subject"] == "Someone tried to register with your email address"
    assert "/verify/" not in SMTPCapture.text(notice)
    assert BASE + "login" in SMTPCapture.text(notice)
    assert [rcpt for _sender, rcpts in mail.envelopes for rcpt in rcpts] == [
        "Ada@Example.ORG",
        "Ada@Example.ORG",
    ]
    assert len(events("account.register_existing")) == 1


def test_already_registered_notice_is_in_the_owners_language(client, db, mail):
    make_user("marie@example.org", preferred_language="fr")

    client.post("/register", data=registration(email="MARIE@example.org"))

    (notice,) = mail.wait_for("marie@example.org")
    assert notice["Subject"] == "Quelqu'un a tenté de s'inscrire avec votre adresse courriel"


def test_registering_a_taken_address_costs_the_same_hashing_work(client, db, mail, monkeypatch):
    make_user("ada@example.org")
    calls: list[str] = []
    real_hash = passwords.hash_password

    def counting_hash(password: str) -> str:
        calls.append(password)
        return real_hash(password)

    monkeypatch.setattr(passwords, "hash_password", counting_hash)
    client.post("/register", data=registration(email="newcomer@example.org"))
    for_new = len(calls)
    calls.clear()
    client.post("/register", data=registration(email="ada@example.org"))

    assert for_new == 1
    assert len(calls) == for_new


def test_signed_in_user_is_sent_home_from_register(client, db, login, mail):
    login(make_user("ada@example.org"))

    response = client.post("/register", data=registration(email="second@example.org"))

    assert response.status_code == 302
    assert len(users()) == 1
    assert mail.messages == []
