"""Dates and notices of pilots: milestones due and overdue on the home pages of the team and
the host; reminders before and after due dates and update reminders, each sent once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from competitions.core import clock
from competitions.core.extensions import db
from competitions.core.outbox import OutboxMessage
from competitions.pilots import notices, services
from tests.entries.conftest import act, text
from tests.pilots.conftest import accept, offer, offer_data


def _outbox(prefix: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.source.like(prefix))
    )


def test_reminders_are_sent_once_before_and_after(world, award, reserve_b):
    pilot = accept(world, offer(world, award, ""))
    kickoff = pilot.milestones[0]  # due today, not signed off
    notices.run_due()
    before = _outbox(f"pilot-milestone:{kickoff.id}:before")
    assert before == 3  # Maple's two members and agency B's admin
    notices.run_due()  # a second tick sends nothing again
    assert _outbox(f"pilot-milestone:{kickoff.id}:before") == before
    notices.run_due(clock.now().date() + timedelta(days=2))
    assert _outbox(f"pilot-milestone:{kickoff.id}:after") == 3
    notices.run_due(clock.now().date() + timedelta(days=3))
    assert _outbox(f"pilot-milestone:{kickoff.id}:after") == 3
    # No update for two weeks: the team is reminded, once per period.
    later = clock.now().date() + timedelta(days=15)
    notices.run_due(later)
    notices.run_due(later)
    assert _outbox(f"pilot:{pilot.id}:update:%") == 2


def test_due_and_overdue_milestones_on_home(world, award, reserve_b, client, switch, clock):
    pilot = accept(world, offer(world, award, ""))
    clock.advance(timedelta(days=2))
    switch(world.innovator)
    page = text(client.get("/"))
    assert "Your pilots" in page and "Overdue" in page and "Kick-off" in page
    switch(world.admin_b)
    assert "Overdue" in text(client.get("/"))
    switch(world.admin_a)
    assert "Your pilots" not in text(client.get("/"))
    assert pilot.id


def test_the_home_page_s_pilots_cost_the_same_whatever_their_number(
    world, award, reserve_b, client, switch, count_queries
):
    first = offer(world, award, "100")
    switch(world.innovator)
    client.get("/")
    with count_queries() as few:
        page = text(client.get("/"))
    assert f'href="/pilots/{first.id}">Agency B offers Maple a pilot</a>' in page
    accept(world, first)
    by_a = services.offer(
        act(world.admin_a), award, offer_data(world, "0", host_agency_id=world.agency_a.id)
    )
    db.session.commit()
    with count_queries() as many:
        page = text(client.get("/"))
    assert f'href="/pilots/{by_a.id}">Agency A offers Maple a pilot</a>' in page
    assert f'href="/pilots/{first.id}#plan">Kick-off — Maple @ Agency B</a>' in page
    assert many.count == few.count
