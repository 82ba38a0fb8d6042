"""The rubric editor: criteria move with buttons, and removing one asks first (a page, so it
works without JavaScript; only an explicit confirmation removes)."""

from __future__ import annotations

from competitions.core.extensions import db
from tests.judging.conftest import make_rubric, text


def titles(rubric):
    db.session.refresh(rubric)
    return [c.title["en"] for c in rubric.criteria]


def test_criteria_move_and_removal_is_confirmed(world, client, login, challenge):
    rubric = make_rubric(world, challenge)
    db.session.commit()
    base = f"/challenges/{challenge.slug}/rounds/{rubric.round_id}/rubric"
    first, second = rubric.criteria
    login(world.admin_a)
    page = text(client.get(base))
    assert "Move down" in page and f"criteria/{first.id}/remove" in page
    client.post(f"{base}/criteria/{second.id}/move?stage=1", data={"direction": "up"})
    assert titles(rubric) == ["Feasibility", "Innovation"]
    # The remove link opens a question; a post without the confirmation removes nothing.
    page = text(client.get(f"{base}/criteria/{first.id}/remove?stage=1"))
    assert "Remove “Innovation”?" in page and 'name="confirm" value="yes"' in page
    client.post(f"{base}/criteria/{first.id}/remove?stage=1", data={})
    assert titles(rubric) == ["Feasibility", "Innovation"]
    response = client.post(f"{base}/criteria/{first.id}/remove?stage=1", data={"confirm": "yes"})
    assert response.status_code == 303
    assert titles(rubric) == ["Feasibility"]


def test_others_cannot_remove_a_criterion(world, client, login, challenge):
    rubric = make_rubric(world, challenge)
    db.session.commit()
    base = f"/challenges/{challenge.slug}/rounds/{rubric.round_id}/rubric"
    login(world.admin_b)
    url = f"{base}/criteria/{rubric.criteria[0].id}/remove?stage=1"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"confirm": "yes"}).status_code == 404
    assert len(titles(rubric)) == 2
