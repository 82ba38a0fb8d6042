"""Budget for success: each agency reserves a scale-up budget for the challenge; it shows next
to the prizes (to the public only when the agency says so) and pilots draw on it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from competitions.awards import reserves
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from tests.entries.conftest import act, events, follow, text


def _data(amount="500000", currency="CAD", public=False):
    return reserves.ReserveData(
        amount, currency, {"en": "Pilots in Canadian test-beds.", "fr": "Projets pilotes."}, public
    )


def test_an_agency_reserves_a_budget_and_chooses_who_sees_it(world, challenge, ca_track, client):
    reserves.set_reserve(act(world.admin_a), ca_track, _data())
    db.session.commit()
    url = f"/challenges/{challenge.slug}/tracks/{ca_track.slug}"
    assert "Budget for success" not in text(client.get(url))  # private: not for the public
    reserve = reserves.reserve_of(challenge, world.agency_a.id)
    assert reserve is not None and reserve.available == Decimal("500000")
    reserves.set_reserve(act(world.admin_a), ca_track, _data("750000", public=True))
    db.session.commit()
    page = text(client.get(url))
    assert "Budget for success" in page and "750,000.00" in page and "Pilots in Canadian" in page
    assert [e.action for e in events("reserve.set")] and events("reserve.changed")
    assert reserves.reserved_in(challenge) == {"CAD": Decimal("750000")}


def test_a_partner_agency_sets_only_its_own(world, challenge, ca_track, us_track, client, login):
    with pytest.raises(NotFound):
        reserves.set_reserve(act(world.admin_b), ca_track, _data())
    db.session.rollback()
    reserves.set_reserve(act(world.admin_b), us_track, _data("200000", "USD"))
    db.session.commit()
    assert reserves.reserve_of(challenge, world.agency_b.id).currency == "USD"
    login(world.admin_b)
    base = f"/challenges/{challenge.slug}/tracks"
    assert client.get(f"{base}/{ca_track.slug}/reserve").status_code == 404
    response = client.post(
        f"{base}/{us_track.slug}/reserve",
        data={"amount": "lots", "currency": "USD", "purpose_en": "Pilots."},
    )
    assert "Enter the amount as a number" in text(response, 400)
    response = client.post(
        f"{base}/{us_track.slug}/reserve",
        data={"amount": "250000", "currency": "USD", "purpose_en": "Pilots in US cities."},
    )
    page = follow(client, response)
    assert "The budget for success is saved." in page and "250,000.00" in page


def test_pilots_draw_no_more_than_is_left(world, challenge, ca_track):
    reserve = reserves.set_reserve(act(world.admin_a), ca_track, _data("1000"))
    reserves.draw(act(world.admin_a), reserve, Decimal("600"), "Pilot in Toronto")
    with pytest.raises(DomainError, match="left"):
        reserves.draw(act(world.admin_a), reserve, Decimal("500"), "Pilot in Montréal")
    assert reserve.available == Decimal("400")
    with pytest.raises(DomainError, match="cannot be less"):
        reserves.set_reserve(act(world.admin_a), ca_track, _data("500"))
    with pytest.raises(DomainError, match="currency"):
        reserves.set_reserve(act(world.admin_a), ca_track, _data("1000", "EUR"))
