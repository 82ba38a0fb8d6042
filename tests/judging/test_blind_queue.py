"""Blind judging: a judge's queue shows their own anonymous numbers, and declaring a conflict
with a named team never shows them which anonymous submission was that team's."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from competitions.core.extensions import db
from competitions.judging import assignments, reviews
from competitions.judging.models import Assignment
from tests.judging.conftest import (
    act,
    new_team,
    person,
    register,
    score_values,
    submitted,
    text,
)


@pytest.fixture
def blind(world, challenge, judged, ca_track):
    """Five Canadian submissions; the first judge is assigned three of them (blind stage)."""
    judged["rubric"].blind = True
    extra = [
        submitted(register(new_team(person("CA"), "CA", name=f"Extra {i}"), ca_track), challenge)
        for i in range(2)
    ]
    subs = [*judged["ca"], *extra]
    judge = judged["ca_judges"][0]
    for sub in subs[:3]:
        assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    return {"judge": judge, "subs": subs, "round": judged["round"], "rubric": judged["rubric"]}


CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+')


def queue_page(client, round_):
    """The judge's queue (any message flashed before is shown, and so consumed, first), with
    its CSRF tokens blanked: they carry the second they were made in, nothing about the
    queue."""
    client.get("/judging")
    return CSRF_VALUE.sub(r"\1", text(client.get(f"/judging/rounds/{round_.id}")))


def numbers(page):
    return re.findall(r"Submission #(\d+)", page)


def declare(client, challenge, team):
    response = client.post(
        f"/challenges/{challenge.slug}/judging/me/conflicts", data={"team": team.id}
    )
    assert response.status_code in (302, 303)
    assert "Your conflict was recorded" in text(client.get(response.headers["Location"]))


def test_the_queue_shows_the_judges_own_numbers_not_ids_or_positions(world, client, login, blind):
    login(blind["judge"].user)
    page = queue_page(client, blind["round"])
    shown = numbers(page)
    assert len(shown) == 3
    ids = {str(s.id) for s in blind["subs"]} | {str(a) for a in range(1, 6)}
    assert not set(shown) & ids
    assert "/judging/assignments/" not in page  # the links do not name assignments
    # Each number opens its submission.
    mine = db.session.scalars(
        select(Assignment).where(Assignment.user_id == blind["judge"].user_id)
    ).all()
    for a in mine:
        response = client.get(f"/judging/rounds/{blind['round'].id}/submissions/{a.number}")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/judging/assignments/{a.id}")


@pytest.mark.parametrize("which", [0, 1, 2, 3])
def test_declaring_a_conflict_by_name_leaves_the_queue_as_it_was(
    world, client, login, blind, challenge, which
):
    """Whichever of the three queued teams is named (or a team not in the queue), the queue
    page afterwards is the very page it was before: same numbers, statuses and links."""
    login(blind["judge"].user)
    before = queue_page(client, blind["round"])
    team = blind["subs"][which].entry.team
    declare(client, challenge, team)
    after = queue_page(client, blind["round"])
    assert after == before
    # ... yet that team's submission is no longer the judge's, and the number holds another.
    active = db.session.scalars(
        select(Assignment).where(
            Assignment.user_id == blind["judge"].user_id, Assignment.ended_at.is_(None)
        )
    ).all()
    assert len(active) == 3
    assert blind["subs"][which].id not in {a.submission_id for a in active}


def test_with_nothing_to_take_in_its_place_every_number_changes(
    world, client, login, blind, challenge
):
    """The judge already has every submission they may judge: the named team's goes, and the
    numbers of the others are drawn again, so which one went cannot be told."""
    judge = blind["judge"]
    for sub in blind["subs"][3:]:
        assignments.assign_manually(act(world.admin_a), sub, judge)
    db.session.commit()
    login(judge.user)
    before = numbers(queue_page(client, blind["round"]))
    assert len(before) == 5
    declare(client, challenge, blind["subs"][2].entry.team)
    after = numbers(queue_page(client, blind["round"]))
    assert len(after) == 4 and not set(after) & set(before)


def test_a_started_review_keeps_its_number(world, client, login, blind, challenge):
    """Numbers of reviews the judge has started do not change (they know those by their
    drafts); only not-started ones are drawn again."""
    judge, round_ = blind["judge"], blind["round"]
    for sub in blind["subs"][3:]:
        assignments.assign_manually(act(world.admin_a), sub, judge)
    first = db.session.scalar(
        select(Assignment).where(
            Assignment.user_id == judge.user_id, Assignment.submission_id == blind["subs"][0].id
        )
    )
    reviews.save_review(
        act(judge.user), first, score_values(blind["rubric"], "5", "5"), "", "", False
    )
    db.session.commit()
    number = first.number
    login(judge.user)
    declare(client, challenge, blind["subs"][4].entry.team)
    assert str(number) in numbers(queue_page(client, round_))


def test_every_way_of_assigning_gives_a_number(world, challenge, judged, blind):
    judge = judged["ca_judges"][1]
    assignments.assign_manually(act(world.admin_a), blind["subs"][0], judge)
    assignments.take_next(act(judged["ca_judges"][2].user), challenge, blind["round"])
    assignments.auto_assign(act(world.admin_a), challenge, blind["round"])
    db.session.commit()
    rows = db.session.scalars(select(Assignment)).all()
    assert rows and all(a.number is not None and 1000 <= a.number <= 9999 for a in rows)
    seen = {(a.round_id, a.user_id, a.number) for a in rows if a.ended_at is None}
    assert len(seen) == len([a for a in rows if a.ended_at is None])
