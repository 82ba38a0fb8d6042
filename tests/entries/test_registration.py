"""Registration into a track: evaluator, terms, statements, window, lead only, size limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from competitions.challenges import services as challenge_services
from competitions.challenges.services import tracks as track_services
from competitions.core.errors import DomainError, NotFound, PermissionDenied
from competitions.core.extensions import db
from competitions.core.invitations import Resolution
from competitions.entries import registration, team_invitations
from competitions.entries.models import Entry, EntryMember, TeamInvitation
from tests.entries.conftest import (
    CA_RULES,
    DEADLINE,
    NOW,
    REGISTRATION_OPENS,
    STATEMENTS_EN,
    US_RULES,
    act,
    add_member,
    build,
    count,
    events,
    follow,
    new_team,
    person,
    phase_1,
    register,
    text,
)


def codes(entry: Entry) -> list[str]:
    return [r["code"] for r in entry.eligibility_reasons]


def form_data(team, target, **changes):
    """What the register page posts for ``target`` (a track), with ``changes``."""
    terms = challenge_services.current_terms(target)
    data = {
        "team": str(team.id),
        "track": target.slug,
        "terms_version": str(terms.id),
        "accept_terms": "y",
        "attestations": [str(i) for i in range(len(target.attestations_in("en")))],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- the evaluator decides, the entry keeps the decision ----------------------------------


def test_a_canadian_team_is_eligible_in_the_canada_track(world, ca_track):
    friend = person("CA")
    team = new_team(world.innovator, "CA-ON", 34, members=[(friend, "CA-QC", 19)])
    entry = register(team, ca_track, ip="203.0.113.7")
    assert entry.eligibility == "eligible"
    assert codes(entry) == ["entrant_type_ok", "team_size_ok", "age_ok", "residence_ok"]
    terms = challenge_services.current_terms(ca_track)
    assert entry.terms_version_id == terms.id and terms.version == 1
    assert entry.terms_accepted_at == NOW and entry.terms_accepted_at.tzinfo is not None
    assert entry.terms_accepted_at.utcoffset() == timedelta(0)
    assert entry.terms_accepted_ip == "203.0.113.7"
    assert entry.terms_accepted_by_id == world.innovator.id
    assert entry.attestations == STATEMENTS_EN
    assert entry.exclusive_challenge_id == ca_track.challenge_id
    assert sorted(m.user_id for m in entry.members) == sorted([world.innovator.id, friend.id])
    event = events("entry.registered")[-1]
    assert event.agency_id == world.agency_a.id
    assert event.after == {"track": "agency-a", "eligibility": "eligible", "terms_version": 1}
    assert event.ip == "203.0.113.7"


def test_a_german_team_is_recognised_only_in_the_us_track(world, us_track):
    team = new_team(world.innovator, "DE", 30, members=[(person("DE"), "DE", 41)])
    entry = register(team, us_track)
    assert entry.eligibility == "recognition_only"
    assert "residence_not_met" in codes(entry) and "recognition_only" in codes(entry)
    blocking = [r for r in entry.eligibility_reasons if r["code"] == "residence_not_met"]
    assert blocking[0]["severity"] == "jurisdiction"
    assert blocking[0]["params"]["countries"] == ["US"]


def test_a_us_team_is_refused_by_the_canada_track_with_the_reason(client, world, login, ca_track):
    team = new_team(world.innovator, "US", 30)
    with pytest.raises(DomainError) as err:
        register(team, ca_track, commit=False)
    assert "Prizes need every member to reside in Canada; 0 of 1 do." in err.value.message
    db.session.rollback()
    login(world.innovator)
    page = text(client.post("/challenges/dsfc/register", data=form_data(team, ca_track)))
    assert "Your team cannot enter this track." in page
    assert "Prizes need every member to reside in Canada; 0 of 1 do." in page
    assert count(Entry) == 0


def test_register_through_the_page_records_the_address(client, world, login, ca_track):
    team = new_team(world.innovator, "CA", 30)
    login(world.innovator)
    response = client.post(
        "/challenges/dsfc/register",
        data=form_data(team, ca_track),
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )
    page = follow(client, response)
    assert "Your team is registered in Canada track." in page
    entry = db.session.scalar(sa.select(Entry))
    assert response.headers["Location"].endswith(f"/entries/{entry.id}")
    assert entry.terms_accepted_ip == "198.51.100.23"
    assert entry.terms_accepted_by_id == world.innovator.id
    assert entry.terms_accepted_at == NOW
    assert entry.eligibility == "eligible"


# --- terms and statements -----------------------------------------------------------------


def test_terms_that_changed_meanwhile_are_refused(client, world, login, ca_track):
    team = new_team(world.innovator, "CA", 30)
    stale = challenge_services.current_terms(ca_track).id
    v2 = track_services.publish_terms(
        act(world.admin_a), ca_track, {"en": "Terms v2", "fr": "Conditions v2"}
    )
    db.session.commit()
    with pytest.raises(DomainError) as err:
        registration.register(act(world.innovator), team, ca_track, stale, [0, 1])
    assert err.value.message == (
        "The terms changed while you were reading them. Read version 2 and accept it."
    )
    db.session.rollback()
    login(world.innovator)
    page = text(
        client.post(
            "/challenges/dsfc/register", data=form_data(team, ca_track, terms_version=str(stale))
        )
    )
    assert "Read version 2 and accept it." in page
    assert count(Entry) == 0
    entry = registration.register(act(world.innovator), team, ca_track, v2.id, [0, 1])
    assert entry.terms_version_id == v2.id


def test_every_statement_and_the_terms_must_be_ticked(client, world, login, ca_track):
    team = new_team(world.innovator, "CA", 30)
    terms = challenge_services.current_terms(ca_track).id
    for ticked in ([], [0], [1], [0, 2], [0, 1, 2]):
        with pytest.raises(DomainError, match="Confirm every statement") as err:
            registration.register(act(world.innovator), team, ca_track, terms, ticked)
        assert err.value.field == "attestations"
    login(world.innovator)
    missing = text(
        client.post("/challenges/dsfc/register", data=form_data(team, ca_track, attestations=["1"]))
    )
    assert "Confirm every statement to register." in missing
    unaccepted = text(
        client.post("/challenges/dsfc/register", data=form_data(team, ca_track, accept_terms=None))
    )
    assert "Accept the terms and conditions to register." in unaccepted
    assert count(Entry) == 0
    # A track without statements needs none.
    entry = registration.register(
        act(world.innovator),
        team,
        ca_track.challenge.tracks[1],
        challenge_services.current_terms(ca_track.challenge.tracks[1]).id,
        [],
    )
    assert entry.attestations == []


# --- the registration window --------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "message"),
    [
        (REGISTRATION_OPENS - timedelta(seconds=1), "Registration has not opened yet."),
        (DEADLINE + timedelta(seconds=1), "Registration is closed."),
    ],
)
def test_registration_outside_the_window_is_refused(
    client, world, login, ca_track, clock, instant, message
):
    team = new_team(world.innovator, "CA", 30)
    clock.set_now(instant)
    with pytest.raises(DomainError, match=re.escape(message)):
        register(team, ca_track, commit=False)
    db.session.rollback()
    login(world.innovator)
    page = text(client.get("/challenges/dsfc/register"))
    assert message in page and "Register in Canada track" not in page
    posted = text(client.post("/challenges/dsfc/register", data=form_data(team, ca_track)))
    assert message in posted
    assert count(Entry) == 0


def test_registration_is_open_up_to_the_first_deadline(world, ca_track, clock):
    team = new_team(world.innovator, "CA", 30)
    clock.set_now(DEADLINE)
    assert register(team, ca_track).registered_at == DEADLINE


def test_an_earlier_registration_close_is_honoured(world, clock):
    clock.set_now(NOW)
    closes = datetime(2027, 5, 15, 12, tzinfo=UTC)
    challenge = build(world, instants=phase_1(registration_closes=closes))
    track = challenge.tracks[0]
    early = new_team(world.innovator, "CA", 30, name="Early")
    late = new_team(person("CA"), "CA", 30, name="Late")
    clock.set_now(closes)
    register(early, track)
    clock.set_now(closes + timedelta(seconds=1))
    with pytest.raises(DomainError, match=re.escape("Registration is closed.")):
        register(late, track, commit=False)


def test_only_the_lead_registers(client, world, login, ca_track):
    member = person("CA")
    team = new_team(world.innovator, "CA", 30, members=[(member, "CA", 30)])
    with pytest.raises(PermissionDenied, match="Only the team lead"):
        register(team, ca_track, member, commit=False)
    outsider = person("CA")
    with pytest.raises(NotFound):
        register(team, ca_track, outsider, commit=False)
    db.session.rollback()
    login(member)
    page = text(client.get(f"/challenges/dsfc/register?team={team.id}"))
    assert "You register as the lead of a team" in page
    client.post("/challenges/dsfc/register", data=form_data(team, ca_track))
    assert count(Entry) == 0


def test_a_draft_challenge_is_not_open(client, world, login, now):
    draft = build(world, "draft-dsfc", publish=False)
    team = new_team(world.innovator, "CA", 30)
    login(world.innovator)
    assert client.get("/challenges/draft-dsfc/register").status_code == 404
    posted = client.post("/challenges/draft-dsfc/register", data=form_data(team, draft.tracks[0]))
    assert posted.status_code == 404
    with pytest.raises(DomainError, match="not open yet"):
        register(team, draft.tracks[0], commit=False)
    assert count(Entry) == 0


def test_an_unknown_track_is_404(client, world, login, challenge):
    team = new_team(world.innovator, "CA", 30)
    login(world.innovator)
    data = form_data(team, challenge.tracks[0], track="nope")
    assert client.post("/challenges/dsfc/register", data=data).status_code == 404


# --- size limits from the track rules -----------------------------------------------------


def test_registration_checks_the_team_size(world, now):
    challenge = build(world, rules_a={**CA_RULES, "team_min": 2, "team_max": 3})
    track = challenge.tracks[0]
    alone = new_team(world.innovator, "CA", 30, name="Alone")
    with pytest.raises(DomainError) as err:
        register(alone, track, commit=False)
    assert "Teams need at least 2 members; yours has 1." in err.value.message
    db.session.rollback()
    crowd = new_team(
        person("CA"), "CA", 30, name="Crowd", members=[(person("CA"), "CA", 30) for _ in range(3)]
    )
    with pytest.raises(DomainError) as err:
        register(crowd, track, commit=False)
    assert "Teams can have at most 3 members; yours has 4." in err.value.message
    db.session.rollback()
    pair = new_team(person("CA"), "CA", 30, name="Pair", members=[(person("CA"), "CA", 30)])
    assert register(pair, track).eligibility == "eligible"
    assert count(Entry) == 1


@pytest.fixture
def capped(world, now):
    """A challenge whose Canada track accepts teams of at most two."""
    return build(world, rules_a={**CA_RULES, "team_max": 2})


def test_inviting_beyond_the_maximum_is_refused_once_registered(client, world, login, capped):
    track = capped.tracks[0]
    second = person("CA")
    team = new_team(world.innovator, "CA", 30, members=[(second, "CA", 30)])
    # Not registered yet: no track's limit applies.
    team_invitations.invite_member(act(world.innovator), team, "early@example.org")
    db.session.rollback()
    register(team, track)
    with pytest.raises(
        DomainError, match=re.escape("Teams in Canada track have at most 2 members.")
    ):
        team_invitations.invite_member(act(world.innovator), team, "third@example.org")
    db.session.rollback()
    login(world.innovator)
    response = client.post(f"/teams/{team.id}/invite", data={"email": "third@example.org"})
    assert "Teams in Canada track have at most 2 members." in follow(client, response)
    assert count(TeamInvitation) == 0


def test_accepting_beyond_the_maximum_is_refused(client, world, login, capped, mail):
    track = capped.tracks[0]
    team = new_team(world.innovator, "CA", 30)
    late = person("CA", email="late@example.org")
    latest = person("CA", email="latest@example.org")
    db.session.commit()
    first = team_invitations.invite_member(act(world.innovator), team, late.email)
    second = team_invitations.invite_member(act(world.innovator), team, latest.email)
    db.session.commit()
    register(team, track)
    # The first to accept fills the team (up to two members): done directly in the database,
    # so that this test does not depend on the entry-member sync (see test_exclusivity).
    add_member(team, late, "CA", 30)
    first.close(Resolution.ACCEPTED, late.id)
    db.session.commit()
    token = team_invitations.INVITATIONS.token(second)
    login(latest)
    page = text(
        client.post(
            f"/team-invitations/{token}",
            data={"residence": "CA", "declared_age": "30", "answer": "accept"},
        ),
        400,
    )
    assert "Teams in Canada track have at most 2 members." in page
    assert team.member_of(latest.id) is None
    with pytest.raises(DomainError, match="at most 2 members"):
        team_invitations.accept_invitation(act(latest), token, "CA", 30)
    assert db.session.get(TeamInvitation, second.id).resolution is None


def test_accepting_within_the_maximum_joins_a_registered_team(world, capped, mail):
    track = capped.tracks[0]
    team = new_team(world.innovator, "CA", 30)
    friend = person("CA", email="friend@example.org")
    db.session.commit()
    inv = team_invitations.invite_member(act(world.innovator), team, friend.email)
    db.session.commit()
    entry = register(team, track)
    token = team_invitations.INVITATIONS.token(inv)
    team_invitations.accept_invitation(act(friend), token, "CA", 30)
    db.session.commit()
    assert team.member_of(friend.id) is not None
    assert count(EntryMember, EntryMember.entry_id == entry.id) == 2
    assert entry.eligibility_reasons[1] == {
        "code": "team_size_ok",
        "severity": "ok",
        "params": {"size": 2},
    }


def test_the_us_track_has_no_minimum_age(world, us_track):
    assert "minimum_age" not in US_RULES
    team = new_team(world.innovator, "US", 12, members=[(person("US"), "US", 9)])
    assert register(team, us_track).eligibility == "eligible"


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def test_the_register_form_is_protected_against_csrf(
    app, client, world, login, ca_track, monkeypatch
):
    team = new_team(world.innovator, "CA", 30)
    login(world.innovator)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get("/challenges/dsfc/register")
    token = CSRF_RE.search(text(page)).group(1)
    referer = {"Referer": page.request.url}
    forged = client.post(
        "/challenges/dsfc/register", data=form_data(team, ca_track), headers=referer
    )
    assert forged.status_code == 400
    assert count(Entry) == 0
    genuine = client.post(
        "/challenges/dsfc/register",
        data=form_data(team, ca_track, csrf_token=token),
        headers=referer,
    )
    assert genuine.status_code == 302
    assert count(Entry) == 1
