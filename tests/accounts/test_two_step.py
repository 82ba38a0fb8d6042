"""Two-step sign-in (``accounts.mfa``): enrolment with an authenticator app, codes never
accepted twice, the second step of a sign-in, recovery codes, turning it off, throttling."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import select

from competitions.accounts.models import AccountSession, PendingSignIn, RecoveryCode
from competitions.core.extensions import db as _db
from tests.accounts.conftest import error_summary, events, field_error, is_signed_in, sign_in
from tests.factories import PASSWORD, make_user

EMAIL = "ada@example.org"
MFA_LIMIT = 5  # RATELIMIT_MFA: wrong codes per 5 minutes per account


def _secret(client) -> str:
    page = client.get("/account/two-step/setup")
    assert page.status_code == 200
    match = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page.get_data(as_text=True))
    assert match, "the key is shown as text"
    return match.group(1).replace(" ", "")


def _code(secret: str, clock, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=offset))


def _codes(response) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.get_data(True))


def _enrol(client, clock) -> tuple[str, list[str]]:
    secret = _secret(client)
    response = client.post("/account/two-step/setup", data={"code": _code(secret, clock)})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    codes = _codes(response)
    assert len(codes) == 10
    return secret, codes


@pytest.fixture
def ada(db, client, clock):
    user = make_user(EMAIL)
    _db.session.commit()
    assert sign_in(client, EMAIL).status_code == 302
    return user


@pytest.fixture
def enrolled(ada, client, clock):
    """Ada with two-step sign-in on, signed out; (secret, recovery codes)."""
    secret, codes = _enrol(client, clock)
    client.post("/logout")
    clock.advance(timedelta(seconds=30))  # the enrolment code's step is spent
    return secret, codes


def _second_step(client, code: str):
    return client.post("/login/two-step", data={"code": code})


def test_the_account_page_leads_to_two_step_sign_in(ada, client):
    assert "/account/two-step" in client.get("/account").get_data(as_text=True)
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "/account/two-step/setup" in page


def test_the_setup_page_shows_the_key_and_a_qr_code_without_inline_style(ada, client):
    page = client.get("/account/two-step/setup").get_data(as_text=True)
    assert re.search(r'<code id="totp-secret">[A-Z2-7 ]{39}</code>', page)
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "style=" not in svg and "<script" not in page.split("<main", 1)[1]


def test_a_wrong_code_does_not_turn_it_on(ada, client, clock):
    secret = _secret(client)
    wrong = f"{(int(_code(secret, clock)) + 1) % 1_000_000:06d}"
    response = client.post("/account/two-step/setup", data={"code": wrong})
    assert response.status_code == 200
    assert "not right" in field_error(response, "code")
    assert error_summary(response)
    assert not events("account.mfa_enabled")
    assert _secret(client) == secret  # the same key stays on offer


def test_a_right_code_turns_it_on_and_shows_recovery_codes_once(ada, client, clock):
    _, codes = _enrol(client, clock)
    assert len(set(codes)) == 10
    stored = _db.session.scalars(select(RecoveryCode.digest)).all()
    assert len(stored) == 10 and not any(c.replace("-", "") in stored for c in codes)
    assert [e.object_id for e in events("account.mfa_enabled")] == [str(ada.id)]
    assert client.get("/account/two-step/setup").status_code == 302  # no second key
    assert _codes(client.get("/account/two-step")) == []


def test_a_code_from_the_next_step_is_accepted_for_clock_drift(ada, client, clock):
    secret = _secret(client)
    response = client.post("/account/two-step/setup", data={"code": _code(secret, clock, 30)})
    assert len(_codes(response)) == 10


def test_a_code_two_steps_away_is_refused(ada, client, clock):
    secret = _secret(client)
    response = client.post("/account/two-step/setup", data={"code": _code(secret, clock, 90)})
    assert _codes(response) == []


def test_sign_in_needs_the_second_step(enrolled, client, clock):
    secret, _ = enrolled
    response = sign_in(client, EMAIL)
    assert urlsplit(response.headers["Location"]).path == "/login/two-step"
    assert not is_signed_in(client)  # a signed-in page is refused between the steps
    assert _db.session.scalar(select(AccountSession.id)) is None
    assert [e.action for e in events("account.login_password_ok")]

    response = _second_step(client, _code(secret, clock))
    assert response.status_code == 302
    assert is_signed_in(client)
    assert _db.session.scalar(select(PendingSignIn.id)) is None
    assert events("account.login")[-1].after == {"second_step": "totp"}


def test_remember_me_and_the_next_page_wait_for_the_second_step(enrolled, client, clock):
    secret, _ = enrolled
    sign_in(client, EMAIL, remember="y", next="/account/sessions")
    assert client.get_cookie("remember_token") is None
    response = _second_step(client, _code(secret, clock))
    assert urlsplit(response.headers["Location"]).path == "/account/sessions"
    assert client.get_cookie("remember_token") is not None
    assert _db.session.scalar(select(AccountSession.remember)) is True


def test_a_code_is_not_accepted_twice(enrolled, client, other_client, clock):
    secret, _ = enrolled
    code = _code(secret, clock)
    sign_in(client, EMAIL)
    assert _second_step(client, code).status_code == 302
    sign_in(other_client, EMAIL)
    replay = _second_step(other_client, code)
    assert replay.status_code == 200
    assert "not right" in field_error(replay, "code")
    assert not is_signed_in(other_client)
    clock.advance(timedelta(seconds=30))
    assert _second_step(other_client, _code(secret, clock)).status_code == 302


def test_the_pending_sign_in_ends_after_five_minutes(enrolled, client, clock):
    secret, _ = enrolled
    sign_in(client, EMAIL)
    clock.advance(timedelta(minutes=5))
    response = _second_step(client, _code(secret, clock))
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert not is_signed_in(client)


def test_the_second_step_is_bound_to_its_browser(enrolled, client, other_client, clock):
    secret, _ = enrolled
    sign_in(client, EMAIL)
    response = _second_step(other_client, _code(secret, clock))
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert not is_signed_in(other_client)


def test_a_recovery_code_works_once(enrolled, client, other_client, clock):
    _, codes = enrolled
    sign_in(client, EMAIL)
    assert _second_step(client, codes[0].upper().replace("-", " ")).status_code == 302
    assert events("account.mfa_recovery_code_used")[-1].after == {"left": 9}
    sign_in(other_client, EMAIL)
    again = _second_step(other_client, codes[0])
    assert again.status_code == 200 and not is_signed_in(other_client)
    assert _second_step(other_client, codes[1]).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(ada, client, other_client, clock):
    _, old = _enrol(client, clock)
    refused = client.post("/account/two-step/recovery-codes", data={"password": "wrong"})
    assert "incorrect" in field_error(refused, "password")
    response = client.post("/account/two-step/recovery-codes", data={"password": PASSWORD})
    new = _codes(response)
    assert len(new) == 10 and not set(new) & set(old)
    assert events("account.mfa_recovery_codes_regenerated")
    sign_in(other_client, EMAIL)
    assert _second_step(other_client, old[0]).status_code == 200
    assert _second_step(other_client, new[0]).status_code == 302


def test_turning_it_off_needs_the_password(ada, client, other_client, clock):
    _enrol(client, clock)
    refused = client.post("/account/two-step/disable", data={"password": "wrong guess"})
    assert refused.status_code == 200
    assert "incorrect" in field_error(refused, "password")
    assert not events("account.mfa_disabled")

    done = client.post("/account/two-step/disable", data={"password": PASSWORD})
    assert done.status_code == 302
    assert events("account.mfa_disabled")
    assert _db.session.scalar(select(RecoveryCode.id)) is None
    assert sign_in(other_client, EMAIL).headers["Location"] == "/"
    assert is_signed_in(other_client)


def test_wrong_codes_are_throttled_and_audited(enrolled, client, clock):
    secret, _ = enrolled
    sign_in(client, EMAIL)
    statuses = [_second_step(client, "000000").status_code for _ in range(MFA_LIMIT)]
    assert statuses == [200] * MFA_LIMIT
    assert len(events("account.mfa_failed")) == MFA_LIMIT
    throttled = _second_step(client, _code(secret, clock))  # even the right code waits
    assert throttled.status_code == 429
    assert "Retry-After" in throttled.headers
    assert events("account.mfa_throttled")
    assert not is_signed_in(client)


def test_garbage_codes_are_refused_without_error(enrolled, client):
    sign_in(client, EMAIL)
    for code in ("", "x" * 500, "12345", "\uff11\uff12\uff13\uff14\uff15\uff16", "\x00\x01"):
        response = _second_step(client, code)
        assert response.status_code == 200


def test_a_password_change_ends_a_sign_in_waiting_for_its_second_step(
    enrolled, client, other_client, clock
):
    secret, _ = enrolled
    sign_in(client, EMAIL)
    assert _second_step(client, _code(secret, clock)).status_code == 302
    sign_in(other_client, EMAIL)  # someone who has the old password
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "a sturdy new passphrase"},
    )
    assert response.status_code == 302
    clock.advance(timedelta(seconds=30))
    late = _second_step(other_client, _code(secret, clock))
    assert urlsplit(late.headers["Location"]).path == "/login"
    assert not is_signed_in(other_client)
