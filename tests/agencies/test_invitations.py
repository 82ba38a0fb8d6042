"""Inviting people to an agency by email: signed links, accepting, declining, re-sending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from competitions.accounts.models import User
from competitions.agencies.models import AgencyInvitation, Membership
from competitions.core.extensions import db
from tests.agencies.helpers import BASE_URL, events, field_error, invitation_path, page_text
from tests.factories import PASSWORD, make_user
from tests.support.smtp import SMTPCapture

GUEST = "guest@example.org"


def membership(user_id: int, agency_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user_id, Membership.agency_id == agency_id)
    )


def invitations(email: str = GUEST) -> list[AgencyInvitation]:
    return list(
        db.session.scalars(
            select(AgencyInvitation)
            .where(AgencyInvitation.email_normalized == email.casefold())
            .order_by(AgencyInvitation.id)
        )
    )


@pytest.fixture
def send_invitation(client, world, login, logout, invite, mail):
    """Admin A invites ``email``; returns the link's path. The client is signed out after."""

    def do(email: str = GUEST, role: str = "staff", count: int = 1) -> str:
        login(world.admin_a)
        response = invite(email, role)
        assert response.status_code == 302, page_text(response)[:2000]
        logout()
        msg = mail.wait_for(email, count)[-1]
        return invitation_path(SMTPCapture.link(msg, "/invitations/"))

    return do


# --- sending ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_invitation_email_carries_a_link_under_base_url(client, world, login, invite, mail, role):
    login(world.admin_a)

    response = invite("Guest@Example.org", role)

    assert response.status_code == 302
    [msg] = mail.wait_for(GUEST)
    assert msg["To"] == "Guest@Example.org"
    assert "Agency A" in msg["Subject"]
    text = SMTPCapture.text(msg)
    assert "admin-a@agency-a.example invites you to join Agency A" in text
    role_words = "an administrator" if role == "admin" else "a staff member"
    assert role_words in text
    assert "expires in 14 days" in text
    link = SMTPCapture.link(msg, "/invitations/")
    assert link.startswith(f"{BASE_URL}/invitations/")

    [inv] = invitations()
    assert (inv.role, inv.resolution, inv.email) == (role, None, "Guest@Example.org")
    [sent] = events("agency.invitation_sent")
    assert sent.actor_id == world.admin_a.id
    assert sent.agency_id == world.agency_a.id
    assert sent.after == {"email": "Guest@Example.org", "role": role}

    console = page_text(client.get("/agencies/agency-a/console"))
    assert "Guest@Example.org" in console


