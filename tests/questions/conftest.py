"""Fixtures of the questions tests: the entries tests' published two-track challenge (agency A
leads and runs the Canada track in English and French; agency B runs the US track in English)."""

from __future__ import annotations

from typing import Any

import pytest

from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from competitions.questions import answers, services
from competitions.questions.models import Question
from tests.entries.conftest import act, build, events, person, text  # noqa: F401


@pytest.fixture
def challenge(world: Any, clock: Any) -> Challenge:
    from tests.entries.conftest import NOW

    clock.set_now(NOW)
    return build(world)


@pytest.fixture
def asker(db: Any) -> Any:
    return person("CA", email="asker@example.org", display_name="Alice Asker")


def ask(challenge: Challenge, user: Any, track_slug: str = "", body: str = "") -> Question:
    question = services.ask(
        act(user),
        challenge,
        track_slug,
        body or "May a Canadian company with a U.S. subsidiary enter?",
        "en",
    )
    db.session.commit()
    return question


def draft(
    question: Question,
    user: Any,
    scope: str = "",
    *,
    fr: bool = True,
    topic: bool = True,
    changes_rules: bool = False,
) -> None:
    answers.save_draft(
        act(user),
        question,
        answers.AnswerDraft(
            scope_track=scope,
            topic={"en": "Eligibility", "fr": "Admissibilité"} if topic else {},
            question_text={
                "en": "Can a subsidiary enter?",
                "fr": "Une filiale peut-elle participer ?",
            }
            if fr
            else {"en": "Can a subsidiary enter?"},
            body={"en": "Yes, through the U.S. track.", "fr": "Oui, par le volet américain."}
            if fr
            else {"en": "Yes, through the U.S. track."},
            changes_rules=changes_rules,
        ),
    )
    db.session.commit()
