"""The insights tests' scene: two tracks with known figures (see tests/insights/conftest.py)."""

from tests.insights.conftest import (  # noqa: F401 (fixtures)
    ca_track,
    challenge,
    judged,
    logout,
    now,
    scene,
    switch,
    us_track,
)
