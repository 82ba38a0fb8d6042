"""The one invitation lifecycle, checked for every kind of invitation (agency, partner, team,
judge): the same rules hold whatever the invitation is for."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from competitions.agencies import services as agency_services
from competitions.challenges import services as challenge_services
from competitions.challenges.services import partners
from competitions.core import invitations
from competitions.core.actor import Actor
from competitions.core.audit import AuditEvent
from competitions.core.errors import Conflict, DomainError
from competitions.entries import team_invitations, teams
from competitions.judging import panels
from tests.factories import make_user

KINDS = {
    "agency": agency_services.INVITATIONS,
    "partner": partners.INVITATIONS,
    "team": team_invitations.INVITATIONS,
    "judge": panels.INVITATIONS,
}


def _owner(kind: str, world: Any) -> int:
    """The id of something of this kind to be invited to, created by agency A's admin."""
    admin = Actor(world.admin_a)
    if kind == "agency":
        return int(world.agency_a.id)
    challenge = challenge_services.create_challenge(
        admin, world.agency_a, "lifecycle", challenge_services.Texts({"en": "L"}, {}, {})
    )
    if kind == "partner":
        return int(challenge.id)
    if kind == "judge":
        return int(panels.panel_for(challenge, None).id)
    team = teams.create_team(
        Actor(world.innovator), teams.TeamData("Lifecycle team", "team", None, None), "CA", 30
    )
    return int(team.id)


def _issue(kind: str, owner: int, world: Any, email: str = "Guest@Example.org") -> Any:
    values = {"role": "staff"} if kind == "agency" else None
    inv, _created = invitations.issue(
        Actor(world.admin_a), KINDS[kind], owner, (email, email.lower()), values=values
    )
    return inv


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_inviting_again_resends_the_open_invitation_and_voids_the_old_link(db, world, kind):
    owner = _owner(kind, world)
    first = _issue(kind, owner, world)
    old_token = KINDS[kind].token(first)
    again = _issue(kind, owner, world)

    assert again.id == first.id
    assert invitations.open_invitations(KINDS[kind], owner) == [again]
    with pytest.raises(DomainError, match="replaced by a newer one"):
        invitations.from_token(KINDS[kind], old_token)
    assert invitations.from_token(KINDS[kind], KINDS[kind].token(again)) is again
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.object_id == str(first.id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions[-2:] == [KINDS[kind].action("sent"), KINDS[kind].action("resent")]


def test_the_database_keeps_one_open_invitation_per_address(db, world, kind):
    owner = _owner(kind, world)
    _issue(kind, owner, world)
    duplicate = KINDS[kind].model()
    duplicate.email, duplicate.email_normalized = "guest@example.org", "guest@example.org"
    duplicate.expires_at = invitations.clock.now() + timedelta(days=1)
    setattr(duplicate, KINDS[kind].owner, owner)
    if kind == "agency":
        duplicate.role = "staff"
    db.session.add(duplicate)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.flush()


def test_only_the_addressee_answers_and_a_decline_records_who_and_when(db, world, kind):
    owner = _owner(kind, world)
    inv = _issue(kind, owner, world)
    token = KINDS[kind].token(inv)
    guest = make_user("guest@example.org")

    with pytest.raises(invitations.WrongAddressee, match="but you are signed in as"):
        invitations.decline(Actor(world.innovator), KINDS[kind], token)
    with pytest.raises(invitations.WrongAddressee, match="Sign in"):
        invitations.decline(Actor(None), KINDS[kind], token)
    invitations.decline(Actor(guest), KINDS[kind], token)

    assert inv.status == invitations.InvitationStatus.DECLINED
    assert inv.resolved_by_id == guest.id and inv.resolved_at is not None
    with pytest.raises(DomainError, match="already been used or was withdrawn"):
        invitations.from_token(KINDS[kind], token)
    assert invitations.open_invitations(KINDS[kind], owner) == []


def test_a_revoked_invitation_is_closed_once(db, world, kind):
    inv = _issue(kind, _owner(kind, world), world)
    invitations.revoke(Actor(world.admin_a), KINDS[kind], inv)
    assert inv.status == invitations.InvitationStatus.REVOKED
    assert inv.resolved_by_id == world.admin_a.id
    with pytest.raises(Conflict):
        invitations.revoke(Actor(world.admin_a), KINDS[kind], inv)


def test_an_expired_link_says_whom_to_ask(db, world, kind, clock):
    inv = _issue(kind, _owner(kind, world), world)
    clock.advance(timedelta(days=15))
    assert inv.status == invitations.InvitationStatus.EXPIRED
    with pytest.raises(DomainError, match=r"has expired\. Ask"):
        invitations.from_token(KINDS[kind], KINDS[kind].token(inv))


def test_accepting_applies_the_domains_effect_before_closing(db, world, kind):
    inv = _issue(kind, _owner(kind, world), world)
    guest = make_user("guest@example.org", verified=False)

    def refuse(inv: Any, user: Any) -> None:
        raise DomainError("the domain says no")

    with pytest.raises(DomainError, match="the domain says no"):
        invitations.accept(Actor(guest), KINDS[kind], KINDS[kind].token(inv), refuse)
    assert inv.resolution is None and guest.email_verified_at is None

    seen = invitations.accept(
        Actor(guest), KINDS[kind], KINDS[kind].token(inv), lambda i, u: (i.id, u.id)
    )
    assert seen == (inv.id, guest.id)
    assert inv.status == invitations.InvitationStatus.ACCEPTED
    assert guest.email_verified_at is not None  # the emailed link proved the address
