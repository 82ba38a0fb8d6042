"""Fixtures of the API tests: the challenge tests' draft (agency A leads, agency B partners),
published or not, and tokens of each agency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from competitions.api import tokens
from competitions.challenges.models import Challenge
from competitions.core.extensions import db
from tests.challenges.conftest import challenge, draft, invite, track_a, track_b  # noqa: F401
from tests.challenges.helpers import act, publish

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


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
