"""Setting up a parallel challenge is a checklist the lead and each partner see (issue 14,
point 3): each step done or to do, who must act, where."""

from __future__ import annotations

import re

from competitions.challenges import setup
from competitions.challenges.models import ChallengeStatus
from competitions.core.extensions import db
from competitions.judging import panels
from competitions.submissions import services as submission_services
from tests.judging.conftest import act, make_rubric, seat, text

FORM = [{"key": "summary", "type": "long_text", "label": {"en": "Summary"}, "required": True}]


def _states(challenge):
    return [(s.title, s.state.value, s.who) for s in setup.steps(challenge)]


def test_the_checklist_names_each_step_its_state_and_who_acts(
    app, client, login, switch, world, challenge, ca_track, us_track
):
    with app.test_request_context("/"):
        steps = _states(challenge)
    titles = [title for title, _state, _who in steps]
    assert titles == [
        "Details: title, summary, description",
        "Partner agencies",
        "Track: Canada track (rules, prizes, terms)",
        "Track: US track (rules, prizes, terms)",
        "Shared timeline",
        "Submission form: Phase 1",
        "Rubric: Phase 1",
        "Panel of Canada track",
        "Panel of US track",
        "Publish",
    ]
    todo = {title: who for title, state, who in steps if state == "todo"}
    agency_b = us_track.agency.display_name
    assert todo == {
        "Submission form: Phase 1": challenge.lead_agency.display_name,
        "Rubric: Phase 1": challenge.lead_agency.display_name,
        "Panel of Canada track": ca_track.agency.display_name,
        "Panel of US track": agency_b,
    }
    # The partner sees the same checklist on the console, with what its agency must do.
    login(world.admin_b)
    page = text(client.get(f"/challenges/{challenge.slug}/manage"))
    assert "Setting up: 6 of 10 steps done" in page
    assert f"who acts: {agency_b}" in page and "Invite the judges of this track." in page
    # Done step by step, the checklist says so and keeps its steps, folded.
    submission_services.define_form(act(world.admin_a), challenge.rounds[0], FORM)
    make_rubric(world, challenge)
    seat(world, challenge, ca_track)
    seat(world, challenge, us_track, country="US")
    db.session.commit()
    switch(world.admin_a)
    page = text(client.get(f"/challenges/{challenge.slug}/manage"))
    assert "Setting up:" not in page
    assert "Set-up complete: all 10 steps done" in page and "Show the steps" in page
    assert "To do" not in page


def test_a_panel_is_set_up_once_its_judges_are_invited(
    app, client, login, world, challenge, ca_track, us_track
):
    """Inviting is the agency's part of the step; the judge answers in their own time."""
    panel = panels.panel_for(challenge, us_track)
    panels.invite(act(world.admin_b), challenge, panel, "judge@example.org")
    db.session.commit()
    with app.test_request_context("/"):
        step = next(s for s in setup.steps(challenge) if s.title == "Panel of US track")
        other = next(s for s in setup.steps(challenge) if s.title == "Panel of Canada track")
    assert step.state is setup.State.DONE and step.left == []
    assert step.note == "1 judge has not answered the invitation yet."
    assert other.state is setup.State.TODO and other.note is None
    login(world.admin_b)
    page = text(client.get(f"/challenges/{challenge.slug}/manage"))
    assert "1 judge has not answered the invitation yet." in page


def test_each_agency_is_led_only_to_the_steps_it_may_do(
    app, client, login, switch, world, challenge, ca_track, us_track
):
    """The partner sees every step and who acts, but links only to its own: each opens."""
    login(world.admin_b)
    page = client.get(f"/challenges/{challenge.slug}/manage").get_data(as_text=True)
    checklist = page[page.index('aria-labelledby="setup"') : page.index("</section>")]
    links = dict(re.findall(r'<a href="([^"]+)">([^<]+)</a>', checklist))
    assert sorted(links.values()) == ["Panel of US track", "Track: US track (rules, prizes, terms)"]
    assert "Details: title, summary, description" in checklist  # shown, not linked
    assert all(client.get(url).status_code == 200 for url in links)

    switch(world.admin_a)
    page = client.get(f"/challenges/{challenge.slug}/manage").get_data(as_text=True)
    checklist = page[page.index('aria-labelledby="setup"') : page.index("</section>")]
    links = dict(re.findall(r'<a href="([^"]+)">([^<]+)</a>', checklist))
    assert len(links) == 8  # all but the partner's track and panel
    assert not {"Panel of US track", "Track: US track (rules, prizes, terms)"} & set(links.values())
    assert all(client.get(url.split("#")[0]).status_code == 200 for url in links)


def test_the_checklist_names_each_agency_its_next_step(
    app, client, login, switch, world, challenge, ca_track, us_track
):
    login(world.admin_a)
    page = text(client.get(f"/challenges/{challenge.slug}/manage"))
    assert "Your next step: Submission form: Phase 1" in page
    switch(world.admin_b)
    page = text(client.get(f"/challenges/{challenge.slug}/manage"))
    assert "Your next step: Panel of US track" in page
    seat(world, challenge, us_track, country="US")
    page = text(client.get(f"/challenges/{challenge.slug}/manage"))
    assert "Your next step" not in page
    lead = challenge.lead_agency.display_name
    assert f"Nothing is left for you to do now; the steps to do are for: {lead}." in page


def test_a_step_done_leads_back_to_the_checklist(
    app, client, login, world, challenge, ca_track, us_track
):
    """While the challenge is a draft, the pages of its steps lead back to the checklist."""
    login(world.admin_a)
    back = f'href="/challenges/{challenge.slug}/manage#setup">Continue the set-up</a>'
    round_id = challenge.rounds[0].id
    builder = f"/challenges/{challenge.slug}/manage/rounds/{round_id}/form"
    rubric = f"/challenges/{challenge.slug}/rounds/{round_id}/rubric"
    panel = f"/challenges/{challenge.slug}/judging/panels/{ca_track.slug}"
    assert back not in client.get(builder).get_data(as_text=True)  # published: no set-up
    challenge.status, challenge.published_at = ChallengeStatus.DRAFT, None
    db.session.commit()
    assert back in client.get(builder).get_data(as_text=True)
    # The rubric and the panel offer it once their step is done.
    assert back not in client.get(rubric).get_data(as_text=True)
    assert back not in client.get(panel).get_data(as_text=True)
    make_rubric(world, challenge)
    seat(world, challenge, ca_track)
    assert back in client.get(rubric).get_data(as_text=True)
    assert back in client.get(panel).get_data(as_text=True)
