"""Pilots: a host agency offers a winner a pilot (100-day plan, budget from its reserve), the
team's lead accepts, the team posts updates, both sides record KPI measurements (charted), the
host signs off milestones and ends the pilot with its reasons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from competitions.awards import reserves
from competitions.core import clock
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.pilots import services
from competitions.pilots.models import Pilot
from tests.entries.conftest import act, events, follow, text
from tests.pilots.conftest import accept, offer, offer_data


def test_offer_accept_draws_the_budget_and_tells_each_side(world, award, reserve_b, mail):
    pilot = offer(world, award)
    assert pilot.status == "offered" and pilot.currency == "USD"
    assert [m.due_on - pilot.starts_on for m in pilot.milestones] == [
        timedelta(days=d) for d in (0, 30, 60, 90, 100)
    ]
    assert reserve_b.available == Decimal("1000")  # drawn on acceptance, not before
    offered = mail.text(mail.wait_for(world.innovator.email)[-1])
    assert "Agency B offers Maple a pilot" in offered and f"/pilots/{pilot.id}" in offered
    french = mail.text(mail.wait_for("mate@example.org")[-1])
    assert "propose" in french
    with pytest.raises(NotFound):  # a member who is not the lead does not answer
        services.decide(act(award.entry.team.members[1].user), pilot, True)
    db.session.rollback()
    accept(world, pilot)
    assert pilot.status == "active" and pilot.draw is not None
    assert reserves.reserve_of(award.track.challenge, world.agency_b.id).available == Decimal("400")
    assert "Maple accepts the pilot" in mail.text(mail.wait_for(world.admin_b.email)[-1])
    assert [e.action for e in events("pilot.accepted")] and events("reserve.drawn")
    with pytest.raises(DomainError, match="already answered"):
        services.decide(act(world.innovator), pilot, False)


def test_an_offer_never_overdraws_the_reserve(world, award, reserve_b):
    with pytest.raises(DomainError, match=r"Only 1000\.00 USD is left"):
        services.offer(act(world.admin_b), award, offer_data(world, "1500"))
    db.session.rollback()
    pilot = offer(world, award, "800")
    # The budget shrinks below the offer before the team answers: acceptance is refused.
    reserves.draw(act(world.admin_b), reserve_b, Decimal("300"), "Another pilot")
    db.session.commit()
    with pytest.raises(DomainError, match="no longer holds"):
        services.decide(act(world.innovator), pilot, True)
    db.session.rollback()
    assert pilot.status == "offered"


def test_who_may_offer_and_see(world, award, reserve_b, client, switch):
    with pytest.raises(NotFound):  # staff do not offer
        services.offer(
            act(world.staff_a), award, offer_data(world, host_agency_id=world.agency_a.id)
        )
    db.session.rollback()
    with pytest.raises(DomainError, match="host agency"):  # admin B hosts for B only
        services.offer(
            act(world.admin_b), award, offer_data(world, host_agency_id=world.agency_a.id)
        )
    db.session.rollback()
    pilot = offer(world, award)
    switch(world.admin_a)  # the award's agency, not the host: another partner, for now 404
    assert client.get(f"/pilots/{pilot.id}").status_code == 404
    switch(world.innovator)
    page = text(client.get(f"/pilots/{pilot.id}"))
    assert "Accept the pilot" in page and "Chicago water network" in page
    assert "Pilot at Agency B" in text(client.get(f"/entries/{award.entry_id}"))


def test_offer_page_explains_bad_input(world, award, reserve_b, client, switch):
    switch(world.admin_b)
    url = f"/awards/{award.id}/pilot"
    assert "Budget for success of Agency B" in text(client.get(url))
    response = client.post(url, data={"host": str(world.agency_b.id), "test_bed": "Chicago"})
    page = text(response, 400)
    assert "Say what the pilot should achieve." in page and "Chicago" in page
    response = client.post(
        url,
        data={
            "host": str(world.agency_b.id),
            "test_bed": "Chicago",
            "objectives": "Fewer leaks",
            "starts_on": clock.now().date().isoformat(),
            "budget": "lots",
        },
    )
    assert "Enter a number" in text(response, 400)
    response = client.post(url, data={"host": str(world.agency_b.id), "starts_on": "tomorrow"})
    assert "Enter the day as YYYY-MM-DD." in text(response, 400)
    response = client.post(
        url,
        data={
            "host": str(world.agency_b.id),
            "test_bed": "Chicago",
            "objectives": "Fewer leaks",
            "starts_on": clock.now().date().isoformat(),
            "budget": "",
        },
    )
    assert "The pilot is offered" in follow(client, response)


def test_running_a_pilot_updates_kpis_sign_off_and_end(world, award, reserve_b, client, switch):
    pilot = accept(world, offer(world, award))
    switch(world.admin_b)
    base = f"/pilots/{pilot.id}"
    response = client.post(f"{base}/kpis", data={"name": "Leak detection", "unit": "hours"})
    assert "Enter a number" in text(response, 400)
    response = client.post(
        f"{base}/kpis",
        data={"name": "Leak detection", "unit": "hours", "baseline": "48", "target": "6"},
    )
    assert "The KPI is added." in follow(client, response)
    kpi = pilot.kpis[0]
    today = clock.now().date()
    for days, value in ((-20, "40"), (-10, "22,5")):
        response = client.post(
            f"{base}/measurements",
            data={"kpi": str(kpi.id), "value": value, "measured_on": str(today + timedelta(days))},
        )
        assert response.status_code == 302
    response = client.post(
        f"{base}/measurements",
        data={"kpi": str(kpi.id), "value": "3", "measured_on": str(today + timedelta(days=9))},
    )
    assert "cannot be in the future" in text(response, 400)
    page = text(client.get(base))
    assert "<svg" in page and "22.5" in page and "Numbers of: Leak detection (hours)" in page
    # The team posts an update (and may measure too); the host signs off the kick-off.
    switch(world.innovator)
    assert "Write the update." in text(client.post(f"{base}/updates", data={"body": " "}), 400)
    response = client.post(f"{base}/updates", data={"body": "Sensors installed in 3 districts."})
    assert "Your update is posted." in follow(client, response)
    assert client.post(f"{base}/steps/{pilot.milestones[0].id}/sign-off").status_code == 404
    switch(world.admin_b)
    response = client.post(f"{base}/steps/{pilot.milestones[0].id}/sign-off")
    assert "The milestone is signed off." in follow(client, response)
    assert "Sensors installed" in text(client.get(base))
    response = client.post(f"{base}/end", data={"outcome": "scaled", "reasons": ""})
    assert "the lesson is kept" in text(response, 400)
    response = client.post(
        f"{base}/end", data={"outcome": "scaled", "reasons": "Detection 8x faster: city-wide."}
    )
    page = follow(client, response)
    assert "Outcome: Scaled" in page and "city-wide" in page
    lessons = text(client.get(f"/challenges/{award.track.challenge.slug}/pilots"))
    assert "Scaled" in lessons and "Detection 8x faster" in lessons
    assert [e.action for e in events("pilot.ended")]
    with pytest.raises(DomainError, match="active"):
        services.post_update(act(world.innovator), pilot, "After the end")


def test_the_plan_is_editable_and_audited(world, award, reserve_b, client, switch):
    pilot = offer(world, award, "")
    first, second = pilot.milestones[0], pilot.milestones[1]
    switch(world.admin_b)
    day = clock.now().date() + timedelta(days=45)
    response = client.post(
        f"/pilots/{pilot.id}/plan",
        data={
            f"title_{first.id}": "Kick-off with the crews",
            f"due_{first.id}": str(first.due_on),
            f"title_{second.id}": "",  # removed
            "title_new": "Procurement check",
            "due_new": str(day),
        },
    )
    assert "The plan is saved." in follow(client, response)
    titles = [m.title for m in pilot.milestones]
    assert "Kick-off with the crews" in titles and "First results" not in titles
    assert "Procurement check" in titles and len(titles) == 5
    assert events("pilot.plan_changed")
    response = client.post(f"/pilots/{pilot.id}/plan", data={"title_new": "No date"})
    assert "due date" in follow(client, response)


def test_the_database_refuses_an_end_without_reasons(world, award, reserve_b):
    pilot = offer(world, award)
    with pytest.raises(IntegrityError):
        db.session.execute(update(Pilot).where(Pilot.id == pilot.id).values(status="ended"))
    db.session.rollback()


def test_the_challenge_pilots_page_costs_the_same_for_more_pilots(
    world, award, reserve_b, client, switch, count_queries
):
    offer(world, award, "")
    switch(world.platform_admin)
    url = f"/challenges/{award.track.challenge.slug}/pilots"
    with count_queries() as few:
        assert client.get(url).status_code == 200
    services.offer(
        act(world.admin_a), award, offer_data(world, "", host_agency_id=world.agency_a.id)
    )
    db.session.commit()
    with count_queries() as more:
        page = text(client.get(url))
    assert page.count("Chicago water network") == 2
    assert more.count == few.count


def test_a_french_speaking_member_reads_the_pilot_in_french(
    world, award, reserve_b, client, switch
):
    pilot = accept(world, offer(world, award))
    mate = next(m.user for m in award.entry.team.members if m.user.preferred_language == "fr")
    switch(mate)
    page = text(client.get(f"/pilots/{pilot.id}"))
    # The plan stays as the host wrote it (in the track's language); the page is in French.
    assert "Projet pilote de Maple chez Agency B" in page and "Kick-off" in page
    assert "Pas encore" in page and "Indicateurs" in page
