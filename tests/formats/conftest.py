"""Fixtures of the open-format tests: the challenge tests' draft (agency A leads, agency B
partners), published or not."""

from __future__ import annotations

from typing import Any

import pytest

from competitions.challenges.models import Challenge
from tests.challenges.conftest import challenge, draft, invite, track_a, track_b  # noqa: F401
from tests.challenges.helpers import publish


@pytest.fixture
def published(challenge: Challenge, world: Any) -> Challenge:  # noqa: F811
    publish(world, challenge)
    return challenge