def test_link_ignores_the_host_header(client, world, login, mail):
    login(world.admin_a)
    session_cookie = client.get_cookie("tandem_session")
    client.set_cookie("tandem_session", session_cookie.value, domain="evil.example")

    response = client.post(
        "/agencies/agency-a/members/invite",
        data={"email": GUEST, "role": "staff"},
        base_url="https://evil.example",
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/agencies/agency-a/console")
    link = SMTPCapture.link(mail.wait_for(GUEST)[0], "/invitations/")
    assert link.startswith(f"{BASE_URL}/invitations/")
    assert "evil.example" not in SMTPCapture.text(mail.to(GUEST)[0])


def test_invitation_is_written_in_the_invitees_language(client, world, login, invite, mail):
    make_user(GUEST, preferred_language="fr")
    db.session.commit()
    login(world.admin_a)

    invite(GUEST, "staff")

    [msg] = mail.wait_for(GUEST)
    assert msg["Subject"] == "On vous invite à rejoindre Agency A sur Tandem"
    assert "L'invitation expire dans 14 jours." in SMTPCapture.text(msg)


@pytest.mark.parametrize(
    ("language", "days", "words"),
    [
        ("en", 1, "The invitation expires in 1 day."),
        ("fr", 1, "L'invitation expire dans 1 jour."),
        ("de", 1, "Die Einladung läuft in 1 Tag ab."),
        ("es", 1, "La invitación caduca dentro de 1 día."),
        ("ar", 1, "تنتهي صلاحية الدعوة خلال يوم واحد."),
        ("ar", 2, "تنتهي صلاحية الدعوة خلال يومين."),
        ("ar", 3, "تنتهي صلاحية الدعوة خلال 3 أيام."),
    ],
)
def test_the_expiry_is_written_in_the_plural_form_of_its_number(
    app, client, world, login, invite, mail, monkeypatch, language, days, words
):
    """``INVITATION_MAX_AGE`` is a setting: "1 days" must never reach anyone."""
    monkeypatch.setitem(app.config, "INVITATION_MAX_AGE", days * 86400)
    make_user(GUEST, preferred_language=language)
    db.session.commit()
    login(world.admin_a)

    invite(GUEST, "staff")

    [msg] = mail.wait_for(GUEST)
    assert words in SMTPCapture.text(msg)


def test_agency_name_is_escaped_in_the_html_part(client, world, login, invite, mail):
    world.agency_a.name = "A <b>&</b> B"
    db.session.commit()
    login(world.admin_a)

    invite(GUEST, "staff")

    [msg] = mail.wait_for(GUEST)
    html_part = msg.get_body(preferencelist=("html",)).get_content()
    assert "A &lt;b&gt;&amp;&lt;/b&gt; B" in html_part
    assert "<b>&</b>" not in html_part
    assert "A <b>&</b> B" in SMTPCapture.text(msg)


def test_inviting_an_existing_member_is_a_clear_error(client, world, login, invite, mail):
    login(world.admin_a)

    response = invite("STAFF-A@agency-a.example", "admin")

    assert response.status_code == 400
    assert "is already a member of this agency." in field_error(response, "email")
    assert invitations("staff-a@agency-a.example") == []
    assert mail.to("staff-a@agency-a.example") == []
    assert events("agency.invitation_sent") == []


@pytest.mark.parametrize(
    ("email", "role", "field", "message"),
    [
        ("not-an-address", "staff", "email", "Enter an email address in the correct format"),
        ("", "staff", "email", "Enter the email address of the person to invite."),
        (GUEST, "owner", "role", "Not a valid choice"),
    ],
)
def test_invalid_invitation_is_refused(
    client, world, login, invite, mail, email, role, field, message
):
    login(world.admin_a)

    response = invite(email, role)

    assert response.status_code == 400
    assert message in field_error(response, field)
    assert db.session.scalars(select(AgencyInvitation)).all() == []
    assert mail.messages == []


def test_invitation_form_requires_csrf_token(request, client, world, login, invite, mail):
    login(world.admin_a)
    request.getfixturevalue("csrf_enabled")

    response = invite(GUEST, "staff")

    assert response.status_code == 400
    assert invitations() == []
    assert mail.messages == []


# --- accepting --------------------------------------------------------------------------------


def test_existing_user_accepts_and_joins_with_the_invited_role(client, world, send_invitation):
    guest = make_user(GUEST)
    db.session.commit()
    path = send_invitation(GUEST, "admin")

    anonymous = client.get(path)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=")

    signed_in = client.post("/login", data={"email": GUEST, "password": PASSWORD, "next": path})
    assert signed_in.headers["Location"] == path  # back to the invitation after sign-in
    page = client.get(path)
    assert page.status_code == 200
    assert "Accept the invitation" in page_text(page)
    assert "as an administrator" in page_text(page)

    response = client.post(path, data={"answer": "accept"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/agencies/agency-a/console")
    m = membership(guest.id, world.agency_a.id)
    assert m is not None and m.role == "admin"
    [inv] = invitations()
    assert inv.resolution == "accepted"
    assert inv.resolved_by_id == guest.id
    [accepted] = events("agency.invitation_accepted")
    assert accepted.actor_id == guest.id
    assert accepted.agency_id == world.agency_a.id
    assert accepted.role == "agency_admin"
    assert client.get("/agencies/agency-a/settings").status_code == 200

    again = client.post(path, data={"answer": "accept"})
    assert again.status_code == 400
    assert "already been used or was withdrawn" in page_text(again)


def test_user_who_registers_after_the_invitation_can_accept(client, world, login, send_invitation):
    path = send_invitation("Newcomer@Example.org", "staff")
    newcomer = make_user("newcomer@example.org")  # same address, other case
    db.session.commit()

    login(newcomer)
    response = client.post(path, data={"answer": "accept"})

    assert response.status_code == 302
    m = membership(newcomer.id, world.agency_a.id)
    assert m is not None and m.role == "staff"


def test_signed_in_with_another_address_cannot_accept(client, world, login, send_invitation):
    path = send_invitation(GUEST, "admin")
    login(world.innovator)

    page = client.get(path)
    assert page.status_code == 200
    expected = (
        f"This invitation was sent to {GUEST}, but you are signed in as innovator@example.org."
    )
    assert expected in page_text(page)
    assert "Accept the invitation" not in page_text(page)

    response = client.post(path, data={"answer": "accept"})

    assert response.status_code == 200
    assert expected in page_text(response)
    assert membership(world.innovator.id, world.agency_a.id) is None
    assert invitations()[0].resolution is None
    assert events("agency.invitation_accepted") == []

    declined = client.post(path, data={"answer": "decline"})
    assert declined.status_code == 200
    assert invitations()[0].resolution is None


def test_accepting_verifies_an_unverified_address(client, world, login, send_invitation):
    guest = make_user(GUEST, verified=False)
    db.session.commit()
    path = send_invitation()

    login(guest)
    response = client.post(path, data={"answer": "accept"})

    assert response.status_code == 302
    assert db.session.get(User, guest.id).email_verified_at is not None
    assert membership(guest.id, world.agency_a.id) is not None


def test_declining_closes_the_invitation(client, world, login, send_invitation):
    guest = make_user(GUEST)
    db.session.commit()
    path = send_invitation()

    login(guest)
    response = client.post(path, data={"answer": "decline"}, follow_redirects=True)

    assert response.status_code == 200
    assert "You declined the invitation." in page_text(response)
    assert membership(guest.id, world.agency_a.id) is None
    [inv] = invitations()
    assert inv.resolution == "declined"
    [declined] = events("agency.invitation_declined")
    assert declined.actor_id == guest.id
    assert declined.agency_id == world.agency_a.id
    assert client.get(path).status_code == 400


# --- replacing, withdrawing, expiry, tampering ------------------------------------------------


def test_resending_replaces_the_link(client, world, login, send_invitation):
    guest = make_user(GUEST)
    db.session.commit()
    old = send_invitation(GUEST, "staff")
    new = send_invitation(GUEST, "admin", count=2)
    assert old != new

    [inv] = invitations()  # still one open invitation, now for the new role
    assert inv.role == "admin"
    assert len(events("agency.invitation_resent")) == 1

    login(guest)
    refused = client.post(old, data={"answer": "accept"})
    assert refused.status_code == 400
    assert "replaced by a newer one" in page_text(refused)
    assert membership(guest.id, world.agency_a.id) is None

    accepted = client.post(new, data={"answer": "accept"})
    assert accepted.status_code == 302
    assert membership(guest.id, world.agency_a.id).role == "admin"


def test_revoked_invitation_cannot_be_used(client, world, login, logout, send_invitation):
    guest = make_user(GUEST)
    db.session.commit()
    path = send_invitation()
    [inv] = invitations()

    login(world.admin_a)
    response = client.post(f"/agencies/agency-a/invitations/{inv.id}/revoke")
    assert response.status_code == 302
    assert invitations()[0].resolution == "revoked"
    [revoked] = events("agency.invitation_revoked")
    assert revoked.actor_id == world.admin_a.id
    logout()

    login(guest)
    for answer in ("accept", "decline"):
        refused = client.post(path, data={"answer": answer})
        assert refused.status_code == 400
        assert "already been used or was withdrawn" in page_text(refused)
    assert membership(guest.id, world.agency_a.id) is None
    assert invitations()[0].resolution == "revoked"


def test_expired_invitation_is_refused(app, client, world, login, send_invitation, clock):
    guest = make_user(GUEST)
    db.session.commit()
    path = send_invitation()
    login(guest)

    clock.advance(timedelta(seconds=app.config["INVITATION_MAX_AGE"] + 60))
    response = client.post(path, data={"answer": "accept"})

    assert response.status_code == 400
    assert "This invitation has expired." in page_text(response)
    assert membership(guest.id, world.agency_a.id) is None
    assert invitations()[0].resolution is None


def test_invitation_still_valid_just_before_expiry(
    app, client, world, login, send_invitation, clock
):
    guest = make_user(GUEST)
    db.session.commit()
    path = send_invitation()
    login(guest)

    clock.advance(timedelta(seconds=app.config["INVITATION_MAX_AGE"] - 60))
    response = client.post(path, data={"answer": "accept"})

    assert response.status_code == 302
    assert membership(guest.id, world.agency_a.id) is not None


def test_expired_invitation_can_be_sent_again(app, client, world, login, send_invitation, clock):
    guest = make_user(GUEST)
    db.session.commit()
    send_invitation()
    clock.advance(timedelta(seconds=app.config["INVITATION_MAX_AGE"] + 60))

    fresh = send_invitation(count=2)
    login(guest)
    response = client.post(fresh, data={"answer": "accept"})

    assert response.status_code == 302
    assert membership(guest.id, world.agency_a.id) is not None


def test_tampered_token_is_refused(client, world, login, send_invitation):
    guest = make_user(GUEST)
    db.session.commit()
    path = send_invitation()
    prefix, token = path.rsplit("/", 1)
    tampered = f"{prefix}/{'B' if token[0] == 'A' else 'A'}{token[1:]}"
    login(guest)

    for candidate in (tampered, f"{prefix}/{token[:-3]}", f"{prefix}/not-a-token"):
        response = client.post(candidate, data={"answer": "accept"})
        assert response.status_code == 400, candidate
        assert "This invitation link is not valid." in page_text(response)

    assert membership(guest.id, world.agency_a.id) is None
