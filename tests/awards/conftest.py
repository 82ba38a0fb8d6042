"""Fixtures of the awards tests: the entries tests' two-track challenge, whose Canada track
has a prize and a prize condition, with its Phase 1 results released and one winner."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from competitions.awards import services
from competitions.challenges.models import Prize
from competitions.challenges.services import tracks as track_services
from competitions.core.extensions import db
from competitions.entries.models import Entry
from competitions.judging.models import Advancement
from tests.entries import conftest as entrants
from tests.entries.conftest import CA_RULES, DEADLINE, act, build, new_team, person, register

now = entrants.now
logout = entrants.logout
switch = entrants.switch
us_track = entrants.us_track

CONDITION = {
    "en": "Form a legal entity in Canada before receiving a prize.",
    "fr": "Constituer une personne morale au Canada avant de recevoir un prix.",
}
RULES = {**CA_RULES, "prize_conditions": [{"text": CONDITION, "entrant_types": ["team"]}]}
RESULTS_OUT = DEADLINE + timedelta(days=41)


@pytest.fixture
def challenge(world: Any, now: Any) -> Any:
    return build(world, rules_a=RULES)


@pytest.fixture
def ca_track(challenge: Any) -> Any:
    return challenge.tracks[0]


@pytest.fixture
def prize(world: Any, ca_track: Any) -> Prize:
    p = track_services.save_prize(
        act(world.admin_a),
        ca_track,
        None,
        track_services.PrizeData({"en": "Phase 1 winner", "fr": "Lauréat"}, "30000", "CAD", 1, {}),
    )
    db.session.commit()
    return p


@pytest.fixture
def winner(world: Any, challenge: Any, ca_track: Any, clock: Any) -> Entry:
    """Maple (the innovator and a French-speaking teammate) wins Phase 1; results are out."""
    mate = person("CA", email="mate@example.org", display_name="Mia Mate")
    mate.preferred_language = "fr"
    team = new_team(world.innovator, "CA", 30, name="Maple", members=[(mate, "CA", 30)])
    entry = register(team, ca_track)
    db.session.add(
        Advancement(
            round_id=challenge.rounds[0].id,
            entry_id=entry.id,
            advancing=True,
            method="manual",
            rank=1,
        )
    )
    db.session.commit()
    clock.set_now(RESULTS_OUT)
    return entry


def key(entry: Entry) -> str:
    return f"{entry.track.challenge.rounds[0].id}:{entry.id}"


def record(world: Any, entry: Entry, prize: Prize, conditions: list[int] | None = None) -> Any:
    award = services.record_award(
        act(world.admin_a),
        entry.track,
        services.AwardData(
            key(entry), prize.id, "30000", "CAD", [0] if conditions is None else conditions
        ),
    )
    db.session.commit()
    return award
