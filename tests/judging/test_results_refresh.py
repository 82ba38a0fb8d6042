"""Results kept current by a worker (``RESULTS_REFRESH = "worker"``): a committed review asks
for one recomputation a few seconds later, the results page shows the kept results meanwhile
and says so, and never shows results older than ``RESULTS_REFRESH_LAG``; decisions read current
results whatever the mode."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from competitions.config import ConfigError, build_config
from competitions.core import tasks
from competitions.core.extensions import db
from competitions.judging import refresh, results, reviews
from competitions.judging.models import Assignment, RoundResult
from tests.judging.conftest import act, score_values, text
from tests.judging.test_judging import _score_all

LAGGING = "These results were computed at"


@pytest.fixture
def by_worker(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Worker mode, with the tasks it sends recorded instead of reaching a broker."""
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setitem(app.config, "RESULTS_REFRESH", "worker")
    monkeypatch.setattr(refresh, "_requested", {})
    monkeypatch.setattr(
        tasks, "send_task", lambda name, *args, countdown=None: sent.append((name, args, countdown))
    )
    return sent


def _row_of(page: str, team: str) -> str:
    """The results table's row of ``team``."""
    rows = [r for r in re.findall(r"<tr>.*?</tr>", page, re.S) if f">{team}<" in r]
    assert len(rows) == 1, rows
    return rows[0]


def _change_a_review(judged: Any, submission: Any, value: str) -> None:
    a = db.session.scalar(
        select(Assignment).where(Assignment.submission_id == submission.id).limit(1)
    )
    assert a is not None
    reviews.save_review(
        act(a.judge.user), a, score_values(judged["rubric"], value, value), "", "", True
    )
    db.session.commit()


def test_the_page_shows_kept_results_while_a_worker_recomputes_them(
    world, challenge, judged, client, login, by_worker
):
    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    # Nine reviews in one commit: one recomputation asked, in three seconds.
    assert by_worker == [(refresh.TASK, (round_.id, 1), 3.0)]
    assert refresh.refresh(round_.id, 1) is True  # what the worker runs
    url = f"/challenges/{challenge.slug}/rounds/{round_.id}/results"
    login(world.admin_a)
    team = judged["ca"][2].entry.team.name
    page = text(client.get(url))
    assert LAGGING not in page
    assert "20.00" in _row_of(page, team)  # 100 * (3 + 2 + 1) / 3 / 10

    refresh._requested.clear()  # the delay has passed: the next review asks again
    _change_a_review(judged, judged["ca"][2], "10")
    assert by_worker[-1] == (refresh.TASK, (round_.id, 1), 3.0)
    page = text(client.get(url))
    assert LAGGING in page  # the kept results, said to be recomputed
    assert "20.00" in _row_of(page, team)
    # Decisions never read lagging results: the advancement's items are current.
    track_id = judged["ca"][2].entry.track_id
    current = {i.submission_id: i.raw for i in results.of_track(round_, track_id)}
    assert current[judged["ca"][2].id] > 20
    db.session.commit()

    _change_a_review(judged, judged["ca"][1], "10")
    assert refresh.refresh(round_.id, 1) is True
    page = text(client.get(url))
    assert LAGGING not in page
    assert "20.00" not in _row_of(page, team)


def test_reviews_in_quick_succession_ask_for_one_recomputation(world, challenge, judged, by_worker):
    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    _change_a_review(judged, judged["ca"][0], "1")
    _change_a_review(judged, judged["ca"][1], "2")
    assert by_worker == [(refresh.TASK, (round_.id, 1), 3.0)]


def test_a_draft_asks_for_nothing(world, challenge, judged, by_worker):
    from competitions.judging import assignments

    a = assignments.assign_manually(act(world.admin_a), judged["ca"][0], judged["ca_judges"][0])
    reviews.save_review(
        act(a.judge.user), a, score_values(judged["rubric"], "5", "5"), "", "", False
    )
    db.session.commit()
    assert by_worker == []


def test_results_older_than_the_lag_are_recomputed_by_the_page(
    world, challenge, judged, client, login, by_worker, clock
):
    """A worker that is down never leaves the page behind for longer than the lag."""
    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    refresh.refresh(round_.id, 1)
    _change_a_review(judged, judged["ca"][2], "10")
    clock.advance(timedelta(seconds=121))
    login(world.admin_a)
    page = text(client.get(f"/challenges/{challenge.slug}/rounds/{round_.id}/results"))
    assert LAGGING not in page
    assert "20.00" not in _row_of(page, judged["ca"][2].entry.team.name)
    kept = db.session.get(RoundResult, (round_.id, 1))
    db.session.refresh(kept)
    assert kept.computed_at == clock.now()


