"""Fixtures of the pilots tests: the awards tests' challenge (tracks of agency A in Canada and
agency B in the US) with Maple's award in the Canadian track, and agency B's budget for
success of 1,000 USD."""

from __future__ import annotations

from typing import Any

import pytest

from competitions.awards import reserves
from competitions.core import clock
from competitions.core.extensions import db
from competitions.pilots import services
from tests.awards.conftest import ca_track, challenge, prize, record, winner  # noqa: F401
from tests.entries.conftest import act, logout, now, switch, us_track  # noqa: F401


@pytest.fixture
def award(world: Any, winner: Any, prize: Any) -> Any:  # noqa: F811
    return record(world, winner, prize, [])


@pytest.fixture
def reserve_b(world: Any, us_track: Any) -> Any:  # noqa: F811
    r = reserves.set_reserve(
        act(world.admin_b),
        us_track,
        reserves.ReserveData("1000", "USD", {"en": "Pilots in US cities."}, False),
    )
    db.session.commit()
    return r


def offer_data(world: Any, budget: str = "600", **changes: Any) -> services.OfferData:
    data = {
        "host_agency_id": world.agency_b.id,
        "test_bed": "Chicago water network",
        "objectives": "Cut leak detection time.\nTrain the crews.",
        "host_people": "Bo Admin B, programme manager",
        "starts_on": clock.now().date(),
        "budget": budget,
        **changes,
    }
    return services.OfferData(**data)


def offer(world: Any, award: Any, budget: str = "600", **changes: Any) -> Any:
    pilot = services.offer(act(world.admin_b), award, offer_data(world, budget, **changes))
    db.session.commit()
    return pilot


def accept(world: Any, pilot: Any) -> Any:
    services.decide(act(world.innovator), pilot, True)
    db.session.commit()
    return pilot
