"""Fixtures of the API tests: the challenge tests' draft (agency A leads, agency B partners),
published or not, and tokens of each agency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from competitions.api import tokens
from competitions.challenges.models import Challenge, Track
from competitions.core import clock
from competitions.core.extensions import db
from competitions.entries.models import Entry, Team, TeamMember
from tests.challenges.conftest import challenge, draft, invite, track_a, track_b  # noqa: F401
from tests.challenges.helpers import act, publish
from tests.factories import make_user

API = "/api/v1"


@pytest.fixture
def published(challenge: Challenge, world: Any) -> Challenge:  # noqa: F811
    publish(world, challenge)
    return challenge


@pytest.fixture
def make_token(world: Any) -> Callable[..., str]:
    """``make_token(admin, agency, scope="read", days=30)``: a new token's secret (committed)."""

    def make(admin: Any = None, agency: Any = None, scope: str = "read", days: int = 30) -> str:
        issued = tokens.create_token(
            act(admin or world.admin_a),
            agency or world.agency_a,
            tokens.NewToken("Grants system", scope, days),
        )
        db.session.commit()
        return issued.secret

    return make


def make_entry(track: Track, name: str, eligibility: str = "eligible") -> Entry:
    """An entry of a new one-person team in ``track`` (flushed)."""
    lead = make_user()
    team = Team(name=name, entrant_type="team", created_by_id=lead.id)
    db.session.add_all([team, TeamMember(team=team, user=lead, role="lead", residence="CA")])
    now = clock.now()
    entry = Entry(
        team=team,
        track=track,
        challenge_id=track.challenge_id,
        eligibility=eligibility,
        eligibility_reasons=[
            {
                "code": "residence_ok",
                "severity": "ok",
                "params": {"countries": ["CA"], "policy": "all"},
            }
        ],
        eligibility_evaluated_at=now,
        terms_version_id=track.terms_versions[-1].id,
        terms_accepted_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
