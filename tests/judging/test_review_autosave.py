"""A judge's review saved by autosave is checked exactly like the review form: every score on
its criterion's scale and typed as text, comments of text within their length and without
control characters or lone surrogates; a refusal is JSON 400 with a message per field and
nothing is stored. A review holding a bad value stored before (written directly) still shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from competitions.core.extensions import db
from competitions.judging import assignments, reviews
from competitions.judging.models import Review
from tests.judging.conftest import act, score_values, text

CONTROL = "Remove the invisible control characters from this field."


@pytest.fixture
def assigned(world, judged):
    judge, sub = judged["ca_judges"][0], judged["ca"][0]
    a = assignments.assign_manually(act(world.admin_a), sub, judge)
    reviews.save_review(
        act(judge.user), a, score_values(judged["rubric"], "7", "6"), "Kept.", "", False
    )
    db.session.commit()
    return a


def autosave(client, a, answers):
    return client.post(f"/judging/assignments/{a.id}/autosave", json={"answers": answers})


def stored(a):
    db.session.expire_all()
    review = db.session.scalar(select(Review).where(Review.assignment_id == a.id))
    return {str(k): str(v) for k, v in review.score_map().items()}, review.comment_to_team


def good(a, rubric):
    c1, c2 = rubric.criteria
    return {f"c{c1.id}": "8", f"c{c2.id}": "5", "comment_to_team": "Fine.", "comment_to_admins": ""}


def test_a_valid_autosave_is_saved(world, client, login, judged, assigned):
    login(assigned.judge.user)
    response = autosave(client, assigned, good(assigned, judged["rubric"]))
    assert response.status_code == 200 and response.json["status"] == "saved"
    scores, comment = stored(assigned)
    assert sorted(scores.values()) == ["5.00", "8.00"] and comment == "Fine."


def with_bad(a, rubric, key, value):
    """Good answers but ``value`` for ``key`` ("score": the first criterion's field)."""
    answers = good(a, rubric)
    if key == "score":
        key = f"c{rubric.criteria[0].id}"
    answers[key] = value
    return key, answers


BAD = {
    "a list for a score": ("score", ["8"], "Enter a number for"),
    "an object for a score": ("score", {"v": 8}, "Enter a number for"),
    "a number for a score": ("score", 8, "Enter a number for"),
    "a score off the scale": ("score", "12", "is scored from 0 to 10"),
    "a score that is no number": ("score", "eight", "Enter a number for"),
    "a list for a comment": ("comment_to_team", ["x"], "Enter text."),
    "a control character": ("comment_to_team", "Good\x07 work", CONTROL),
    "a lone surrogate": ("comment_to_admins", "odd \udc80 text", CONTROL),
    "5 MB of comment": ("comment_to_team", "x" * 5_000_000, "Use at most 20000 characters."),
}


@pytest.mark.parametrize(("key", "value", "message"), BAD.values(), ids=BAD.keys())
def test_autosave_refuses_what_the_form_refuses_field_by_field(
    world, client, login, judged, assigned, key, value, message
):
    key, answers = with_bad(assigned, judged["rubric"], key, value)
    before = stored(assigned)
    login(assigned.judge.user)
    response = autosave(client, assigned, answers)
    assert response.status_code == 400
    body = response.json
    assert body["status"] == "invalid" and set(body["errors"]) == {key}
    assert message in body["errors"][key]
    assert stored(assigned) == before  # nothing stored


# What a form post can carry (text only, in UTF-8).
POSTED = ["a score off the scale", "a score that is no number", "a control character"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [BAD[k] for k in [*POSTED, "5 MB of comment"]],
    ids=[*POSTED, "5 MB of comment"],
)
def test_the_review_form_refuses_the_same_with_the_message_on_the_field(
    world, client, login, judged, assigned, key, value, message
):
    key, answers = with_bad(assigned, judged["rubric"], key, value)
    before = stored(assigned)
    login(assigned.judge.user)
    response = client.post(f"/judging/assignments/{assigned.id}", data=answers)
    page = text(response, 400)
    assert f'id="{key}-error"' in page and message in page
    assert stored(assigned) == before


def test_after_judging_closes_autosave_is_refused_with_409(
    world, client, login, judged, assigned, clock
):
    clock.set_now(judged["round"].judging_closes + timedelta(seconds=1))
    login(assigned.judge.user)
    response = autosave(client, assigned, good(assigned, judged["rubric"]))
    assert response.status_code == 409 and response.json["status"] == "refused"


def test_a_review_holding_bad_text_stored_before_still_shows(
    world, client, login, judged, assigned
):
    review = db.session.scalar(select(Review).where(Review.assignment_id == assigned.id))
    # (A lone surrogate cannot be stored in a text column, on either engine.)
    review.comment_to_team = "Bad \x01 text " + "x" * 30_000
    db.session.commit()
    login(assigned.judge.user)
    page = text(client.get(f"/judging/assignments/{assigned.id}"))
    assert "Bad" in page
    response = autosave(client, assigned, good(assigned, judged["rubric"]))
    assert response.status_code == 200
    assert stored(assigned)[1] == "Fine."
