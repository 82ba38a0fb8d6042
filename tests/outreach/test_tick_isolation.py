"""Each periodic task isolates its work per challenge: when one challenge raises, the tick
logs it, rolls its work back and goes on with the others; the failed one is tried again at the
next tick."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from competitions.challenges.models import Challenge, TimelineChange
from competitions.core.extensions import db
from competitions.outreach import announcements, notices
from competitions.outreach.models import AnnouncementStatus
from tests.submissions.conftest import DEADLINE, NOW, act, build, new_team, person, register


@pytest.fixture
def two(world: Any, clock: Any) -> tuple[Challenge, Challenge]:
    """Two published challenges, each with one entrant (committed)."""
    clock.set_now(NOW)
    food, water = build(world, "food", fields=[]), build(world, "water", fields=[])
    register(new_team(person("CA", email="food@example.org")), food.tracks[0])
    register(new_team(person("CA", email="water@example.org")), water.tracks[0])
    db.session.commit()
    return food, water


def breaks_for(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, slug: str) -> None:
    """``owner.name`` raises when its first argument is (of) the challenge ``slug``."""
    real = getattr(owner, name)

    def fake(first: Any, *args: Any, **kwargs: Any) -> Any:
        challenge = first if isinstance(first, Challenge) else first.challenge
        if challenge.slug == slug:
            raise RuntimeError(f"{slug} is broken")
        return real(first, *args, **kwargs)

    monkeypatch.setattr(owner, name, fake)


def test_reminders_of_the_other_challenges_go_out_when_one_raises(
    two, clock, mail, monkeypatch, caplog
):
    clock.set_now(DEADLINE - timedelta(days=7) + timedelta(minutes=1))
    breaks_for(monkeypatch, notices, "_remind", "food")
    with caplog.at_level(logging.ERROR):
        assert notices.run_due() == 1
    assert len(mail.to("water@example.org")) == 1 and mail.to("food@example.org") == []
    assert "food is broken" in caplog.text
    monkeypatch.undo()
    assert notices.run_due() == 1  # its reminder was rolled back: the next tick sends it
    assert len(mail.to("food@example.org")) == 1


def test_timeline_notices_of_the_other_challenges_go_out_when_one_raises(
    world, two, clock, mail, monkeypatch, caplog
):
    for challenge in two:
        db.session.add(
            TimelineChange(
                challenge_id=challenge.id,
                round_id=challenge.rounds[0].id,
                field="results_at",
                old_at=DEADLINE + timedelta(days=40),
                new_at=DEADLINE + timedelta(days=41),
                reason="A holiday",
                actor_id=world.admin_a.id,
                at=clock.now(),
            )
        )
    db.session.commit()
    clock.advance(timedelta(minutes=10))
    breaks_for(monkeypatch, notices, "_tell_timeline", "food")
    with caplog.at_level(logging.ERROR):
        assert notices.timeline_due() == 1
    assert len(mail.to("water@example.org")) == 1 and mail.to("food@example.org") == []
    assert "food is broken" in caplog.text
    monkeypatch.undo()
    assert notices.timeline_due() == 1
    assert len(mail.to("food@example.org")) == 1


def test_announcements_of_the_other_challenges_are_released_when_one_raises(
    world, two, clock, mail, monkeypatch, caplog
):
    made = []
    for challenge in two:
        draft = announcements.Draft({"en": "News"}, {"en": "Hello"}, ["entries"], None)
        ann = announcements.create(act(world.admin_a), challenge, None, draft)
        announcements.schedule(act(world.admin_a), ann, clock.now() + timedelta(minutes=5))
        made.append(ann)
    db.session.commit()
    clock.advance(timedelta(minutes=5))
    breaks_for(monkeypatch, announcements, "release", "food")
    with caplog.at_level(logging.ERROR):
        assert announcements.release_due() == 1  # and the tick ends: it is not retried in it
    assert "food is broken" in caplog.text
    food, water = (db.session.get(type(a), a.id) for a in made)
    assert food.status == AnnouncementStatus.SCHEDULED and water.status == "released"
    monkeypatch.undo()
    assert announcements.release_due() == 1
    db.session.refresh(food)
    assert food.status == AnnouncementStatus.RELEASED
