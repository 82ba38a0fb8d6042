"""Review stages within a round: a technical review by each track's panel shortlists entries
for a jury of the shared panel, with its own criteria; the last stage's decision is the
round's (winners, the next round's entrants, what teams read)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from competitions.core.errors import Conflict, DomainError, PermissionDenied
from competitions.core.extensions import db
from competitions.judging import advancement, assignments, results, reviews, rubrics
from competitions.judging.models import Assignment
from tests.judging.conftest import act, criterion, next_round, score_values, seat, text


def _jury(world, challenge):
    """The round gets a second stage, judged by the shared panel; the first stage becomes the
    tracks' technical review."""
    round_ = challenge.rounds[0]
    first = rubrics.rubric_for(round_)
    rubrics.update_stage(act(world.admin_a), challenge, first, {"en": "Technical review"}, "tracks")
    jury = rubrics.add_stage(
        act(world.admin_a), challenge, round_, {"en": "Jury", "fr": "Jury"}, "shared"
    )
    rubrics.add_criterion(act(world.admin_a), challenge, jury, criterion("Impact"))
    db.session.commit()
    return first, jury


def _active(round_id, stage):
    return list(
        db.session.scalars(
            select(Assignment).where(
                Assignment.round_id == round_id,
                Assignment.stage == stage,
                Assignment.ended_at.is_(None),
            )
        )
    )


def _score_stage_one(world, challenge, judged):
    """Every stage-1 assignment scored: CA submissions 9, 6, 3; US 8, 4."""
    values = {s.id: v for s, v in zip(judged["ca"] + judged["us"], "96384", strict=True)}
    for a in _active(judged["round"].id, 1):
        reviews.save_review(
            act(a.judge.user),
            a,
            score_values(judged["rubric"], values[a.submission_id], values[a.submission_id]),
            "Solid engineering." if a.submission_id == judged["ca"][1].id else "",
            "",
            True,
        )
    db.session.commit()


def test_a_stage_is_added_by_the_lead_admins_before_the_round_decides(world, challenge, judged):
    round_ = judged["round"]
    with pytest.raises(PermissionDenied):
        rubrics.add_stage(act(world.admin_b), challenge, round_, {"en": "Jury"}, "shared")
    with pytest.raises(DomainError, match="Name the stage"):
        rubrics.add_stage(act(world.admin_a), challenge, round_, {"en": " "}, "shared")
    with pytest.raises(DomainError, match="panels"):
        rubrics.add_stage(act(world.admin_a), challenge, round_, {"en": "Jury"}, "everyone")
    first, jury = _jury(world, challenge)
    assert [s.stage for s in rubrics.stages_of(round_)] == [1, 2]
    assert rubrics.last_stage(round_) == 2
    assert jury.panel_scope == "shared" and first.panel_scope == "tracks"
    assert jury.reviews_per_submission == first.reviews_per_submission  # inherited
    assert [c.title["en"] for c in jury.criteria] == ["Impact"]  # its own criteria
    assert [c.title["en"] for c in first.criteria] == ["Innovation", "Feasibility"]


def test_no_stage_is_added_once_the_round_has_decided(world, challenge, judged):
    round_ = judged["round"]
    advancement.decide(act(world.admin_a), round_, judged["ca"][0].entry.track, "manual", set())
    db.session.commit()
    with pytest.raises(Conflict, match="add stages before"):
        rubrics.add_stage(act(world.admin_a), challenge, round_, {"en": "Final"}, "all")
    assert rubrics.last_stage(round_) == 1


