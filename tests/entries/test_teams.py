"""Teams: create, invite by email, accept or decline, leave, remove, hand over the lead."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from competitions.core.errors import Conflict, DomainError, PermissionDenied
from competitions.core.extensions import db
from competitions.core.invitations import WrongAddressee
from competitions.entries import team_invitations, teams
from competitions.entries.models import Team, TeamInvitation, TeamMember, TeamRole
from tests.entries.conftest import NOW, act, count, events, follow, new_team, person, text

INVITE_PATH = "/team-invitations/"


def invite_link(mail, email: str) -> str:
    messages = mail.wait_for(email)
    return mail.link(messages[-1], INVITE_PATH)


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


@pytest.fixture
def team(world, now) -> Team:
    return new_team(world.innovator, "CA", 34, name="Rovers")


@pytest.fixture
def friend(db):
    user = person("FR", email="Friend@Example.org", display_name="Fran Friend")
    db.session.commit()
    return user


# --- create -------------------------------------------------------------------------------


def test_creator_leads_the_team_with_residence_and_age_attested(world, now):
    team = teams.create_team(
        act(world.innovator),
        teams.TeamData("  Lunar   Greens ", "team"),
        "ca-qc",
        29,
    )
    db.session.commit()
    assert team.name == "Lunar Greens"
    assert [(m.user_id, m.role) for m in team.members] == [(world.innovator.id, TeamRole.LEAD)]
    lead = team.lead
    assert (lead.residence, lead.declared_age, lead.attested_at) == ("CA-QC", 29, NOW)
    assert team.created_by_id == world.innovator.id
    assert events("team.created")[-1].object_id == str(team.id)


def test_create_a_team_through_the_page(client, world, login, now):
    login(world.innovator)
    form = text(client.get("/teams/new"))
    assert 'name="organisation_country"' in form
    response = client.post(
        "/teams/new",
        data={
            "name": "Orbit Kitchen",
            "entrant_type": "team",
            "residence": "CA",
            "declared_age": "41",
        },
    )
    page = follow(client, response)
    assert "Orbit Kitchen" in page and "Team created." in page
    team = db.session.scalar(sa.select(Team).where(Team.name == "Orbit Kitchen"))
    assert team.lead.user_id == world.innovator.id
    assert (team.lead.residence, team.lead.declared_age) == ("CA", 41)


@pytest.mark.parametrize("kind", ["business", "nonprofit", "indigenous", "academic", "government"])
def test_organisations_need_a_name_and_a_country(client, world, login, now, kind):
    login(world.innovator)
    base = {"name": "Org team", "entrant_type": kind, "residence": "CA", "declared_age": "40"}
    no_name = text(client.post("/teams/new", data={**base, "organisation_country": "CA"}))
    assert 'id="organisation_name-error"' in no_name
    assert "Enter the organisation's name." in no_name
    no_country = text(client.post("/teams/new", data={**base, "organisation_name": "Acme"}))
    assert 'id="organisation_country-error"' in no_country
    assert "Select the country where the organisation is established." in no_country
    assert count(Team) == 0
    created = client.post(
        "/teams/new",
        data={**base, "organisation_name": "Acme Foods", "organisation_country": "CA"},
    )
    assert created.status_code == 302
    team = db.session.scalar(sa.select(Team))
    assert (team.entrant_type, team.organisation_name, team.organisation_country) == (
        kind,
        "Acme Foods",
        "CA",
    )


def test_organisation_rules_in_the_service_and_in_the_database(world, now):
    with pytest.raises(DomainError) as err:
        teams.create_team(
            act(world.innovator), teams.TeamData("X", "business", "Acme", ""), "CA", 30
        )
    assert err.value.field == "organisation_country"
    with pytest.raises(DomainError) as err:
        teams.create_team(
            act(world.innovator), teams.TeamData("X", "academic", " ", "CA"), "CA", 30
        )
    assert err.value.field == "organisation_name"
    # Individuals carry no organisation, whatever was typed.
    team = teams.create_team(
        act(world.innovator), teams.TeamData("Solo", "individual", "Acme", "US"), "CA", 30
    )
    assert (team.organisation_name, team.organisation_country) == (None, None)
    # The database refuses an organisation without its description too.
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Team(name="Bare", entrant_type="business"))
        db.session.flush()


def test_residence_must_be_a_real_place(world, now):
    with pytest.raises(DomainError) as err:
        teams.create_team(act(world.innovator), teams.TeamData("X", "team"), "ZZ", 30)
    assert err.value.field == "residence"
    with pytest.raises(DomainError) as err:
        teams.create_team(act(world.innovator), teams.TeamData("X", "team"), "CA", 131)
    assert err.value.field == "declared_age"


# --- invite, accept, decline --------------------------------------------------------------


def test_invitation_email_carries_a_signed_link_built_from_the_base_url(
    client, world, login, team, friend, mail
):
    login(world.innovator)
    response = client.post(f"/teams/{team.id}/invite", data={"email": "friend@example.ORG"})
    assert "Invitation sent to friend@example.ORG." in follow(client, response)
    message = mail.wait_for("friend@example.org")[-1]
    assert "Rovers" in str(message["Subject"])
    body = mail.text(message)
    assert "expires in 14 days" in body
    link = invite_link(mail, "friend@example.org")
    assert link.startswith("https://tandem.test/team-invitations/")
    inv = db.session.scalar(sa.select(TeamInvitation))
    assert inv.expires_at == NOW + timedelta(days=14)
    assert inv.email_normalized == "friend@example.org"
    # The team page lists the pending invitation for the lead.
    assert "friend@example.ORG" in text(client.get(f"/teams/{team.id}"))


def test_no_email_leaves_when_the_invitation_is_rolled_back(world, team, mail):
    team_invitations.invite_member(act(world.innovator), team, "ghost@example.org")
    db.session.rollback()
    db.session.commit()
    assert mail.to("ghost@example.org") == []


def test_accepting_records_residence_and_age(client, world, login, logout, team, friend, mail):
    team_invitations.invite_member(act(world.innovator), team, friend.email)
    db.session.commit()
    link = invite_link(mail, friend.email)
    path = link.removeprefix("https://tandem.test")
    # Signed out: asked to sign in with the invited address, then sent back to the link.
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(friend)
    form = text(client.get(path))
    assert "Join the team Rovers" in form
    response = client.post(path, data={"residence": "FR", "declared_age": "22", "answer": "accept"})
    page = follow(client, response)
    assert "You joined the team Rovers." in page
    member = team.member_of(friend.id)
    assert member is not None and member.role == TeamRole.MEMBER
    assert (member.residence, member.declared_age, member.attested_at) == ("FR", 22, NOW)
    inv = db.session.scalar(sa.select(TeamInvitation))
    assert (inv.resolution, inv.resolved_at) == ("accepted", NOW)
    assert events("team.member_joined")[-1].after == {"email": friend.email}
    # The link is spent.
    again = client.get(path)
    assert "already been used" in text(again, 400)


def test_only_the_invited_address_can_answer(client, world, login, team, friend, mail):
    stranger = person("CA", email="stranger@example.org")
    db.session.commit()
    team_invitations.invite_member(act(world.innovator), team, friend.email)
    db.session.commit()
    token = token_of(invite_link(mail, friend.email))
    login(stranger)
    message = "This invitation was sent to Friend@Example.org, but you are signed in as"
    assert message in text(client.get(INVITE_PATH + token))
    answered = client.post(
        INVITE_PATH + token, data={"residence": "CA", "declared_age": "30", "answer": "accept"}
    )
    assert message in text(answered)
    assert team.member_of(stranger.id) is None
    declined = client.post(INVITE_PATH + token, data={"answer": "decline"})
    assert message in text(declined)
    with pytest.raises(WrongAddressee):
        team_invitations.accept_invitation(act(stranger), token, "CA", 30)
    assert db.session.scalar(sa.select(TeamInvitation.resolution)) is None


def test_expired_link_is_refused(client, world, login, team, friend, mail, clock):
    team_invitations.invite_member(act(world.innovator), team, friend.email)
    db.session.commit()
    token = token_of(invite_link(mail, friend.email))
    clock.set_now(NOW + timedelta(days=14, seconds=1))
    login(friend)
    page = text(client.get(INVITE_PATH + token), 400)
    assert "This invitation has expired. Ask the team lead for a new one." in page
    with pytest.raises(DomainError, match="expired"):
        team_invitations.accept_invitation(act(friend), token, "FR", 22)
    assert team.member_of(friend.id) is None
    # Just before expiry the same link works.
    clock.set_now(NOW + timedelta(days=13, hours=23))
    team_invitations.accept_invitation(act(friend), token, "FR", 22)
    assert team.member_of(friend.id) is not None


def test_tampered_link_is_refused(client, world, login, team, friend, mail):
    team_invitations.invite_member(act(world.innovator), team, friend.email)
    db.session.commit()
    token = token_of(invite_link(mail, friend.email))
    payload, stamp, signature = token.split(".")
    forged = f"{payload}.{stamp}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    login(friend)
    assert "This invitation link is not valid." in text(client.get(INVITE_PATH + forged), 400)
    with pytest.raises(DomainError, match="not valid"):
        team_invitations.accept_invitation(act(friend), forged, "FR", 22)
    with pytest.raises(DomainError, match="not valid"):
        team_invitations.accept_invitation(act(friend), "garbage", "FR", 22)
    assert team.member_of(friend.id) is None


def test_sending_again_voids_the_older_link(world, team, friend, mail):
    team_invitations.invite_member(act(world.innovator), team, friend.email)
    db.session.commit()
    first = token_of(invite_link(mail, friend.email))
    team_invitations.invite_member(act(world.innovator), team, friend.email)
    db.session.commit()
    second = token_of(mail.link(mail.wait_for(friend.email, 2)[-1], INVITE_PATH))
    assert first != second
    assert count(TeamInvitation) == 1
    with pytest.raises(DomainError, match="replaced by a newer one"):
        team_invitations.accept_invitation(act(friend), first, "FR", 22)
    team_invitations.accept_invitation(act(friend), second, "FR", 22)
    assert team.member_of(friend.id) is not None


def test_revoked_invitation_cannot_be_accepted(client, world, login, team, friend, mail):
    inv = team_invitations.invite_member(act(world.innovator), team, friend.email)
    db.session.commit()
    token = token_of(invite_link(mail, friend.email))
    login(world.innovator)
    response = client.post(f"/teams/{team.id}/invitations/{inv.id}/revoke")
    assert "was withdrawn" in follow(client, response)
    with pytest.raises(DomainError, match="already been used or was withdrawn"):
        team_invitations.accept_invitation(act(friend), token, "FR", 22)


def test_declining(client, world, login, team, friend, mail):
    team_invitations.invite_member(act(world.innovator), team, friend.email)
    db.session.commit()
    token = token_of(invite_link(mail, friend.email))
    login(friend)
    response = client.post(INVITE_PATH + token, data={"answer": "decline"})
    assert "You declined the invitation." in follow(client, response)
    assert team.member_of(friend.id) is None
    inv = db.session.scalar(sa.select(TeamInvitation))
    assert (inv.resolution, inv.resolved_at) == ("declined", NOW)
    assert len(events("team.invitation_declined")) == 1
    with pytest.raises(DomainError):
        team_invitations.accept_invitation(act(friend), token, "FR", 22)


def test_someone_already_in_the_team_is_not_invited(world, team):
    with pytest.raises(Conflict, match="already in the team"):
        team_invitations.invite_member(act(world.innovator), team, "INNOVATOR@example.org")


def test_only_the_lead_invites(client, world, login, team, friend):
    team_invitations.accept_invitation(
        act(friend),
        team_invitations.INVITATIONS.token(
            team_invitations.invite_member(act(world.innovator), team, friend.email)
        ),
        "FR",
        22,
    )
    db.session.commit()
    with pytest.raises(PermissionDenied):
        team_invitations.invite_member(act(friend), team, "other@example.org")
    login(friend)
    assert client.post(f"/teams/{team.id}/invite", data={"email": "x@example.org"}).status_code == (
        404
    )
    assert count(TeamInvitation, TeamInvitation.resolution.is_(None)) == 0


# --- leave, remove, transfer --------------------------------------------------------------


@pytest.fixture
def trio(world, now):
    """Rovers: the innovator leads, with two members (committed)."""
    one = person("CA", display_name="Member One")
    two = person("CA", display_name="Member Two")
    team = new_team(
        world.innovator, "CA", 34, name="Rovers", members=[(one, "CA", 30), (two, "CA", 31)]
    )
    return team, one, two


def test_a_member_leaves(client, login, trio):
    team, one, _two = trio
    login(one)
    member = team.member_of(one.id)
    response = client.post(f"/teams/{team.id}/members/{member.id}/remove")
    assert response.headers["Location"].endswith("/teams/")
    assert "You left the team Rovers." in follow(client, response)
    assert team.member_of(one.id) is None and len(team.members) == 2
    assert len(events("team.member_left")) == 1


def test_the_lead_cannot_leave_while_others_remain(client, world, login, trio):
    team, _one, _two = trio
    login(world.innovator)
    lead = team.lead
    response = client.post(f"/teams/{team.id}/members/{lead.id}/remove")
    assert "The team lead cannot leave. Make someone else the lead first." in follow(
        client, response
    )
    assert team.lead.user_id == world.innovator.id and len(team.members) == 3
    with pytest.raises(Conflict, match="cannot leave"):
        teams.remove_member(act(world.innovator), team, lead)


def test_the_lead_removes_a_member_others_get_404(client, world, login, switch, trio):
    team, one, two = trio
    login(one)
    target = team.member_of(two.id)
    assert client.post(f"/teams/{team.id}/members/{target.id}/remove").status_code == 404
    with pytest.raises(PermissionDenied):
        teams.remove_member(act(one), team, target)
    assert team.member_of(two.id) is not None
    outsider = person("CA")
    db.session.commit()
    switch(outsider)
    assert client.post(f"/teams/{team.id}/members/{target.id}/remove").status_code == 404
    assert client.get(f"/teams/{team.id}").status_code == 404
    switch(world.innovator)
    response = client.post(f"/teams/{team.id}/members/{target.id}/remove")
    assert "Member Two was removed from the team." in follow(client, response)
    assert team.member_of(two.id) is None
    assert len(events("team.member_removed")) == 1


def test_transfer_the_lead(client, world, login, switch, trio):
    team, one, two = trio
    login(one)
    target = team.member_of(two.id)
    assert client.post(f"/teams/{team.id}/members/{target.id}/lead").status_code == 404
    switch(world.innovator)
    response = client.post(f"/teams/{team.id}/members/{target.id}/lead")
    assert "Member Two now leads the team." in follow(client, response)
    roles = {m.user_id: m.role for m in team.members}
    assert roles == {world.innovator.id: "member", one.id: "member", two.id: "lead"}
    assert count(TeamMember, TeamMember.team_id == team.id, TeamMember.role == "lead") == 1
    event = events("team.lead_transferred")[-1]
    assert event.after == {"lead": two.email}
    # The former lead may now leave; the new lead may not.
    me = team.member_of(world.innovator.id)
    response = client.post(f"/teams/{team.id}/members/{me.id}/remove")
    assert "You left the team Rovers." in follow(client, response)
    with pytest.raises(Conflict):
        teams.remove_member(act(two), team, team.member_of(two.id))


def test_the_database_allows_one_lead_per_team(trio):
    team, one, _two = trio
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.update(TeamMember)
            .where(TeamMember.team_id == team.id, TeamMember.user_id == one.id)
            .values(role="lead")
        )
    db.session.expire_all()
    assert count(TeamMember, TeamMember.team_id == team.id, TeamMember.role == "lead") == 1
    # Other teams have their own lead.
    other = new_team(one, "CA", 30, name="Other")
    assert other.lead.user_id == one.id
