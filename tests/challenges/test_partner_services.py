"""Partner agencies: invited by email, each joins with exactly one track of its own."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy.exc import IntegrityError

from competitions.challenges.eligibility import parse_rules
from competitions.challenges.models import PartnerInvitation, Track
from competitions.challenges.services import partners as partner_services
from competitions.core import invitations
from competitions.core.errors import Conflict, DomainError, NotFound
from competitions.core.extensions import db
from competitions.core.invitations import WrongAddressee
from tests.challenges.helpers import BASE_URL, act, count, events, publish, token_for
from tests.factories import make_agency, make_membership, make_user
from tests.support.smtp import SMTPCapture


def token_in(msg) -> str:
    link = SMTPCapture.link(msg, "/partner-invitations/")
    return urlsplit(link).path.split("/partner-invitations/", 1)[1].strip("/")


def test_invitation_is_emailed_to_the_address_once_committed(draft, world, invite, mail, clock):
    inv = invite(act(world.admin_a), draft, "  Admin-B@Agency-B.example ")

    assert (inv.email, inv.email_normalized) == (
        "Admin-B@Agency-B.example",
        "admin-b@agency-b.example",
    )
    assert inv.expires_at == clock.now() + timedelta(days=14)
    assert mail.to("admin-b@agency-b.example") == []  # nothing leaves before the commit

    db.session.commit()

    [msg] = mail.wait_for("admin-b@agency-b.example")
    assert "Agency A invites your agency" in msg["Subject"]
    assert "Deep Space Food Challenge" in SMTPCapture.text(msg)
    assert invitations.from_token(partner_services.INVITATIONS, token_in(msg)) is inv
    [event] = events("challenge.partner_invitation_sent")
    assert event.after == {"email": "Admin-B@Agency-B.example"}
    assert event.agency_id == world.agency_a.id


def test_invitation_link_opens_the_partner_invitation_page(draft, world, mail):
    partner_services.invite_partner(act(world.admin_a), draft, world.admin_b.email)
    db.session.commit()

    [msg] = mail.wait_for(world.admin_b.email)
    link = SMTPCapture.link(msg, "/partner-invitations/")
    assert link.startswith(f"{BASE_URL}/partner-invitations/")
    track = partner_services.accept_partner_invitation(
        act(world.admin_b), token_in(msg), world.agency_b.id
    )
    assert track.agency_id == world.agency_b.id


@pytest.mark.parametrize("who", ["staff_a", "admin_b", "innovator"])
def test_only_lead_admins_invite_partners(draft, world, invite, mail, who):
    with pytest.raises(NotFound):
        invite(act(getattr(world, who)), draft, "someone@agency-b.example")

    assert count(PartnerInvitation) == 0
    assert mail.to("someone@agency-b.example") == []


def test_an_invalid_address_is_refused(draft, world, invite):
    with pytest.raises(DomainError) as refused:
        invite(act(world.admin_a), draft, "not an address")

    assert refused.value.field == "email"


def test_partner_admin_accepts_and_gets_their_agency_track(draft, world, invite):
    inv = invite(act(world.admin_a), draft, world.admin_b.email)

    track = partner_services.accept_partner_invitation(
        act(world.admin_b), token_for(inv), world.agency_b.id
    )
    db.session.commit()

    assert [t.agency_id for t in draft.tracks] == [world.agency_a.id, world.agency_b.id]
    assert (track.slug, track.position) == ("agency-b", 1)
    assert track.name == {"en": "Agency B"}
    assert track.languages == ["en"]
    assert track.timezone == "America/Chicago"
    assert parse_rules(track.rules).allowed_countries == {"US"}
    # Entrants can write to the administrator who added the track until it names another.
    assert track.contact_email == world.admin_b.email
    assert draft.tracks[0].contact_email == world.admin_a.email
    assert track.ready_at is None
    assert (inv.resolution, inv.resolved_by_id, inv.track_id) == (
        "accepted",
        world.admin_b.id,
        track.id,
    )
    joined = events("challenge.partner_joined")
    assert {e.agency_id for e in joined} == {world.agency_a.id, world.agency_b.id}
    assert all(e.object_id == str(track.id) for e in joined)


def test_an_accepted_invitation_cannot_be_used_again(draft, world, invite):
    inv = invite(act(world.admin_a), draft, world.admin_b.email)
    token = token_for(inv)
    partner_services.accept_partner_invitation(act(world.admin_b), token, world.agency_b.id)

    with pytest.raises(DomainError):
        partner_services.accept_partner_invitation(act(world.admin_b), token, world.agency_b.id)
    assert len(draft.tracks) == 2


def test_only_the_invited_address_may_accept(draft, world, invite):
    inv = invite(act(world.admin_a), draft, "director@agency-b.example")

    with pytest.raises(WrongAddressee) as refused:
        partner_services.accept_partner_invitation(
            act(world.admin_b), token_for(inv), world.agency_b.id
        )

    assert "director@agency-b.example" in refused.value.message
    assert len(draft.tracks) == 1
    assert inv.is_open


def test_an_agency_already_in_the_challenge_cannot_join_again(challenge, world, invite):
    second_admin = make_user("second-admin@agency-b.example")
    make_membership(second_admin, world.agency_b, "admin")
    inv = invite(act(world.admin_a), challenge, second_admin.email)

    with pytest.raises(DomainError) as refused:
        partner_services.accept_partner_invitation(
            act(second_admin), token_for(inv), world.agency_b.id
        )

    assert refused.value.field == "agency"
    assert count(Track, Track.agency_id == world.agency_b.id) == 1
    assert inv.resolution is None


def test_the_lead_agency_cannot_join_its_own_challenge_twice(draft, world, invite):
    inv = invite(act(world.admin_a), draft, world.admin_a.email)

    with pytest.raises(DomainError) as refused:
        partner_services.accept_partner_invitation(
            act(world.admin_a), token_for(inv), world.agency_a.id
        )

    assert refused.value.field == "agency"
    assert len(draft.tracks) == 1


def test_one_can_join_only_with_an_agency_one_administers(draft, world, invite):
    london = make_agency("london", jurisdiction="GB", timezone="Europe/London", languages=["en"])
    officer = make_user("officer@london.example")
    make_membership(officer, london, "staff")
    inv = invite(act(world.admin_a), draft, officer.email)

    for agency in (london, world.agency_b):  # staff only / not a member at all
        with pytest.raises(DomainError) as refused:
            partner_services.accept_partner_invitation(act(officer), token_for(inv), agency.id)
        assert refused.value.field == "agency"
    assert len(draft.tracks) == 1


def test_the_database_allows_one_track_per_agency_and_challenge(challenge, world):
    duplicate = Track(
        challenge_id=challenge.id,
        agency_id=world.agency_b.id,
        slug="agency-b-again",
        timezone="America/Chicago",
    )

    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(duplicate)
        db.session.flush()

    assert count(Track, Track.challenge_id == challenge.id) == 2


def test_reinviting_replaces_the_link(draft, world, invite, mail):
    first = invite(act(world.admin_a), draft, world.admin_b.email)
    old_token, old_nonce = token_for(first), first.nonce
    db.session.commit()

    again = invite(act(world.admin_a), draft, "ADMIN-B@agency-b.example")
    db.session.commit()

    assert again.id == first.id
    assert again.nonce != old_nonce
    assert partner_services.open_partner_invitations(draft) == [again]
    assert len(mail.wait_for(world.admin_b.email, 2)) == 2
    with pytest.raises(DomainError, match="replaced by a newer one"):
        invitations.from_token(partner_services.INVITATIONS, old_token)
    assert invitations.from_token(partner_services.INVITATIONS, token_for(again)) is again


def test_a_revoked_invitation_is_refused(draft, world, invite):
    inv = invite(act(world.admin_a), draft, world.admin_b.email)
    token = token_for(inv)

    with pytest.raises(NotFound):
        partner_services.revoke_partner_invitation(act(world.admin_b), inv)
    partner_services.revoke_partner_invitation(act(world.admin_a), inv)

    assert inv.resolution == "revoked"
    assert partner_services.open_partner_invitations(draft) == []
    with pytest.raises(DomainError, match="withdrawn"):
        partner_services.accept_partner_invitation(act(world.admin_b), token, world.agency_b.id)
    with pytest.raises(Conflict):
        partner_services.revoke_partner_invitation(act(world.admin_a), inv)
    assert len(draft.tracks) == 1
    assert len(events("challenge.partner_invitation_revoked")) == 1


def test_a_declined_invitation_adds_no_track(draft, world, invite):
    inv = invite(act(world.admin_a), draft, world.admin_b.email)

    with pytest.raises(WrongAddressee):
        partner_services.decline_partner_invitation(act(world.admin_a), token_for(inv))
    partner_services.decline_partner_invitation(act(world.admin_b), token_for(inv))

    assert inv.resolution == "declined"
    assert len(draft.tracks) == 1


def test_an_invitation_expires(app, draft, world, invite, clock):
    max_age = timedelta(seconds=app.config["INVITATION_MAX_AGE"])
    inv = invite(act(world.admin_a), draft, world.admin_b.email)
    token = token_for(inv)

    clock.advance(max_age - timedelta(minutes=1))
    assert invitations.from_token(partner_services.INVITATIONS, token) is inv

    clock.advance(timedelta(minutes=2))
    with pytest.raises(DomainError, match="expired"):
        partner_services.accept_partner_invitation(act(world.admin_b), token, world.agency_b.id)
    assert len(draft.tracks) == 1

    renewed = invite(act(world.admin_a), draft, world.admin_b.email)  # a fresh link
    track = partner_services.accept_partner_invitation(
        act(world.admin_b), token_for(renewed), world.agency_b.id
    )
    assert track.agency_id == world.agency_b.id


def test_a_tampered_token_is_refused(draft, world, invite):
    token = token_for(invite(act(world.admin_a), draft, world.admin_b.email))
    # Not the last character: its low bits may be base64 padding that decodes the same.
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]

    with pytest.raises(DomainError, match="not valid"):
        invitations.from_token(partner_services.INVITATIONS, tampered)


def test_no_unready_track_joins_a_published_challenge(draft, world, invite):
    london = make_agency("london", jurisdiction="GB", timezone="Europe/London", languages=["en"])
    officer = make_user("officer@london.example")
    make_membership(officer, london, "admin")
    inv = invite(act(world.admin_a), draft, officer.email)
    publish(world, draft)

    with pytest.raises(DomainError):
        partner_services.accept_partner_invitation(act(officer), token_for(inv), london.id)

    assert all(track.is_ready for track in draft.tracks)