def test_the_jury_judges_only_the_shortlist_with_its_own_panel_and_criteria(
    world, challenge, judged, ca_track, us_track
):
    round_ = judged["round"]
    first, jury = _jury(world, challenge)
    shared = [seat(world, challenge, None) for _ in range(2)]
    # Stage 1: the tracks' panels only (k = 2), never the shared panel.
    assignments.auto_assign(act(world.admin_a), challenge, round_, None, 1)
    db.session.commit()
    stage_one = _active(round_.id, 1)
    assert len(stage_one) == 5 * 2
    assert not {a.judge_id for a in stage_one} & {j.id for j in shared}
    # Stage 2 before any shortlist: nothing to judge.
    assert assignments.auto_assign(act(world.admin_a), challenge, round_, None, 2).submissions == 0
    _score_stage_one(world, challenge, judged)
    ca, us = judged["ca"], judged["us"]
    # Each track shortlists from its stage-1 ranking (stage-1 results, stage-1 decision).
    ca_items = [i for i in results.results_of(round_, 1).items if i.track_id == ca_track.id]
    top_two = advancement.select_advancing(ca_items, "top_n", 2, None)
    assert top_two == {ca[0].entry_id, ca[1].entry_id}
    assert advancement.decide(act(world.admin_a), round_, ca_track, "top_n", set(top_two), 1) == (
        2,
        1,
    )
    advancement.decide(act(world.admin_b), round_, us_track, "manual", {us[0].entry_id}, 1)
    db.session.commit()
    assert advancement.winners(round_, ca_track) == []  # a shortlist is not the round's decision
    # Stage 2: the three shortlisted submissions, the two shared judges each.
    outcome = assignments.auto_assign(act(world.admin_a), challenge, round_, None, 2)
    db.session.commit()
    assert outcome.submissions == 3
    stage_two = _active(round_.id, 2)
    assert {a.submission_id for a in stage_two} == {ca[0].id, ca[1].id, us[0].id}
    assert {a.judge_id for a in stage_two} == {j.id for j in shared}
    with pytest.raises(DomainError, match="does not judge this stage"):
        assignments.assign_manually(act(world.admin_a), ca[0], judged["ca_judges"][2], 2)
    with pytest.raises(DomainError, match="not shortlisted"):
        assignments.assign_manually(act(world.admin_a), ca[2], shared[0], 2)
    # The jury scores with its own criterion; the stage-1 rubric is untouched.
    jury_scores = {ca[0].id: "4", ca[1].id: "9", us[0].id: "7"}
    for a in stage_two:
        with pytest.raises(DomainError, match="every criterion"):
            reviews.save_review(act(a.judge.user), a, score_values(first, "5", "5"), "", "", True)
        reviews.save_review(
            act(a.judge.user),
            a,
            score_values(jury, jury_scores[a.submission_id]),
            "The jury's view." if a.submission_id == ca[1].id else "",
            "",
            True,
        )
    db.session.commit()
    assert jury.locked_at is not None
    final = results.results_of(round_)  # the last stage by default
    assert {i.submission_id for i in final.items} == {ca[0].id, ca[1].id, us[0].id}
    ranked = sorted(
        (i for i in final.items if i.track_id == ca_track.id), key=lambda i: i.rank_track
    )
    assert [i.submission_id for i in ranked] == [ca[1].id, ca[0].id]  # the jury reorders
    advancement.decide(act(world.admin_a), round_, ca_track, "top_n", {ca[1].entry_id})
    db.session.commit()
    assert [name for _a, name, _r in advancement.winners(round_, ca_track)] == [
        ca[1].entry.team.name
    ]
    # What each team reads: the last decision about it, and every stage's comments.
    winner = advancement.feedback(ca[1].entry, round_)
    assert winner.advancement.advancing and winner.advancement.stage == 2
    assert winner.comments == ["Solid engineering."] * 2 + ["The jury's view."] * 2
    assert not advancement.feedback(ca[0].entry, round_).advancement.advancing  # jury said no
    cut = advancement.feedback(ca[2].entry, round_)
    assert cut.advancement.stage == 1 and not cut.advancement.advancing  # not shortlisted
    # Resetting the jury's rubric clears only the jury's scores.
    assert rubrics.reset(act(world.admin_a), challenge, jury, "Impact was unclear") == 6
    db.session.commit()
    assert len(results.results_of(round_, 1).items) == 5
    assert all(i.reviews == 2 for i in results.results_of(round_, 1).items)


def test_the_next_round_is_open_to_the_round_s_last_stage_decision(world, challenge, judged):
    from competitions.submissions import services as submissions

    round_ = judged["round"]
    _jury(world, challenge)
    track = judged["ca"][0].entry.track
    ca = judged["ca"]
    advancement.decide(
        act(world.admin_a), round_, track, "manual", {ca[0].entry_id, ca[1].entry_id}, 1
    )
    advancement.decide(act(world.admin_a), round_, track, "manual", {ca[1].entry_id}, 2)
    db.session.commit()
    second = next_round(world, challenge)
    submissions.save_draft(act(ca[1].entry.team.lead.user), ca[1].entry, second, {}, [])
    with pytest.raises(DomainError, match="advanced"):  # shortlisted only: not enough
        submissions.save_draft(act(ca[0].entry.team.lead.user), ca[0].entry, second, {}, [])


