"""Cross-track exclusivity, enforced by the database: one entry per team and per person."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from competitions.core.errors import Conflict, DomainError
from competitions.core.extensions import db
from competitions.entries import services, team_invitations, teams
from competitions.entries.models import Entry, EntryMember
from tests.entries.conftest import (
    CA_RULES,
    NOW,
    US_RULES,
    act,
    build,
    count,
    events,
    follow,
    new_team,
    person,
    register,
    text,
)


def invite_token(lead, team, user) -> str:
    inv = team_invitations.invite_member(act(lead), team, user.email)
    db.session.commit()
    return team_invitations.INVITATIONS.token(inv)


def test_a_team_cannot_enter_two_tracks_of_an_exclusive_challenge(world, ca_track, us_track):
    team = new_team(world.innovator, "CA", 30)
    first = register(team, ca_track)
    with pytest.raises(Conflict, match="already registered in another track"):
        register(team, us_track, commit=False)
    db.session.rollback()
    with pytest.raises(Conflict, match="already registered in this track"):
        register(team, ca_track, commit=False)
    db.session.rollback()
    assert count(Entry) == 1
    # The database says the same without the service: a second row for (team, challenge).
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(
            Entry(
                team_id=team.id,
                track_id=us_track.id,
                challenge_id=us_track.challenge_id,
                exclusive_challenge_id=us_track.challenge_id,
                eligibility="eligible",
                eligibility_reasons=[],
                eligibility_evaluated_at=NOW,
                terms_version_id=us_track.terms_versions[-1].id,
                terms_accepted_at=NOW,
                attestations=[],
            )
        )
        db.session.flush()
    assert db.session.scalars(sa.select(Entry.id)).all() == [first.id]


def test_the_database_keeps_a_person_in_one_entry_per_exclusive_challenge(
    world, ca_track, us_track
):
    team = new_team(world.innovator, "CA", 30)
    entry = register(team, ca_track)
    other = new_team(person("US"), "US", 30, name="Other")
    other_entry = register(other, us_track)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(
            EntryMember(
                entry_id=other_entry.id,
                user_id=world.innovator.id,
                exclusive_challenge_id=ca_track.challenge_id,
            )
        )
        db.session.flush()
    assert count(EntryMember, EntryMember.user_id == world.innovator.id) == 1
    assert entry.members[0].user_id == world.innovator.id


def test_a_person_cannot_be_in_two_teams_entered_in_one_exclusive_challenge(
    client, world, login, ca_track, us_track
):
    both = person("CA", display_name="In Both")
    canada = new_team(world.innovator, "CA", 30, name="Canada team", members=[(both, "CA", 30)])
    usa_lead = person("US")
    usa = new_team(usa_lead, "US", 30, name="US team", members=[(both, "CA", 30)])
    register(canada, ca_track)
    with pytest.raises(Conflict, match="someone in it, is already registered"):
        register(usa, us_track, commit=False)
    db.session.rollback()
    login(usa_lead)
    page = text(
        client.post(
            "/challenges/dsfc/register",
            data={
                "team": str(usa.id),
                "track": us_track.slug,
                "terms_version": str(us_track.terms_versions[-1].id),
                "accept_terms": "y",
            },
        )
    )
    assert "someone in it, is already registered in this challenge" in page
    assert count(Entry) == 1
    # Once the shared member leaves the first team, the second can register.
    teams.remove_member(act(both), canada, canada.member_of(both.id))
    db.session.commit()
    assert register(usa, us_track).eligibility == "eligible"


def test_joining_a_team_that_would_put_a_person_twice_is_refused(world, ca_track, us_track):
    joiner = person("CA", email="joiner@example.org")
    canada = new_team(world.innovator, "CA", 30, members=[(joiner, "CA", 30)])
    usa = new_team(person("US"), "US", 30, name="US team")
    register(canada, ca_track)
    register(usa, us_track)
    token = invite_token(usa.lead.user, usa, joiner)
    with pytest.raises(DomainError, match="already takes part in this challenge"):
        team_invitations.accept_invitation(act(joiner), token, "CA", 30)
    db.session.rollback()
    assert usa.member_of(joiner.id) is None
    assert count(EntryMember, EntryMember.user_id == joiner.id) == 1


def test_joining_a_registered_team_adds_the_person_to_its_entry(world, ca_track):
    joiner = person("CA", email="joiner@example.org")
    team = new_team(world.innovator, "CA", 30)
    entry = register(team, ca_track)
    token = invite_token(world.innovator, team, joiner)
    team_invitations.accept_invitation(act(joiner), token, "CA", 30)
    db.session.commit()
    assert sorted(m.user_id for m in entry.members) == sorted([world.innovator.id, joiner.id])
    assert all(m.exclusive_challenge_id == ca_track.challenge_id for m in entry.members)


def test_leaving_removes_the_person_from_the_entry(world, ca_track):
    leaver = person("CA")
    team = new_team(world.innovator, "CA", 30, members=[(leaver, "CA", 30)])
    entry = register(team, ca_track)
    assert count(EntryMember, EntryMember.entry_id == entry.id) == 2
    teams.remove_member(act(leaver), team, team.member_of(leaver.id))
    db.session.commit()
    assert db.session.scalars(
        sa.select(EntryMember.user_id).where(EntryMember.entry_id == entry.id)
    ).all() == [world.innovator.id]


def test_withdrawing_frees_the_slot(client, world, login, ca_track, us_track):
    both = person("CA")
    team = new_team(world.innovator, "CA", 30, members=[(both, "CA", 30)])
    other = new_team(person("US"), "US", 30, name="Other", members=[(both, "CA", 30)])
    entry = register(team, ca_track)
    login(world.innovator)
    response = client.post(f"/entries/{entry.id}/withdraw")
    page = follow(client, response)
    assert "The entry was withdrawn." in page and "Withdrawn on" in page
    db.session.refresh(entry)
    assert entry.withdrawn_at == NOW and entry.exclusive_challenge_id is None
    assert count(EntryMember, EntryMember.entry_id == entry.id) == 0
    assert len(events("entry.withdrawn")) == 1
    # The team may enter the other track, and its members may be in another team's entry.
    again = register(team, us_track)
    assert again.exclusive_challenge_id == us_track.challenge_id
    services.withdraw(act(world.innovator), again)
    db.session.commit()
    assert register(other, us_track).is_active


def test_withdrawing_lets_the_team_register_again_in_the_same_track(world, ca_track):
    team = new_team(world.innovator, "CA", 30)
    entry = register(team, ca_track)
    services.withdraw(act(world.innovator), entry)
    db.session.commit()
    again = register(team, ca_track)
    assert again.id != entry.id and again.is_active


def test_a_non_exclusive_challenge_allows_several_tracks(world, now):
    challenge = build(
        world,
        "open-dsfc",
        rules_a={**CA_RULES, "exclusive": False},
        rules_b={**US_RULES, "exclusive": False},
    )
    assert not challenge.is_exclusive
    ca, us = challenge.tracks
    shared = person("CA")
    team = new_team(world.innovator, "CA", 30, members=[(shared, "CA", 30)])
    other = new_team(person("CA"), "CA", 30, name="Other", members=[(shared, "CA", 30)])
    first, second = register(team, ca), register(team, us)
    assert (first.eligibility, second.eligibility) == ("eligible", "recognition_only")
    assert first.exclusive_challenge_id is None and second.exclusive_challenge_id is None
    assert register(other, us).is_active  # the shared member is in three entries
    assert count(EntryMember, EntryMember.user_id == shared.id) == 3
    # Still one entry per track for a team.
    with pytest.raises(Conflict, match="already registered in this track"):
        register(team, ca, commit=False)


def test_one_exclusive_track_makes_the_challenge_exclusive(world, now):
    challenge = build(world, "half-open", rules_b={**US_RULES, "exclusive": False})
    assert challenge.is_exclusive
    ca, us = challenge.tracks
    team = new_team(world.innovator, "CA", 30)
    register(team, us)
    with pytest.raises(Conflict):
        register(team, ca, commit=False)
