"""Pages: team, register, entry, the track's list of entries; who may see what (404 otherwise)."""

from __future__ import annotations

import pytest

from competitions.core.extensions import db
from competitions.entries import decisions, services, teams
from tests.entries.conftest import (
    STATEMENTS_EN,
    act,
    build,
    follow,
    new_team,
    person,
    register,
    text,
)


@pytest.fixture
def maple(world, challenge):
    """The innovator leads Maple (Canada) with one member; Maple is in the Canada track."""
    member = person("CA", display_name="Mia Member")
    team = new_team(world.innovator, "CA-QC", 34, name="Maple", members=[(member, "CA", 17)])
    return team, member


def test_team_page_for_the_lead_and_for_a_member(client, world, login, switch, maple):
    team, member = maple
    login(world.innovator)
    page = text(client.get(f"/teams/{team.id}"))
    assert "<h1>Maple</h1>" in page
    assert "Ina Innovator" in page and "Mia Member" in page
    assert "Quebec" in page and "Canada" in page
    assert "<td>17</td>" in page and "<td>34</td>" in page
    assert "Make lead" in page and "Invite a member" in page and "Edit the team" in page
    assert "No entries yet." in page
    switch(member)
    page = text(client.get(f"/teams/{team.id}"))
    assert "Leave the team" in page
    assert "Make lead" not in page and "Invite a member" not in page
    assert "Your details in this team" in page
    assert client.get(f"/teams/{team.id}/edit").status_code == 404
    teams = text(client.get("/teams/"))
    assert "Maple" in teams and "2 members" in teams and "you lead it" not in teams


def test_register_page_shows_each_tracks_decision_and_reasons(
    client, world, login, maple, ca_track
):
    team, _member = maple
    login(world.innovator)
    page = text(client.get("/challenges/dsfc/register"))
    # The member is 17 and the Canada track requires 18: not eligible there, with the reason.
    assert "Canada track: Not eligible" in page
    assert "Why not:</strong> 1 member is younger than 18." in page
    assert "US track: Eligible for recognition only" in page
    assert "Why not:</strong> Prizes need the team lead to reside in United States." in page
    assert "Register in US track" in page and "Register in Canada track" not in page
    # Once the member turns 18 the Canada track comes first, with its statements and terms.
    teams.update_my_profile(act(_member), team, "CA", 18)
    db.session.commit()
    page = text(client.get("/challenges/dsfc/register"))
    assert page.index("Canada track: Eligible") < page.index("US track: Eligible for recog")
    assert "Every member is at least 18 years old." in page
    assert "Every member resides in Canada." in page
    assert all(s in page for s in STATEMENTS_EN)
    assert "Register in Canada track" in page
    assert "/challenges/dsfc/tracks/agency-a/terms?version=1" in page
    # The track the team is routed to is "your track", the one primary action; the other is
    # secondary and asks before registering for recognition only.
    assert page.index("Your track") < page.index("Canada track: Eligible")
    assert page.count("Your track") == 1
    assert 'class="btn btn-primary">Register in Canada track<' in page
    assert 'class="btn btn-outline-secondary">Register in US track for recognition only<' in page
    assert 'data-confirm="Register in US track for recognition only?' in page
    # Once registered: no Register button is left, and the exclusive challenge says why.
    register(team, ca_track)
    page = text(client.get("/challenges/dsfc/register"))
    assert "Register in" not in page
    assert "Your team is registered in this track." in page
    assert "this challenge allows one track per team" in page


def test_register_page_without_a_team_leads_to_creating_one(client, world, login, challenge):
    login(world.innovator)
    page = text(client.get("/challenges/dsfc/register"))
    assert "/teams/new?challenge=dsfc" in page
    response = client.post(
        "/teams/new?challenge=dsfc",
        data={"name": "Fresh", "entrant_type": "team", "residence": "CA", "declared_age": "30"},
    )
    assert "/challenges/dsfc/register?team=" in response.headers["Location"]
    assert "Canada track: Eligible" in follow(client, response)


def test_entry_page(client, world, login, switch, maple, ca_track):
    team, member = maple
    teams.update_my_profile(act(member), team, "CA", 18)
    entry = register(team, ca_track)
    login(world.innovator)
    page = text(client.get(f"/entries/{entry.id}"))
    assert "Entry of Maple in Canada track" in page
    assert "Eligible" in page and "Every member resides in Canada." in page
    assert "version 1" in page
    assert "1 Jun 2027" in page  # registered, in the track's legal time
    assert all(s in page for s in STATEMENTS_EN)
    assert "Withdraw this entry" in page
    assert "Record the decision" not in page
    team_page = text(client.get(f"/teams/{team.id}"))
    assert f"/entries/{entry.id}" in team_page and "Deep Space Food — Canada track" in team_page
    existing = text(client.get("/challenges/dsfc/register"))
    assert "Your team is registered in:" in existing
    switch(member)
    page = text(client.get(f"/entries/{entry.id}"))
    assert "Entry of Maple in Canada track" in page
    assert "Withdraw this entry" not in page
    assert client.post(f"/entries/{entry.id}/withdraw").status_code == 404
    db.session.refresh(entry)
    assert entry.is_active