def test_the_stage_pages(world, challenge, judged, client, login):
    round_ = judged["round"]
    login(world.admin_a)
    console = f"/challenges/{challenge.slug}/judging"
    response = client.post(
        f"/challenges/{challenge.slug}/rounds/{round_.id}/stages",
        data={"name_en": "Jury", "name_fr": "Jury", "panel_scope": "shared"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("stage=2")
    page = text(client.get(console))
    assert "Stage 1: Review" in page and "Stage 2: Jury" in page
    rubric_page = text(
        client.get(f"/challenges/{challenge.slug}/rounds/{round_.id}/rubric?stage=2")
    )
    assert "The last stage judges the entries shortlisted" in rubric_page
    assert "No criteria yet." in rubric_page
    client.post(
        f"/challenges/{challenge.slug}/rounds/{round_.id}/rubric/criteria?stage=2",
        data={
            "title_en": "Impact",
            "title_fr": "Impact",
            "weight": "1",
            "scale_min": "0",
            "scale_max": "10",
            "step": "1",
        },
    )
    assert [c.title["en"] for c in rubrics.rubric_for(round_, 2).criteria] == ["Impact"]
    assert len(rubrics.rubric_for(round_, 1).criteria) == 2
    response = client.post(
        f"/challenges/{challenge.slug}/rounds/{round_.id}/stage?stage=2",
        data={"name_en": "", "name_fr": "", "panel_scope": "shared"},
    )
    assert response.status_code == 400 and "Name the stage" in text(response, 400)
    results_page = text(
        client.get(f"/challenges/{challenge.slug}/rounds/{round_.id}/results?stage=1")
    )
    assert "shortlists the entries for the next stage" in results_page
    track = judged["ca"][0].entry.track
    shortlist = text(
        client.get(
            f"/challenges/{challenge.slug}/rounds/{round_.id}/tracks/{track.slug}"
            "/advancement?stage=1"
        )
    )
    assert "Shortlist for the next stage" in shortlist
    assert (
        client.get(f"/challenges/{challenge.slug}/rounds/{round_.id}/rubric?stage=3").status_code
        == 404
    )
    client.post("/logout")
    login(world.admin_b)
    response = client.post(
        f"/challenges/{challenge.slug}/rounds/{round_.id}/stages",
        data={"name_en": "Other", "panel_scope": "all"},
    )
    assert response.status_code == 404
    assert len(rubrics.stages_of(round_)) == 2


def test_a_judge_takes_work_only_in_the_stages_their_panel_judges(
    world, challenge, judged, client, login
):
    round_ = judged["round"]
    _jury(world, challenge)
    shared = seat(world, challenge, None)
    track_judge = judged["ca_judges"][0]
    login(shared.user)
    page = text(client.get(f"/judging/rounds/{round_.id}"))
    assert "Score the next least-reviewed submission — Stage 2: Jury" in page
    assert "Stage 1: Technical review" not in page  # nothing of stage 1 for the shared panel
    client.post("/logout")
    login(track_judge.user)
    page = text(client.get(f"/judging/rounds/{round_.id}"))
    assert "Score the next least-reviewed submission — Stage 1: Technical review" in page
    assert "— Stage 2: Jury" not in page
    # Taking the next of stage 1 gives a stage-1 assignment, scored with the stage-1 rubric.
    response = client.post(f"/judging/rounds/{round_.id}/next?stage=1")
    assert response.status_code == 303
    (a,) = _active(round_.id, 1)
    assert a.user_id == track_judge.user_id
    review = text(client.get(f"/judging/assignments/{a.id}"))
    assert "Stage 1: Technical review" in review and "Innovation" in review
    assert "Impact" not in review


def test_finalists_are_the_entries_the_last_stage_advances(world, challenge, judged):
    from competitions.outreach import announcements

    round_ = judged["round"]
    _jury(world, challenge)
    track, ca = judged["ca"][0].entry.track, judged["ca"]
    advancement.decide(
        act(world.admin_a), round_, track, "manual", {ca[0].entry_id, ca[1].entry_id}, 1
    )
    db.session.commit()
    draft = announcements.Draft({"en": "Finalists"}, {"en": "Hello"}, ["finalists"], round_.id)
    ann = announcements.create(act(world.admin_a), challenge, None, draft)
    assert announcements.recipients(ann) == []  # shortlisted is not yet a finalist
    advancement.decide(act(world.admin_a), round_, track, "manual", {ca[1].entry_id}, 2)
    db.session.commit()
    assert {r.email for r in announcements.recipients(ann)} == {
        m.user.email for m in ca[1].entry.team.members
    }
