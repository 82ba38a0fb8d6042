"""E2E in Chromium: the lead agency's admin builds the round's rubric, invites a judge who joins
by the emailed link, assigns every track at once; the judge scores two submissions (one saved as
a draft first); the admin decides who advances, previews what each audience will see and
releases the results now; they appear to the public and to the team with the judge's comment.
axe-core checks every page."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from competitions.accounts.models import User
from competitions.challenges import services as challenge_services
from competitions.challenges.models import Challenge
from competitions.challenges.services import tracks as track_services
from competitions.core import clock
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.entries import registration, teams
from competitions.submissions.models import Submission, SubmissionVersion
from tests.e2e.test_team_registration import _page, _published_challenge, _user
from tests.support.axe import assert_accessible
from tests.support.smtp import SMTPCapture

pytestmark = pytest.mark.e2e


def _entered(challenge: Challenge, track_index: int, email: str, team: str, country: str) -> None:
    """A team registered in the track with one submitted version in the first round."""
    lead = _user(email, country, "America/Toronto")
    db.session.flush()
    actor = Actor(lead, ip="127.0.0.1")
    t = teams.create_team(actor, teams.TeamData(team, "team"), country, 30)
    track = challenge.tracks[track_index]
    terms = challenge_services.current_terms(track)
    assert terms is not None
    entry = registration.register(actor, t, track, terms.id, [0])
    round_ = challenge.rounds[0]
    submission = Submission(entry_id=entry.id, round_id=round_.id, draft={})
    db.session.add(submission)
    db.session.flush()
    db.session.add(
        SubmissionVersion(
            submission_id=submission.id,
            number=1,
            answers={"summary": f"{team}: a closed-loop greenhouse.", "own_work": True},
            submitted_at=clock.now(),
            deadline=round_.submission_deadline,
        )
    )


def _judging_world(run: str) -> str:
    """The two-track challenge after its submission deadline: two Canadian teams and one US
    team have submitted; the CA track has a prize; judging is open."""
    slug = _published_challenge(run)
    challenge = db.session.query(Challenge).filter_by(slug=slug).one()
    challenge.tracks[0].languages = ["en", "fr"]  # the rubric is written in both
    _entered(challenge, 0, f"maple-{run}@example.org", f"Maple {run}", "CA")
    _entered(challenge, 0, f"birch-{run}@example.org", f"Birch {run}", "CA")
    _entered(challenge, 1, f"oak-{run}@example.org", f"Oak {run}", "US")
    _user(f"judge-{run}@university.example", "CA", "America/Toronto")
    root_user = db.session.query(User).filter_by(email=f"root-{run}@tandem.example").one()
    track_services.save_prize(
        Actor(root_user, ip="127.0.0.1"),
        challenge.tracks[0],
        None,
        track_services.PrizeData({"en": "Winner"}, "150000", "CAD", 1, {}),
    )
    now = clock.now()
    round_ = challenge.rounds[0]
    round_.submission_deadline = now - timedelta(hours=1)
    round_.judging_closes = now + timedelta(hours=1)
    round_.results_at = now + timedelta(hours=2)
    db.session.commit()
    return slug


def test_admin_judge_and_team_from_rubric_to_released_results(
    browser: Any, live_server: Any, live_app: Any, smtp_server: SMTPCapture
) -> None:
    run = uuid.uuid4().hex[:6]
    judge_email = f"judge-{run}@university.example"
    with live_app.app_context():
        slug = _judging_world(run)

    admin_ctx, admin = _page(browser, live_server, f"root-{run}@tandem.example")
    admin.goto(f"/challenges/{slug}/manage")
    admin.get_by_role("link", name="Judging").first.click()
    admin.wait_for_url("**/judging")
    assert_accessible(admin)

    # The rubric: a bad scale is explained, then two criteria and k = 1.
    admin.get_by_role("link", name="Rubric and settings").click()
    assert_accessible(admin)
    admin.get_by_label("Title (English)").fill("Innovation")
    admin.get_by_label("Title (French)").fill("Innovation")
    admin.get_by_label("Weight").fill("2")
    admin.get_by_label("Step").fill("3")
    admin.get_by_role("button", name="Add the criterion").click()
    admin.wait_for_load_state()
    assert "divide the scale evenly" in admin.locator("main").inner_text()
    assert_accessible(admin)
    admin.get_by_label("Step").fill("1")
    admin.get_by_label("Level descriptors (English)").fill("10: Never seen before")
    admin.get_by_role("button", name="Add the criterion").click()
    admin.wait_for_load_state()
    admin.get_by_label("Title (English)").fill("Feasibility")
    admin.get_by_label("Title (French)").fill("Faisabilité")
    admin.get_by_role("button", name="Add the criterion").click()
    admin.wait_for_load_state()
    criteria = admin.locator("section", has=admin.get_by_role("heading", name="Criteria"))
    assert "Innovation" in criteria.inner_text() and "Feasibility" in criteria.inner_text()
    admin.get_by_label("Reviews per submission").fill("1")
    admin.get_by_label("Reviews a judge needs before their scores are normalized").fill("1")
    admin.get_by_role("button", name="Save the settings").click()
    admin.wait_for_load_state()
    assert admin.get_by_label("Reviews per submission").input_value() == "1"
    assert_accessible(admin)

    # The CA panel invites a judge, who joins through the emailed link.
    admin.goto(f"/challenges/{slug}/judging")
    admin.get_by_role("link", name="Panel of CA track").click()
    admin.wait_for_load_state()
    assert_accessible(admin)
    admin.get_by_label("Judge's email address").fill(judge_email)
    admin.get_by_role("button", name="Invite as judge").click()
    admin.wait_for_load_state()
    link = SMTPCapture.link(smtp_server.wait_for(judge_email)[-1], "/judging/invitations/")

    judge_ctx, judge = _page(browser, live_server, judge_email)
    judge.goto(link)
    assert_accessible(judge)
    judge.get_by_label("Your organisation").fill("University of Guelph")
    judge.get_by_label("Your areas of expertise").fill("food science, robotics")
    judge.get_by_role("button", name="Accept and join the panel").click()
    judge.wait_for_load_state()

    # Automatic assignment of every track: the judge gets both Canadian submissions.
    admin.goto(f"/challenges/{slug}/judging")
    admin.get_by_role("button", name="Assign all tracks").click()
    admin.wait_for_load_state()
    assert_accessible(admin)

    judge.goto("/judging")
    assert "0 of 2 reviewed" in judge.locator("main").inner_text()
    assert_accessible(judge)
    judge.get_by_role("link", name="Phase 1").click()
    assert_accessible(judge)
    rows = judge.get_by_role("link", name="Submission #")
    assert rows.count() == 2
    names = [rows.nth(i).inner_text() for i in range(2)]
    first = next(i for i, n in enumerate(names) if f"Maple {run}" in n)
    second = 1 - first

    rows.nth(first).click()
    assert "Maple" in judge.locator("main").inner_text()  # not blind
    assert "Never seen before" in judge.locator("main").inner_text()
    assert_accessible(judge)
    judge.get_by_label("Innovation").fill("11")  # off the scale: explained, text kept
    judge.get_by_label("Feasibility").fill("7")
    judge.get_by_label("Comments to the team").fill("Test the loop on a longer mission.")
    judge.get_by_role("button", name="Submit the review").click()
    judge.wait_for_load_state()
    assert "There is a problem" in judge.locator("main").inner_text()
    assert judge.get_by_label("Comments to the team").input_value().startswith("Test the loop")
    assert_accessible(judge)
    judge.get_by_label("Innovation").fill("9")
    judge.get_by_role("button", name="Save draft").click()
    judge.wait_for_load_state()
    judge.get_by_role("button", name="Submit the review").click()
    judge.wait_for_load_state()

    judge.goto("/judging")
    judge.get_by_role("link", name="Phase 1").click()
    judge.get_by_role("link", name="Submission #").nth(second).click()
    judge.get_by_label("Innovation").fill("4")
    judge.get_by_label("Feasibility").fill("5")
    judge.get_by_role("button", name="Submit the review").click()
    judge.wait_for_load_state()
    judge.goto("/judging")
    assert "2 of 2 reviewed" in judge.locator("main").inner_text()

    # The admin sees the ranking and advances the top one of the CA track.
    admin.goto(f"/challenges/{slug}/judging")
    admin.get_by_role("link", name="Results").first.click()
    admin.wait_for_load_state()
    table = admin.locator("table").first.inner_text()
    assert table.index(f"Maple {run}") < table.index(f"Birch {run}")
    assert_accessible(admin)
    admin.get_by_role("link", name="Decide who advances").first.click()
    admin.get_by_label("The top N of the track").check()
    admin.get_by_label("N", exact=True).fill("1")
    admin.get_by_role("button", name="Preview the selection").click()
    admin.wait_for_load_state()
    assert admin.get_by_label(f"Maple {run} advances").is_checked()
    assert not admin.get_by_label(f"Birch {run} advances").is_checked()
    assert_accessible(admin)
    admin.get_by_role("button", name="Confirm: the ticked entries advance").click()
    admin.wait_for_load_state()
    assert "1 advancing, 1 not advancing" in admin.locator(".flashes").inner_text()

    # The release: judging has closed; the admin previews what each audience will see, then
    # releases the results now (after the confirmation) for every track at once.
    with live_app.app_context():
        challenge = db.session.query(Challenge).filter_by(slug=slug).one()
        round_ = challenge.rounds[0]
        round_.judging_closes = clock.now()
        round_.results_at = clock.now() + timedelta(days=1)
        round_id = round_.id
        db.session.commit()
    public_ctx, public = _page(browser, live_server)
    winners = f"/challenges/{slug}/rounds/{round_id}/winners"
    assert public.goto(winners).status == 404  # before the release: nobody outside
    admin.reload()
    assert "Results will be released on" in admin.locator("#release-state").inner_text()
    assert_accessible(admin)
    admin.get_by_role("link", name="Preview what each audience will see").click()
    admin.wait_for_load_state()
    preview = admin.locator("main").inner_text()
    assert "This is a preview." in preview and f"sample team: Maple {run}" in preview
    assert "Test the loop on a longer mission." in preview
    assert_accessible(admin)
    admin.go_back()
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name="Release results now").click()
    admin.wait_for_load_state()
    assert "The results are released" in admin.locator(".flashes").inner_text()
    assert "Released on" in admin.locator("#release-state").inner_text()
    assert public.goto(winners).status == 200
    body = public.locator("main").inner_text()
    assert f"Maple {run}" in body and f"Birch {run}" not in body
    assert "Winner: 150,000.00\xa0CAD" in body  # the track's currency
    assert_accessible(public)
    public.goto(f"/challenges/{slug}")
    public.get_by_role("link", name="Results of Phase 1").click()
    public.wait_for_url(f"**{winners}")

    team_ctx, team = _page(browser, live_server, f"maple-{run}@example.org")
    team.goto("/teams/")
    team.get_by_role("link", name=f"Maple {run}").click()
    team.get_by_role("link", name="CA track").first.click()
    team.get_by_role("link", name="Results and judges' comments").click()
    body = team.locator("main").inner_text()
    assert "Selected: your entry advances." in body
    assert "Test the loop on a longer mission." in body
    assert judge_email not in body
    assert_accessible(team)
    for ctx in (admin_ctx, judge_ctx, public_ctx, team_ctx):
        ctx.close()


def test_admin_adds_a_jury_stage_for_the_shared_panel(
    browser: Any, live_server: Any, live_app: Any
) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _judging_world(run)
    ctx, admin = _page(browser, live_server, f"root-{run}@tandem.example")
    admin.goto(f"/challenges/{slug}/judging")
    admin.get_by_text("Add a review stage to Phase 1").click()
    admin.get_by_role("button", name="Add the stage").click()  # no name: explained
    admin.wait_for_load_state()
    assert "Name the stage" in admin.locator(".flashes").inner_text()
    admin.get_by_text("Add a review stage to Phase 1").click()
    assert_accessible(admin)
    admin.get_by_label("Name of the stage (English)").fill("Jury")
    admin.get_by_label("Name of the stage (French)").fill("Jury")
    admin.get_by_label("The shared cross-track panel only").check()
    admin.get_by_role("button", name="Add the stage").click()
    admin.wait_for_url("**/rubric?stage=2")
    main = admin.locator("main").inner_text()
    assert "Stage 2: Jury" in main and "No criteria yet." in main
    assert_accessible(admin)
    admin.get_by_role("link", name="Stage 1: Review").click()
    admin.get_by_label("Name of the stage (English)").fill("Technical review")
    admin.get_by_label("Each track's own panel only").check()
    admin.get_by_role("button", name="Save the stage").click()
    admin.wait_for_load_state()
    assert "The stage was saved." in admin.locator(".flashes").inner_text()
    admin.goto(f"/challenges/{slug}/judging")
    assert "Stage 1: Technical review" in admin.locator("main").inner_text()
    assert_accessible(admin)
    admin.get_by_role("link", name="CA track — Phase 1 — Stage 2: Jury").click()
    assert "This stage judges only the entries shortlisted" in admin.locator("main").inner_text()
    assert_accessible(admin)
    admin.goto(f"/challenges/{slug}/judging")
    admin.get_by_role("link", name="Results — Phase 1 — Stage 1: Technical review").click()
    assert "shortlists the entries for the next stage" in admin.locator("main").inner_text()
    assert_accessible(admin)
    ctx.close()
