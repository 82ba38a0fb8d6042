"""The home page follows who looks at it (``core.home``): open deadlines and how it works for
visitors; an innovator's entries with the step due; a judge's queues with progress; an agency
member's challenges with what is left to do. Its queries do not grow with the data."""

from __future__ import annotations

import collections

from competitions.challenges import services as challenge_services
from competitions.challenges.services import partners
from competitions.core.extensions import db
from competitions.core.home import ROWS
from competitions.judging import assignments
from tests.judging.conftest import act, entries, new_team, register, submitted, text


def test_a_visitor_sees_open_deadlines_and_how_it_works(client, challenge, clock):
    page = text(client.get("/"))
    assert "Upcoming deadlines" in page and "How it works" in page
    assert challenge.title_in("en") in page and "closes 30 Jul 2027" in page
    link = f'href="/challenges/{challenge.slug}">{challenge.title_in("en")}</a>'
    assert f"{link} — {challenge.rounds[0].name_in('en')}:" in page
    french = text(client.get("/", headers={"Accept-Language": "fr"}))
    assert challenge.title_in("fr") != challenge.title_in("en")
    assert f"{challenge.title_in('fr')}</a> — {challenge.rounds[0].name_in('fr')}:" in french
    assert "Your entries" not in page and "You are not a member" not in page


def test_an_innovator_sees_each_entry_and_the_step_due(client, login, world, challenge, ca_track):
    team = new_team(world.innovator, "CA", name="Maple")
    register(team, ca_track)
    login(world.innovator)
    page = text(client.get("/"))
    assert "Your entries" in page and "Maple" in page
    assert "Submit Phase 1 — closes in" in page and "Open Phase 1" in page
    assert "You are not a member of any agency" not in page
    assert "Your agencies" not in page and "Judging" not in page


def test_an_innovator_sees_the_version_in_then_submit_again_once_withdrawn(
    client, login, world, challenge, ca_track, count_queries
):
    team = new_team(world.innovator, "CA", name="Maple")
    submission = submitted(register(team, ca_track), challenge)
    login(world.innovator)
    with count_queries() as home:
        page = text(client.get("/"))
    assert "Phase 1: version 1 is in — you can replace it until the deadline" in page
    # The entries, tracks, challenges, rounds and submissions are read as the columns shown:
    # no eligibility, rules, texts, form or draft (JSON documents) is loaded for a line.
    heavy = ("eligibility_reasons", "rules", "description", "form_fields", "draft")
    loaded = [s for s in home.statements if any(f".{c}," in s for c in heavy)]
    assert loaded == [], loaded
    submission.withdrawn_at = submission.created_at
    db.session.commit()
    page = text(client.get("/"))
    assert "Submit Phase 1 — closes in" in page and "is in" not in page


def test_each_entry_shows_its_own_challenge_s_round(client, login, world, challenge, ca_track):
    from tests.entries.conftest import build

    other = build(world, "second")
    other.rounds[0].name = {"en": "Second's phase"}
    db.session.commit()
    register(new_team(world.innovator, "CA", name="Maple"), ca_track)
    register(new_team(world.innovator, "CA", name="Birch"), other.tracks[0])
    login(world.innovator)
    page = text(client.get("/"))
    # Rounds are read for all the entries' challenges at once, then given to each challenge.
    assert "Submit Second's phase — closes in" in page and "Open Second's phase" in page
    assert "Submit Phase 1 — closes in" in page and "Open Phase 1" in page
    assert page.count("Deep Space Food — Canada track") == 2


def test_a_judge_sees_each_queue_with_its_progress(client, login, world, challenge, judged):
    judge, sub = judged["ca_judges"][0], judged["ca"][0]
    assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    login(judge.user)
    page = text(client.get("/"))
    assert "Judging" in page and "0 of 1 reviewed" in page and "judging closes" in page
    assert f"/judging/rounds/{judged['round'].id}" in page


def test_an_agency_admin_sees_what_is_left_to_do(client, login, switch, world, challenge, us_track):
    us_track.ready_at = None
    draft = challenge_services.create_challenge(
        act(world.admin_a),
        challenge.lead_agency,
        "draft-one",
        challenge_services.Texts({"en": "Draft one"}, {}, {}),
    )
    partners.invite_partner(act(world.admin_a), draft, "partner@example.org")
    db.session.commit()
    login(world.admin_a)
    page = text(client.get("/"))
    assert "Your agencies" in page
    assert "not published yet; 1 partner invitation not answered" in " ".join(page.split())
    assert "New challenge" in page
    switch(world.admin_b)
    page = text(client.get("/"))
    assert "1 of your tracks not ready" in page and "Draft one" not in page


def test_the_home_page_costs_the_same_whatever_the_number_of_entries(
    client, login, world, challenge, ca_track, us_track, count_queries
):
    from competitions.challenges.services import tracks as track_services

    track_services.update_rules(
        act(world.admin_a), ca_track, {**ca_track.rules, "exclusive": False}
    )
    track_services.update_rules(
        act(world.admin_b), us_track, {**us_track.rules, "exclusive": False}
    )
    teams = [new_team(world.innovator, "CA", name=f"Team {i:02d}") for i in range(2 * ROWS)]
    for team in teams[:ROWS]:
        register(team, ca_track)
    login(world.innovator)
    client.get("/")
    with count_queries() as few:
        client.get("/")
    for team in teams[ROWS:]:
        register(team, ca_track)
    entries(4, ca_track)  # other people's data too
    with count_queries() as many:
        client.get("/")

    def shape(box):
        return collections.Counter(" ".join(q.split())[:90] for q in box.statements)

    assert many.count == few.count, (shape(many) - shape(few), shape(few) - shape(many))
    # Extensions, admission, submissions and their versions: read for all entries at once
    # (19: the sections of every package — entries, judging, Q&A, awards, pilots, surveys).
    assert few.count <= 19, shape(few)


def test_the_navigation_follows_the_user_s_roles(client, login, switch, world, judged):
    judge = judged["ca_judges"][0]
    login(judge.user)
    nav = text(client.get("/challenges/")).split("</nav>")[0]
    assert 'href="/judging">Judging</a>' in nav
    switch(world.innovator)
    nav = text(client.get("/challenges/")).split("</nav>")[0]
    assert "/judging" not in nav
    switch(world.admin_a)
    console = text(client.get(f"/agencies/{world.agency_a.slug}/console"))
    assert f'href="/agencies/{world.agency_a.slug}/challenges">Challenges</a>' in console
    assert f'href="/agencies/{world.agency_a.slug}/challenges/new">New challenge</a>' in console


def test_a_judge_s_queue_costs_the_same_whatever_the_number_of_assignments(
    client, login, world, challenge, judged, count_queries
):
    judge, subs = judged["ca_judges"][0], judged["ca"]
    url = f"/judging/rounds/{judged['round'].id}"
    assignments.assign_manually(act(world.admin_a), subs[0], judge)
    db.session.commit()
    login(judge.user)
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    for sub in subs[1:]:
        assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    with count_queries() as many:
        page = text(client.get(url))
    assert "0 of 3 reviewed" in page
    assert many.count == few.count
    # Each line is read as columns (number, stage, team name, status): no entry or submission
    # is loaded whole, with JSON columns decoded per row, for a line of text.
    loaded = [s for s in many.statements if "eligibility" in s or "draft_saved" in s]
    assert loaded == []
