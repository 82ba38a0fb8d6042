"""Fixtures of the judging tests: the entries tests' two-track challenge (agency A's Canada
track, agency B's US track, one round), teams with a submitted version in the round, a rubric,
and judges seated on the panels."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from competitions.accounts.models import User
from competitions.challenges.models import Challenge, Track
from competitions.core import clock
from competitions.core.extensions import db
from competitions.judging import panels, rubrics
from competitions.judging.models import Judge, Rubric
from competitions.submissions.models import Submission, SubmissionVersion
from tests.entries import conftest as entrants
from tests.entries.conftest import (  # noqa: F401 (helpers the tests import)
    DEADLINE,
    NOW,
    act,
    count,
    events,
    follow,
    new_team,
    person,
    register,
    text,
)

now = entrants.now
challenge = entrants.challenge
ca_track = entrants.ca_track
us_track = entrants.us_track
logout = entrants.logout
switch = entrants.switch


def criterion(title: str, weight: str = "1", lo: str = "0", hi: str = "10", step: str = "1"):
    return rubrics.CriterionData(
        title={"en": title, "fr": f"{title} (fr)"},
        guidance={"en": f"How good is the {title.lower()}?"},
        weight=weight,
        scale_min=lo,
        scale_max=hi,
        step=step,
        descriptors={hi: {"en": "Outstanding", "fr": "Exceptionnel"}},
    )


def make_rubric(world: Any, challenge: Challenge, k: int = 2, **settings: Any) -> Rubric:
    """The round's rubric: Innovation (weight 2) and Feasibility (weight 1), both 0 to 10."""
    rubric = rubrics.rubric_for(challenge.rounds[0])
    assert rubric is not None
    a = act(world.admin_a)
    rubrics.add_criterion(a, challenge, rubric, criterion("Innovation", weight="2"))
    rubrics.add_criterion(a, challenge, rubric, criterion("Feasibility"))
    rubrics.save_settings(
        a,
        challenge,
        rubric,
        rubrics.Settings(
            reviews_per_submission=k,
            blind=settings.get("blind", False),
            cross_track=settings.get("cross_track", False),
            min_reviews=settings.get("min_reviews", 3),
            seed=settings.get("seed", 0),
        ),
    )
    db.session.commit()
    return rubric


def seat(
    world: Any,
    challenge: Challenge,
    track: Track | None,
    user: User | None = None,
    organisation: str = "",
    **user_fields: Any,
) -> Judge:
    """``user`` (or a new person) seated on the track's panel (or the shared one) directly."""
    user = user or person(**user_fields)
    panel = panels.panel_for(challenge, track)
    judge = Judge(panel_id=panel.id, user_id=user.id, organisation=organisation, expertise=[])
    db.session.add(judge)
    db.session.commit()
    return judge


def submitted(team_entry: Any, challenge: Challenge, answers: dict[str, Any] | None = None):
    """A submission with one version in the round (written directly: judging starts after)."""
    round_ = challenge.rounds[0]
    submission = Submission(entry_id=team_entry.id, round_id=round_.id, draft={})
    db.session.add(submission)
    db.session.flush()
    db.session.add(
        SubmissionVersion(
            submission_id=submission.id,
            number=1,
            answers=answers or {},
            submitted_at=clock.now(),
            deadline=DEADLINE,
        )
    )
    db.session.commit()
    return submission


def entries(n: int, track: Track, country: str = "CA", **team: Any) -> list[Any]:
    """``n`` registered teams in ``track``, each with a submitted version."""
    out = []
    for i in range(n):
        lead = person(country)
        t = new_team(lead, country, name=f"{track.slug} team {i}", **team)
        out.append(register(t, track))
    return out


def next_round(world: Any, challenge: Challenge) -> Any:
    """A second round, 60 days after the first (committed)."""
    from datetime import timedelta

    from competitions.challenges.services import timeline as timeline_services

    first = challenge.rounds[0]
    timeline_services.save_round(
        act(world.admin_a),
        challenge,
        None,
        timeline_services.RoundData(
            {"en": "Phase 2"},
            {
                "submission_opens": first.submission_opens,
                "submission_deadline": first.submission_deadline + timedelta(days=60),
                "judging_closes": first.judging_closes + timedelta(days=60),
                "results_at": first.results_at + timedelta(days=60),
            },
        ),
        reason="Phase 2 announced",
    )
    db.session.commit()
    return challenge.rounds[-1]


def score_values(rubric: Rubric, *values: str) -> dict[int, Any]:
    return {c.id: v for c, v in zip(rubric.criteria, values, strict=True)}


@pytest.fixture
def judged(world: Any, challenge: Challenge, ca_track: Track, us_track: Track) -> dict[str, Any]:
    """Three Canadian and two US submissions, a rubric (k=2), three CA judges, two US judges."""
    rubric = make_rubric(world, challenge)
    ca = [submitted(e, challenge) for e in entries(3, ca_track)]
    us = [submitted(e, challenge) for e in entries(2, us_track, "US")]
    ca_judges = [seat(world, challenge, ca_track) for _ in range(3)]
    us_judges = [seat(world, challenge, us_track, country="US") for _ in range(2)]
    return {
        "rubric": rubric,
        "ca": ca,
        "us": us,
        "ca_judges": ca_judges,
        "us_judges": us_judges,
        "round": challenge.rounds[0],
        "weights": Decimal(3),
    }