def test_a_member_of_one_team_cannot_see_another(client, world, login, maple, ca_track, us_track):
    team, member = maple
    teams.update_my_profile(act(member), team, "CA", 18)
    mine = register(team, ca_track)
    rival_lead = person("US")
    rival = new_team(rival_lead, "US", 30, name="Rival")
    theirs = register(rival, us_track)
    login(member)
    assert client.get(f"/teams/{team.id}").status_code == 200
    assert client.get(f"/entries/{mine.id}").status_code == 200
    assert client.get(f"/teams/{rival.id}").status_code == 404
    assert client.get(f"/entries/{theirs.id}").status_code == 404
    assert client.post(f"/entries/{theirs.id}/withdraw").status_code == 404
    assert client.post(
        f"/teams/{rival.id}/invite", data={"email": "x@example.org"}
    ).status_code == (404)
    rival_lead_member = rival.member_of(rival_lead.id)
    remove = f"/teams/{rival.id}/members/{rival_lead_member.id}/remove"
    assert client.post(remove).status_code == 404
    assert client.get("/entries/999999").status_code == 404
    assert client.get("/teams/999999").status_code == 404
    assert client.get("/challenges/dsfc/tracks/agency-a/entries").status_code == 404
    db.session.refresh(theirs)
    assert theirs.is_active
    # The agency whose track the team entered sees the team; another agency does not.
    client.post("/logout")
    login(world.staff_a)
    assert "Mia Member" in text(client.get(f"/teams/{team.id}"))
    assert client.get(f"/teams/{rival.id}").status_code == 404
    client.post("/logout")
    login(world.admin_b)
    assert client.get(f"/teams/{team.id}").status_code == 404
    assert client.get(f"/teams/{rival.id}").status_code == 200
    # Signed out: to the login page.
    client.post("/logout")
    assert client.get(f"/teams/{team.id}").status_code == 302


def test_the_register_button_only_on_published_challenges(client, world, login, challenge):
    build(world, "draft-dsfc", publish=False)
    assert "Register your team" in text(client.get("/challenges/dsfc"))
    assert "/challenges/dsfc/register" in text(client.get("/challenges/dsfc"))
    login(world.admin_a)  # the draft is visible to its agencies
    draft = text(client.get("/challenges/draft-dsfc"))
    assert "Draft: only the participating agencies can see this page." in draft
    assert "Register your team" not in draft
    assert client.get("/challenges/draft-dsfc/register").status_code == 404


# --- the track's list of entries ----------------------------------------------------------


def canadian_teams(ca_track, n: int, start: int = 0) -> list:
    entries = []
    for i in range(start, start + n):
        lead = person("CA")
        member = person("CA")
        team = new_team(lead, "CA", 30, name=f"Team {i:02d}", members=[(member, "CA", 30)])
        entries.append(register(team, ca_track))
    return entries


def test_track_entries_list_and_filters(client, world, login, switch, ca_track):
    first, second, third = canadian_teams(ca_track, 3)
    decisions.decide_eligibility(act(world.admin_a), second, "not_eligible", "No proof.")
    services.withdraw(act(third.team.lead.user), third)
    db.session.commit()
    url = "/challenges/dsfc/tracks/agency-a/entries"
    login(world.staff_a)
    page = text(client.get(url))
    assert "Entries in Canada track" in page and "2 entries" in page
    assert "Team 00" in page and "Team 01" in page and "Team 02" not in page
    assert f"/entries/{first.id}" in page
    assert "Not eligible *" in page  # the override is marked
    withdrawn = text(client.get(url, query_string={"status": "withdrawn"}))
    assert "Team 02" in withdrawn and "Team 00" not in withdrawn and "1 entry" in withdrawn
    every = text(client.get(url, query_string={"status": "all"}))
    assert all(f"Team 0{i}" in every for i in range(3)) and "3 entries" in every
    eligible = text(client.get(url, query_string={"eligibility": "eligible"}))
    assert "Team 00" in eligible and "Team 01" not in eligible
    ineligible = text(client.get(url, query_string={"eligibility": "not_eligible"}))
    assert "Team 01" in ineligible and "Team 00" not in ineligible
    recognition = text(client.get(url, query_string={"eligibility": "recognition_only"}))
    assert "0 entries" in recognition
    for who in (world.admin_a, world.platform_admin):
        switch(who)
        assert "Team 00" in text(client.get(url))
    for who in (world.admin_b, world.innovator, first.team.lead.user):
        switch(who)
        assert client.get(url).status_code == 404
    switch(world.admin_b)
    assert "0 entries" in text(client.get("/challenges/dsfc/tracks/agency-b/entries"))
    assert client.get("/challenges/dsfc/tracks/nope/entries").status_code == 404


