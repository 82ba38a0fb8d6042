"""Fixtures of the survey tests: the judging tests' two-track challenge (agency A's Canada
track, agency B's US track, one round) with three Canadian and two US entries that submitted,
five judges, plus two Canadian entries that registered and did not submit (one of them led by
a French speaker)."""

from __future__ import annotations

from typing import Any

import pytest

from competitions.challenges.models import Challenge, Track
from competitions.core.extensions import db
from competitions.surveys import services
from competitions.surveys.models import Survey
from tests.judging import conftest as judging
from tests.judging.conftest import act, new_team, person, register

now = judging.now
challenge = judging.challenge
ca_track = judging.ca_track
us_track = judging.us_track
judged = judging.judged
logout = judging.logout
switch = judging.switch


@pytest.fixture
def scene(world: Any, challenge: Challenge, ca_track: Track, judged: dict[str, Any]) -> Any:
    quiet = [
        register(new_team(person("CA", preferred_language="fr"), "CA", name="Quiet FR"), ca_track),
        register(new_team(person("CA"), "CA", name="Quiet EN"), ca_track),
    ]
    db.session.commit()
    return {**judged, "quiet": quiet}


def make_survey(
    world: Any,
    challenge: Challenge,
    track: Track | None,
    *,
    anonymous: bool = True,
    audiences: tuple[str, ...] = ("entrants",),
) -> Survey:
    admin = world.admin_a if track is None or track.agency_id == world.agency_a.id else None
    admin = admin or world.admin_b
    survey = services.create(
        act(admin),
        challenge,
        track,
        services.SurveyData(
            title={"en": "How was phase 1?", "fr": "Comment s'est passée la phase 1 ?"},
            intro={"en": "Five minutes."},
            audiences=list(audiences),
            anonymous=anonymous,
            round_id=challenge.rounds[0].id,
        ),
    )
    services.define_fields(
        act(admin),
        survey,
        [
            {
                "key": "rating",
                "type": "choice",
                "label": {"en": "How easy was it?", "fr": "Était-ce facile ?"},
                "required": True,
                "options": [
                    {"value": "easy", "label": {"en": "Easy", "fr": "Facile"}},
                    {"value": "hard", "label": {"en": "Hard", "fr": "Difficile"}},
                ],
            },
            {"key": "comment", "type": "long_text", "label": {"en": "Anything else?"}},
        ],
    )
    db.session.commit()
    return survey
