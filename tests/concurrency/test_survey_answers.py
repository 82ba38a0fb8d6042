"""One response per person, under a race: eight requests of the same entrant answer the same
survey at once (threads released by a barrier, each with its own session and transaction). The
participation's unique constraint lets exactly one through; the others are refused as
already answered, and exactly one response is stored."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from sqlalchemy import func, select

from competitions.accounts.models import User
from competitions.challenges.models import Challenge
from competitions.core.actor import Actor
from competitions.core.extensions import db
from competitions.surveys import sending, services
from competitions.surveys.models import SurveyParticipation, SurveyResponse
from tests.e2e.test_judging import _judging_world

THREADS = 8


def test_concurrent_answers_of_one_person_store_one_response(live_app: Any) -> None:
    run = uuid.uuid4().hex[:6]
    with live_app.app_context():
        slug = _judging_world(run)
        challenge = db.session.query(Challenge).filter_by(slug=slug).one()
        root = db.session.query(User).filter_by(email=f"root-{run}@tandem.example").one()
        actor = Actor(root, ip="127.0.0.1")
        survey = services.create(
            actor,
            challenge,
            challenge.tracks[0],
            services.SurveyData({"en": "Race"}, {}, ["entrants"], True, None),
        )
        services.define_fields(
            actor, survey, [{"key": "note", "type": "short_text", "label": {"en": "Note"}}]
        )
        sending.send_now(actor, survey, 7, None)
        db.session.commit()
        survey_id = survey.id
        maple_id = db.session.query(User).filter_by(email=f"maple-{run}@example.org").one().id

    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def answer(n: int) -> None:
        with live_app.app_context():
            survey = services.get_any(survey_id)
            user = db.session.get(User, maple_id)
            barrier.wait()
            try:
                services.answer(Actor(user, ip="127.0.0.1"), survey, {"note": f"answer {n}"})
                db.session.commit()
                outcome = "stored"
            except services.AlreadyAnswered:
                db.session.rollback()
                outcome = "refused"
            except Exception as err:  # reported in the assertion below
                db.session.rollback()
                outcome = f"error: {err!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("stored") == 1, outcomes
    assert outcomes.count("refused") == THREADS - 1, outcomes
    with live_app.app_context():
        responses = db.session.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.survey_id == survey_id)
        )
        parts = db.session.scalar(
            select(func.count())
            .select_from(SurveyParticipation)
            .where(SurveyParticipation.survey_id == survey_id)
        )
    assert responses == 1 and parts == 1