def test_track_entries_list_queries_do_not_grow(client, world, login, ca_track, count_queries):
    url = "/challenges/dsfc/tracks/agency-a/entries"
    canadian_teams(ca_track, 3)
    login(world.staff_a)
    text(client.get(url))  # warm up
    with count_queries() as few:
        page = text(client.get(url))
    assert "3 entries" in page
    canadian_teams(ca_track, 12, start=3)
    with count_queries() as many:
        page = text(client.get(url))
    assert "15 entries" in page and page.count("/entries/") >= 15
    assert many.count == few.count, many.statements


def test_the_entry_page_leads_with_the_next_step_and_keeps_prize_conditions(
    client, world, login, switch, maple, ca_track, challenge
):
    from competitions.challenges.services import tracks as track_services

    team, member = maple
    teams.update_my_profile(act(member), team, "CA", 18)
    condition = "Form a legal entity in Canada before receiving a prize."
    rules = {
        **ca_track.rules,
        "prize_conditions": [{"text": {"en": condition}, "entrant_types": ["team"]}],
    }
    track_services.update_rules(act(world.admin_a), ca_track, rules)
    entry = register(team, ca_track)
    login(world.innovator)
    page = text(client.get(f"/entries/{entry.id}"))
    # First comes the step due, with its deadline and the one button to take it.
    assert page.index("Submit Phase 1 — closes in 59 days") < page.index("Eligibility")
    assert "Open Phase 1" in page
    # The prize condition stays visible after registering, here and in the track's list.
    assert condition in page
    # Withdrawing is apart, in a danger zone, and asks first.
    assert page.index("Danger zone") > page.index("Eligibility")
    assert 'data-confirm="Withdraw this entry? Its submissions will no longer count."' in page
    switch(world.admin_a)
    listing = text(client.get(f"/challenges/{challenge.slug}/tracks/{ca_track.slug}/entries"))
    assert condition in listing


def test_your_entries_lists_each_team_with_its_entries(
    client, world, login, maple, ca_track, us_track, count_queries
):
    team, member = maple
    teams.update_my_profile(act(member), team, "CA", 18)
    entry = register(team, ca_track)
    other = new_team(world.innovator, "CA-QC", 34, name="Birch")
    login(world.innovator)
    with count_queries() as queries:
        page = text(client.get("/teams/"))
    assert "<h1>Your entries</h1>" in page
    assert f'href="/entries/{entry.id}"' in page and "Deep Space Food — Canada track" in page
    assert f'href="/teams/{team.id}"' in page and f'href="/teams/{other.id}"' in page
    assert "Not registered in any challenge yet." in page  # Birch
    few = queries.count
    services.withdraw(act(world.innovator), entry)  # so that Birch may enter the US track
    db.session.commit()
    register(other, us_track)
    with count_queries() as queries:
        page = text(client.get("/teams/"))
    assert "Deep Space Food — US track" in page and "withdrawn" in page
    assert queries.count == few  # the entries come in with the teams, not one by one


def test_the_entry_page_offers_the_lead_the_tracks_new_terms(
    client, world, login, switch, maple, ca_track
):
    from competitions.challenges.services import tracks as track_services

    team, member = maple
    teams.update_my_profile(act(member), team, "CA", 18)
    entry = register(team, ca_track)
    v2 = track_services.publish_terms(
        act(world.admin_a), ca_track, {"en": "Terms v2", "fr": "Conditions v2"}
    )
    db.session.commit()
    url = f"/entries/{entry.id}"
    login(world.innovator)
    page = text(client.get(url))
    assert '/tracks/agency-a/terms?version=1">version 1</a>' in page  # what the team accepted
    assert "The terms of this track changed since your team registered" in page
    assert '/tracks/agency-a/terms?version=2">read version 2</a>' in page
    assert f'name="terms_version" value="{v2.id}"' in page
    switch(member)
    page = text(client.get(url))
    assert "Your team lead accepts them for the team." in page
    assert 'name="terms_version"' not in page
    switch(world.innovator)
    client.post(f"{url}/terms", data={"terms_version": str(v2.id), "accept_terms": "y"})
    page = text(client.get(url))
    assert '/tracks/agency-a/terms?version=2">version 2</a>' in page
    assert "changed since your team registered" not in page
