"""Eligibility follows the team until the first final submission, then it is fixed: a team
change that would break it is refused with the reason, and nothing changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from competitions.core.errors import DomainError
from competitions.core.extensions import db
from competitions.entries import decisions, team_invitations, teams
from competitions.entries.models import Entry, Team, TeamInvitation
from tests.entries.conftest import (
    CA_RULES,
    NOW,
    act,
    build,
    events,
    follow,
    new_team,
    person,
    register,
    text,
)

REFUSED = (
    "would make your entry in Canada track no longer eligible, and its eligibility is fixed "
    "since your first submission."
)
LATER = NOW + timedelta(days=3)


@pytest.fixture
def setup(world, ca_track, clock):
    """A Canadian team of two registered (eligible) in the Canada track; the clock moves on."""
    mover = person("CA", email="mover@example.org", display_name="Mo Mover")
    team = new_team(world.innovator, "CA", 34, name="Maple", members=[(mover, "CA", 30)])
    entry = register(team, ca_track)
    assert entry.eligibility == "eligible"
    clock.set_now(LATER)
    return team, entry, mover


def freeze(entry: Entry) -> None:
    decisions.freeze_eligibility(entry)
    db.session.commit()


def reason_codes(entry: Entry) -> list[str]:
    return [r["code"] for r in entry.eligibility_reasons]


def snapshot(entry: Entry) -> tuple:
    db.session.refresh(entry)
    return (entry.eligibility, entry.eligibility_reasons, entry.eligibility_evaluated_at)


# --- a member moves abroad ----------------------------------------------------------------


def move(client, team: Team, residence: str, age: str = "30") -> str:
    response = client.post(
        f"/teams/{team.id}/me", data={"me-residence": residence, "me-declared_age": age}
    )
    return follow(client, response)


def test_before_freezing_the_decision_follows_the_team(client, login, setup):
    team, entry, mover = setup
    login(mover)
    assert "Your details were saved." in move(client, team, "FR")
    assert team.member_of(mover.id).residence == "FR"
    assert team.member_of(mover.id).attested_at == LATER
    db.session.refresh(entry)
    assert entry.eligibility == "not_eligible"
    assert entry.eligibility_evaluated_at == LATER
    residence = next(r for r in entry.eligibility_reasons if r["code"] == "residence_not_met")
    assert (residence["params"]["inside"], residence["params"]["size"]) == (1, 2)


def test_after_freezing_moving_abroad_is_refused_and_nothing_changes(client, login, setup):
    team, entry, mover = setup
    freeze(entry)
    assert entry.eligibility_frozen_at == LATER
    before = snapshot(entry)
    login(mover)
    page = move(client, team, "FR")
    assert "This change " + REFUSED in page
    assert "Prizes need every member to reside in Canada; 1 of 2 do." in page
    assert "Your details were saved." not in page
    db.session.expire_all()
    assert team.member_of(mover.id).residence == "CA"
    assert team.member_of(mover.id).attested_at == NOW
    assert snapshot(entry) == before
    assert events("team.member_attested") == []
    with pytest.raises(DomainError, match="1 of 2 do"):
        teams.update_my_profile(act(mover), team, "FR", 30)
    db.session.rollback()
    # The rollback (one connection for the test and its requests) also took back the row of
    # the server-side session the sign-in opened: sign in again.
    login(mover)
    # A change that keeps the team eligible is still welcome.
    assert "Your details were saved." in move(client, team, "CA-QC")
    assert team.member_of(mover.id).residence == "CA-QC"
    assert snapshot(entry)[0] == "eligible"


def test_freezing_twice_keeps_the_first_instant(setup, clock):
    _team, entry, _mover = setup
    freeze(entry)
    clock.set_now(LATER + timedelta(days=1))
    freeze(entry)
    assert entry.eligibility_frozen_at == LATER


# --- a too-young member joins -------------------------------------------------------------


def invite_token(team: Team, email: str) -> str:
    inv = team_invitations.invite_member(act(team.lead.user), team, email)
    db.session.commit()
    return team_invitations.INVITATIONS.token(inv)


def test_after_freezing_a_too_young_member_cannot_join(client, login, setup):
    team, entry, _mover = setup
    freeze(entry)
    before = snapshot(entry)
    kid = person("CA", email="kid@example.org")
    db.session.commit()
    token = invite_token(team, kid.email)
    login(kid)
    page = text(
        client.post(
            f"/team-invitations/{token}",
            data={"residence": "CA", "declared_age": "16", "answer": "accept"},
        ),
        400,
    )
    assert "Your joining " + REFUSED in page
    assert "younger than 18." in page
    assert team.member_of(kid.id) is None
    assert db.session.query(TeamInvitation).one().resolution is None
    assert snapshot(entry) == before
    with pytest.raises(DomainError, match="younger than 18"):
        team_invitations.accept_invitation(act(kid), token, "CA", 16)


def test_the_refusal_counts_the_joiner_once(setup):
    team, entry, _mover = setup
    freeze(entry)
    kid = person("CA", email="kid@example.org")
    db.session.commit()
    token = invite_token(team, kid.email)
    with pytest.raises(DomainError) as err:
        team_invitations.accept_invitation(act(kid), token, "CA", 16)
    assert "1 member is younger than 18." in err.value.message


def test_before_freezing_a_too_young_member_joins_and_the_decision_follows(setup):
    team, entry, _mover = setup
    kid = person("CA", email="kid@example.org")
    db.session.commit()
    token = invite_token(team, kid.email)
    team_invitations.accept_invitation(act(kid), token, "CA", 16)
    db.session.commit()
    assert team.member_of(kid.id) is not None
    assert entry.eligibility == "not_eligible"
    young = next(r for r in entry.eligibility_reasons if r["code"] == "members_too_young")
    assert young["params"]["count"] == 1


# --- the entrant type changes -------------------------------------------------------------


def edit(client, team: Team, **data: str):
    return client.post(f"/teams/{team.id}/edit", data={"name": team.name, **data})


def test_before_freezing_a_change_of_entrant_type_is_accepted(client, world, login, setup):
    team, entry, _mover = setup
    login(world.innovator)
    response = edit(
        client, team, entrant_type="business", organisation_name="Acme", organisation_country="US"
    )
    assert "The team was saved." in follow(client, response)
    assert (team.entrant_type, team.organisation_country) == ("business", "US")
    db.session.refresh(entry)
    assert entry.eligibility == "not_eligible"
    assert "organisation_not_established" in reason_codes(entry)


def test_after_freezing_a_change_of_entrant_type_is_refused(client, world, login, setup):
    team, entry, _mover = setup
    freeze(entry)
    before = snapshot(entry)
    login(world.innovator)
    page = text(
        edit(
            client,
            team,
            entrant_type="business",
            organisation_name="Acme",
            organisation_country="US",
        )
    )
    assert "This change " + REFUSED in page
    assert "Prizes need the organisation to be established in Canada, not United States." in page
    alone = text(edit(client, team, entrant_type="individual"))
    assert "An individual entry has exactly one member; this one has 2." in alone
    db.session.expire_all()
    assert (team.entrant_type, team.organisation_name, team.organisation_country) == (
        "team",
        None,
        None,
    )
    assert snapshot(entry) == before
    assert events("team.updated") == []
    # Renaming the team does not touch eligibility.
    renamed = client.post(
        f"/teams/{team.id}/edit", data={"name": "Maple 2", "entrant_type": "team"}
    )
    assert "The team was saved." in follow(client, renamed)
    assert team.name == "Maple 2"


# --- leaving and handing over the lead ----------------------------------------------------


def test_after_freezing_the_team_cannot_shrink_below_the_minimum(world, clock):
    clock.set_now(NOW)
    challenge = build(world, rules_a={**CA_RULES, "team_min": 2})
    leaver = person("CA")
    team = new_team(world.innovator, "CA", 34, members=[(leaver, "CA", 30)])
    entry = register(team, challenge.tracks[0])
    freeze(entry)
    with pytest.raises(DomainError, match=re.escape("Teams need at least 2 members; yours has 1.")):
        teams.remove_member(act(leaver), team, team.member_of(leaver.id))
    db.session.rollback()
    assert team.member_of(leaver.id) is not None


def test_after_freezing_the_lead_cannot_pass_to_someone_abroad(world, us_track, clock):
    abroad = person("DE")
    team = new_team(world.innovator, "US", 34, members=[(abroad, "DE", 30)])
    entry = register(team, us_track)
    assert entry.eligibility == "eligible"  # the US track looks at the lead's residence
    freeze(entry)
    with pytest.raises(DomainError) as err:
        teams.transfer_lead(act(world.innovator), team, team.member_of(abroad.id))
    assert "This change of lead would make your entry in US track no longer eligible" in (
        err.value.message
    )
    db.session.rollback()
    assert team.lead.user_id == world.innovator.id
    assert entry.eligibility == "eligible"


def test_the_entry_page_says_since_when_eligibility_is_fixed(client, world, login, setup):
    _team, entry, _mover = setup
    freeze(entry)
    login(world.innovator)
    page = text(client.get(f"/entries/{entry.id}"))
    assert "fixed since 4 Jun 2027" in page
