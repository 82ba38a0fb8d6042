"""Following a challenge: double opt-in by a signed link, the same answer for everyone (no
enumeration), one-click unsubscribe (RFC 8058) without signing in, a preferences page."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from competitions.core.audit import AuditEvent
from competitions.core.extensions import db
from competitions.outreach import services
from competitions.outreach.models import Subscription
from tests.submissions.conftest import build


@pytest.fixture
def challenge(world, clock):
    return build(world, "food")


def sub_of(email: str) -> Subscription | None:
    return db.session.scalar(select(Subscription).where(Subscription.email == email))


def path(url: str) -> str:
    return urlsplit(url).path


def follow(client, challenge, email, language="en"):
    return client.post(
        f"/challenges/{challenge.slug}/follow", data={"email": email, "language": language}
    )


def actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_following_needs_a_confirmation_from_the_email(client, challenge, mail):
    page = client.get(f"/challenges/{challenge.slug}")
    assert f"/challenges/{challenge.slug}/follow" in page.get_data(as_text=True)
    response = follow(client, challenge, "Fan@Example.org", "fr")
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    sub = sub_of("Fan@Example.org")
    assert sub.status == "pending" and sub.language == "fr"
    assert sub.email_normalized == "fan@example.org"
    (message,) = mail.to("fan@example.org")
    assert message["Subject"] == "Confirmez que vous voulez suivre Alimentation spatiale"
    link = mail.link(message, "/follow/")
    # Opening the link (as a mail scanner does) confirms nothing: a button does.
    page = client.get(path(link))
    assert page.status_code == 200 and "Yes, follow this challenge" in page.get_data(as_text=True)
    db.session.refresh(sub)
    assert sub.status == "pending"
    response = client.post(path(link))
    assert response.status_code == 302
    db.session.refresh(sub)
    assert sub.status == "active" and sub.confirmed_at is not None
    assert "subscription.requested" in actions() and "subscription.confirmed" in actions()


def test_the_welcome_email_carries_a_one_click_unsubscribe_that_needs_no_login(
    client, challenge, mail, app
):
    follow(client, challenge, "click@example.org")
    client.post(path(mail.link(mail.to("click@example.org")[0], "/follow/")))
    welcome = mail.wait_for("click@example.org", 2)[-1]
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = welcome["List-Unsubscribe"]
    assert header.startswith("<https://tandem.test/subscriptions/") and header.endswith(">")
    url = header[1:-1]
    assert url in mail.text(welcome)
    app.config["WTF_CSRF_ENABLED"] = True  # a mail client sends no CSRF token, no cookie
    try:
        fresh = app.test_client()
        response = fresh.post(path(url), data={"List-Unsubscribe": "One-Click"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 204
    sub = sub_of("click@example.org")
    assert sub.status == "unsubscribed" and sub.unsubscribed_at is not None  # at once
    assert "subscription.unsubscribed" in actions()
    assert services.active_subscribers(challenge) == []


def test_an_unsubscribe_link_opened_in_a_browser_asks_first(client, challenge, mail):
    follow(client, challenge, "ask@example.org")
    client.post(path(mail.link(mail.to("ask@example.org")[0], "/follow/")))
    sub = sub_of("ask@example.org")
    url = f"/subscriptions/{services.link_token(sub)}/unsubscribe"
    page = client.get(url).get_data(as_text=True)
    assert "Stop these emails" in page
    db.session.refresh(sub)
    assert sub.status == "active"
    done = client.post(url)
    assert done.status_code == 200
    assert "no longer receives the emails" in html.unescape(done.get_data(as_text=True))
    db.session.refresh(sub)
    assert sub.status == "unsubscribed"


def test_the_same_answer_whether_or_not_the_address_already_follows(client, challenge, mail, clock):
    follow(client, challenge, "twice@example.org")
    confirmed = client.post(path(mail.link(mail.to("twice@example.org")[0], "/follow/")))
    client.get(confirmed.headers["Location"])  # shows (and uses up) the flashed message
    first = follow(client, challenge, "new@example.org").get_data(as_text=True)
    clock.advance(timedelta(minutes=5))
    again = follow(client, challenge, "twice@example.org").get_data(as_text=True)
    main = re.compile(r"<main.*?</main>", re.S)
    first_main, again_main = main.search(first), main.search(again)
    assert first_main and again_main
    assert first_main.group(0).replace("new@example.org", "X") == again_main.group(0).replace(
        "twice@example.org", "X"
    )
    last = mail.to("twice@example.org")[-1]
    assert "already follows" in mail.text(last)
    assert "/subscriptions/" in mail.text(last)


def test_asking_again_soon_sends_no_second_email(client, challenge, mail, clock):
    follow(client, challenge, "eager@example.org")
    follow(client, challenge, "eager@example.org")
    assert len(mail.to("eager@example.org")) == 1
    clock.advance(timedelta(minutes=3))
    follow(client, challenge, "eager@example.org")
    assert len(mail.to("eager@example.org")) == 2


def test_a_new_request_voids_the_older_confirmation_link(client, challenge, mail, clock):
    follow(client, challenge, "void@example.org")
    old = path(mail.link(mail.to("void@example.org")[0], "/follow/"))
    clock.advance(timedelta(minutes=3))
    follow(client, challenge, "void@example.org")
    new = path(mail.link(mail.to("void@example.org")[-1], "/follow/"))
    assert client.post(old).status_code == 404
    assert client.post(new).status_code == 302


def test_an_expired_confirmation_link_says_so(client, challenge, mail, clock):
    follow(client, challenge, "late@example.org")
    link = path(mail.link(mail.to("late@example.org")[0], "/follow/"))
    clock.advance(timedelta(days=8))
    response = client.post(link)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert sub_of("late@example.org").status == "pending"


@pytest.mark.parametrize("token", ["nonsense", "a.b.c"])
def test_a_tampered_link_is_not_found(client, token):
    for url in (
        f"/follow/{token}",
        f"/subscriptions/{token}",
        f"/subscriptions/{token}/unsubscribe",
    ):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404


def test_a_bad_address_is_refused_with_a_clear_message(client, challenge, mail):
    response = follow(client, challenge, "not an email")
    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.get_data(as_text=True)
    assert db.session.scalars(select(Subscription)).all() == []


def test_an_unpublished_challenge_cannot_be_followed(client, world, clock):
    from competitions.challenges import services as challenge_services
    from tests.submissions.conftest import act

    draft = challenge_services.create_challenge(
        act(world.admin_a),
        world.agency_a,
        "secret",
        challenge_services.Texts({"en": "Secret"}, {}, {}),
    )
    db.session.commit()
    assert client.get(f"/challenges/{draft.slug}/follow").status_code == 404
    assert follow(client, draft, "x@example.org").status_code == 404


def test_following_is_rate_limited_per_address(client, challenge, mail):
    statuses = [follow(client, challenge, f"flood{i}@example.org").status_code for i in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]


def test_the_preferences_page_changes_the_language(client, challenge, mail, clock):
    follow(client, challenge, "pref@example.org")
    client.post(path(mail.link(mail.to("pref@example.org")[0], "/follow/")))
    sub = sub_of("pref@example.org")
    url = f"/subscriptions/{services.link_token(sub)}"
    assert "pref@example.org follows this challenge." in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"language": "fr"})
    assert response.status_code == 302
    db.session.refresh(sub)
    assert sub.language == "fr"
    assert client.post(url, data={"language": "xx"}).status_code == 200
    db.session.refresh(sub)
    assert sub.language == "fr"