def test_inline_mode_recomputes_in_the_page_and_asks_no_worker(
    world, challenge, judged, client, login, monkeypatch
):
    sent: list[Any] = []
    monkeypatch.setattr(tasks, "send_task", lambda *a, **k: sent.append(a))
    round_ = _score_all(
        world, challenge, judged, [["9", "6", "3"], ["8", "5", "2"], ["7", "4", "1"]]
    )
    url = f"/challenges/{challenge.slug}/rounds/{round_.id}/results"
    login(world.admin_a)
    text(client.get(url))
    _change_a_review(judged, judged["ca"][2], "10")
    page = text(client.get(url))
    assert LAGGING not in page
    assert "20.00" not in _row_of(page, judged["ca"][2].entry.team.name)
    assert sent == []


def test_the_worker_s_task_for_a_round_that_is_gone_does_nothing(world):
    assert refresh.refresh(10**9, 1) is False


def test_the_task_is_registered_under_the_name_the_web_sends():
    from workers.celery_app import celery_app
    from workers.tasks import refresh_results

    assert refresh_results.name == refresh.TASK
    assert celery_app.tasks[refresh.TASK].name == refresh.TASK


def test_the_refresh_mode_is_checked(monkeypatch):
    monkeypatch.setenv("RESULTS_REFRESH", "sometimes")
    with pytest.raises(ConfigError, match="RESULTS_REFRESH"):
        build_config("testing")
    monkeypatch.delenv("RESULTS_REFRESH")
    assert build_config("testing")["RESULTS_REFRESH"] == "inline"
    assert build_config("development")["RESULTS_REFRESH"] == "worker"


@pytest.mark.worker
def test_a_real_worker_keeps_the_results_a_review_changed(live_app, celery_worker):
    """A review committed in the web process reaches a real Celery worker through the broker,
    which recomputes and keeps the round's results."""
    import uuid

    from competitions.accounts.models import User
    from competitions.challenges.models import Challenge
    from competitions.core.actor import Actor
    from competitions.judging import assignments, panels, rubrics
    from competitions.judging.freshness import fingerprint
    from competitions.judging.models import Judge, RoundResultItem
    from competitions.submissions.models import Submission
    from tests.e2e.test_judging import _judging_world
    from tests.judging.conftest import criterion
    from tests.support.live import wait_until

    run = uuid.uuid4().hex[:6]
    saved = {k: live_app.config[k] for k in ("RESULTS_REFRESH", "RESULTS_REFRESH_DELAY")}
    live_app.config.update(RESULTS_REFRESH="worker", RESULTS_REFRESH_DELAY=0)
    try:
        with live_app.app_context():
            challenge = db.session.scalar(
                select(Challenge).where(Challenge.slug == _judging_world(run))
            )
            round_ = challenge.rounds[0]
            root = Actor(
                db.session.scalar(select(User).where(User.email.startswith("root-" + run)))
            )
            rubric = rubrics.rubric_for(round_)
            rubrics.add_criterion(root, challenge, rubric, criterion("Innovation"))
            judge_user = db.session.scalar(
                select(User).where(User.email.startswith("judge-" + run))
            )
            panel = panels.panel_for(challenge, challenge.tracks[0])
            judge = Judge(panel_id=panel.id, user_id=judge_user.id, organisation="", expertise=[])
            db.session.add(judge)
            db.session.commit()
            submission = db.session.scalars(
                select(Submission).where(Submission.round_id == round_.id)
            ).first()
            a = assignments.assign_manually(root, submission, judge)
            reviews.save_review(Actor(judge_user), a, {rubric.criteria[0].id: "7"}, "", "", True)
            db.session.commit()  # asks the worker, through the broker

            def kept() -> bool:
                db.session.expire_all()
                row = db.session.get(RoundResult, (round_.id, 1))
                current = row is not None and row.fingerprint == fingerprint(round_, 1)
                db.session.rollback()
                return current

            try:
                wait_until(kept, timeout=60)
            except AssertionError:
                pytest.fail(
                    f"the worker did not keep the results; its log:\n{celery_worker.output()}"
                )
            items = db.session.scalars(
                select(RoundResultItem).where(RoundResultItem.round_id == round_.id)
            ).all()
            in_round = db.session.scalars(
                select(Submission.id).where(Submission.round_id == round_.id)
            ).all()
            assert sorted(i.submission_id for i in items) == sorted(in_round)
            assert len(in_round) == 3
            db.session.rollback()
    finally:
        live_app.config.update(saved)
