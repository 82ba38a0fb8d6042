"""The judging pages that used inline styles (the judge's progress bar, the score inputs, the
team's feedback) render without any style attribute: the strict policy would block it."""

from __future__ import annotations

from datetime import timedelta

from competitions.core.extensions import db
from competitions.judging import advancement, assignments, reviews
from tests.core.test_csp import has_style_attribute
from tests.judging.conftest import act, score_values, text


def test_the_judges_pages_and_the_teams_feedback_have_no_style_attribute(
    world, challenge, judged, client, login, clock
):
    rubric, judge, round_ = judged["rubric"], judged["ca_judges"][0], judged["round"]
    first, second = judged["ca"][:2]
    a = assignments.assign_manually(act(world.admin_a), first, judge)
    assignments.assign_manually(act(world.admin_a), second, judge)
    reviews.save_review(
        act(judge.user), a, score_values(rubric, "9", "8"), "Strong.\nTest it twice.", "", True
    )
    db.session.commit()
    login(judge.user)
    queue = text(client.get(f"/judging/rounds/{round_.id}"))
    assert "1 of 2 reviewed" in queue
    review = text(client.get(f"/judging/assignments/{a.id}"))
    assert "Innovation" in review
    advancement.decide(act(world.admin_a), round_, first.entry.track, "manual", {first.entry_id})
    db.session.commit()
    clock.set_now(round_.results_at + timedelta(seconds=1))
    client.post("/logout")
    login(first.entry.team.lead.user)
    feedback = text(client.get(f"/entries/{first.entry_id}/rounds/{round_.id}/feedback"))
    assert "Test it twice." in feedback
    for page in (queue, review, feedback):
        assert not has_style_attribute(page)
