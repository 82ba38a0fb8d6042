"""Pilots beyond their two sides: the public page and the Atom feed of updates (both the host
and the team consent; either withdraws), the summary the other partners of the challenge read,
and one winner's pilots in two hosts compared side by side."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest

from competitions.core import clock
from competitions.core.errors import DomainError, NotFound
from competitions.core.extensions import db
from competitions.pilots import comparison, consent, services
from tests.entries.conftest import act, events, follow, text
from tests.pilots.conftest import accept, offer, offer_data

ATOM = {"a": "http://www.w3.org/2005/Atom"}


def _running(world, award):
    """Agency B's pilot, accepted, with a KPI, a measurement, an update, a signed-off step."""
    pilot = accept(world, offer(world, award))
    kpi = services.add_kpi(
        act(world.admin_b), pilot, "Leak detection", "hours", "48", "6", "detection-time"
    )
    services.record_measurement(
        act(world.admin_b), pilot, kpi.id, "27", clock.now().date() - timedelta(days=1)
    )
    services.post_update(act(world.innovator), pilot, "Sensors installed in three districts.")
    services.sign_off(act(world.admin_b), pilot, pilot.milestones[0].id)
    db.session.commit()
    return pilot


def _consent(world, pilot, host=True, team=True):
    if host:
        consent.set_public(act(world.admin_b), pilot, "host", True)
    if team:
        consent.set_public(act(world.innovator), pilot, "team", True)
    db.session.commit()


def test_the_public_page_needs_both_consents_and_either_withdraws(
    world, award, reserve_b, client, switch, logout
):
    pilot = _running(world, award)
    url = f"/pilots/{pilot.id}/public"
    with pytest.raises(NotFound):  # staff of another agency: not a side of the pilot
        consent.set_public(act(world.staff_a), pilot, "host", True)
    mate = award.entry.team.members[1].user
    with pytest.raises(DomainError, match="whose consent"):  # a member who is not the lead
        consent.set_public(act(world.admin_b), pilot, "team", True)
    with pytest.raises(NotFound):
        consent.set_public(act(mate), pilot, "team", True)
    db.session.rollback()
    _consent(world, pilot, team=False)
    assert client.get(url).status_code == 404  # the host alone is not enough
    # The team's lead consents from the pilot's page.
    switch(world.innovator)
    page = follow(
        client, client.post(f"/pilots/{pilot.id}/publicity", data={"side": "team", "public": "1"})
    )
    assert "Your consent to the public page is recorded." in page
    assert "Open the public page" in page
    logout()
    public = text(client.get(url))
    assert "Chicago water network" in public and "Sensors installed" in public
    assert "Leak detection" in public and "<svg" in public and "27" in public
    # Nothing personal, no budget.
    for private in ("Ina Innovator", "Mia Mate", "Bo Admin B", "programme manager", "600"):
        assert private not in public, private
    assert events("pilot.publicity_changed")
    # The host withdraws: the page is gone for everyone.
    consent.set_public(act(world.admin_b), pilot, "host", False)
    db.session.commit()
    assert client.get(url).status_code == 404


def test_an_offer_is_never_public(world, award, reserve_b):
    pilot = offer(world, award)
    with pytest.raises(DomainError, match="once the team has accepted"):
        consent.set_public(act(world.admin_b), pilot, "host", True)


def test_the_feed_challenge_page_winners_and_sitemap_list_public_pilots(
    world, award, reserve_b, client
):
    pilot = _running(world, award)
    challenge = award.track.challenge
    feed_url = f"/challenges/{challenge.slug}/pilots.atom"
    empty = ET.fromstring(client.get(feed_url).data)
    assert empty.findall("a:entry", ATOM) == []
    assert f"/pilots/{pilot.id}/public" not in text(client.get(f"/challenges/{challenge.slug}"))
    _consent(world, pilot)
    response = client.get(feed_url)
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    # RFC 4287: the feed and each entry have an id, a title and an updated instant; an author.
    for element in (root, *root.findall("a:entry", ATOM)):
        for child in ("a:id", "a:title", "a:updated"):
            assert element.findtext(child, namespaces=ATOM), child
    assert root.find("a:link[@rel='self']", ATOM).get("href").endswith(feed_url)
    [entry] = root.findall("a:entry", ATOM)
    assert entry.findtext("a:content", namespaces=ATOM) == "Sensors installed in three districts."
    assert (
        entry.find("a:link", ATOM)
        .get("href")
        .endswith(f"/pilots/{pilot.id}/public#update-{pilot.updates[0].id}")
    )
    assert entry.findtext("a:author/a:name", namespaces=ATOM) == "Maple"
    page = text(client.get(f"/challenges/{challenge.slug}"))
    assert f"/pilots/{pilot.id}/public" in page and "pilots.atom" in page
    winners = text(client.get(f"/challenges/{challenge.slug}/rounds/{award.round_id}/winners"))
    assert f"/pilots/{pilot.id}/public" in winners
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert f"/pilots/{pilot.id}/public</loc>" in sitemap


def test_partners_read_a_summary_without_people_budget_or_updates(
    world, award, reserve_b, client, switch
):
    pilot = _running(world, award)
    switch(world.admin_a)  # the award's agency takes part; agency B hosts
    assert client.get(f"/pilots/{pilot.id}").status_code == 404
    listing = text(client.get(f"/challenges/{award.track.challenge.slug}/pilots"))
    assert f"/pilots/{pilot.id}/summary" in listing and f'href="/pilots/{pilot.id}"' not in listing
    summary = text(client.get(f"/pilots/{pilot.id}/summary"))
    assert "Leak detection" in summary and "Milestones reached" in summary
    assert "Kick-off" in summary and "<svg" in summary
    for private in ("Bo Admin B", "programme manager", "600", "Sensors installed", "History"):
        assert private not in summary, private
    switch(award.entry.team.members[1].user)  # the team reads it too (in French here)
    assert "Jalons atteints" in text(client.get(f"/pilots/{pilot.id}/summary"))


def test_one_winner_in_two_hosts_compared_side_by_side(world, award, reserve_b, client, switch):
    berlin = _running(world, award)  # agency B, in English: hours
    world.agency_a.languages = ["fr", "en"]  # Agency A writes in French first
    db.session.commit()
    paris = services.offer(
        act(world.admin_a),
        award,
        offer_data(world, "", host_agency_id=world.agency_a.id, test_bed="Réseau de Montréal"),
    )
    db.session.commit()
    accept(world, paris)
    kpi = services.add_kpi(
        act(world.admin_a),
        paris,
        "Délai de détection",
        "minutes",
        "2880",
        "1234.5",
        "Detection-Time",
    )
    services.record_measurement(act(world.admin_a), paris, kpi.id, "2057.25", clock.now().date())
    services.add_kpi(act(world.admin_a), paris, "Fuites évitées", "m³", "0", "500")
    db.session.commit()
    assert paris.milestones[0].title == "Lancement"  # the host's language
    switch(world.innovator)
    page = text(client.get(f"/pilots/{berlin.id}"))
    assert f"/awards/{award.id}/pilots/compare" in page
    assert f"/awards/{award.id}/pilots/compare" in text(client.get(f"/awards/{award.id}"))
    compared = text(client.get(f"/awards/{award.id}/pilots/compare"))
    # One row for the shared key: each host's name, unit and number format, in its language.
    row = compared.split("<code>detection-time</code>", 1)[1].split("</tr>", 1)[0]
    assert (
        "Leak detection</strong> (hours)" in row and "Délai de détection</strong> (minutes)" in row
    )
    assert '<td lang="en">' in row and '<td lang="fr">' in row
    assert "1\u202f234,5 minutes" in row  # French writing of 1234.5
    assert "27 hours" in row
    assert "One host only" in compared and "Fuites évitées" in compared
    # Progress: (27 - 48) / (6 - 48) = 50 %; (2057.25 - 2880) / (1234.5 - 2880) = 50 %.
    assert "<svg" in compared and compared.count("50 %") == 2
    switch(world.admin_b)  # a host sees the other host's pilot as a summary only
    compared = text(client.get(f"/awards/{award.id}/pilots/compare"))
    assert f"/pilots/{paris.id}/summary" in compared and f"/pilots/{berlin.id}" in compared
    switch(world.staff_a)
    assert text(client.get(f"/awards/{award.id}/pilots/compare")).count('<th scope="col" lang') == 2


def test_progress_is_unit_free():
    d = Decimal
    assert comparison.progress(d(48), d(6), None) is None
    assert comparison.progress(d(48), d(6), d(27)) == 50.0
    assert comparison.progress(d(10), d(20), d(5)) == -50.0
    assert comparison.progress(d(10), d(10), d(5)) is None


def test_the_feed_costs_the_same_for_more_pilots(world, award, reserve_b, client, count_queries):
    feed_url = f"/challenges/{award.track.challenge.slug}/pilots.atom"
    _consent(world, _running(world, award))
    with count_queries() as few:
        assert client.get(feed_url).status_code == 200
    other = accept(
        world,
        services.offer(
            act(world.admin_a), award, offer_data(world, "", host_agency_id=world.agency_a.id)
        ),
    )
    services.post_update(act(world.innovator), other, "Second city.")
    consent.set_public(act(world.admin_a), other, "host", True)
    consent.set_public(act(world.innovator), other, "team", True)
    db.session.commit()
    with count_queries() as more:
        assert client.get(feed_url).get_data(as_text=True).count("<entry>") == 2
    assert more.count == few.count


def test_the_challenge_page_costs_the_same_for_more_public_pilots(
    world, award, reserve_b, client, count_queries
):
    challenge_url = f"/challenges/{award.track.challenge.slug}"
    first = _running(world, award)
    _consent(world, first)
    with count_queries() as few:
        page = text(client.get(challenge_url))
    assert f"/pilots/{first.id}/public" in page
    other = accept(
        world,
        services.offer(
            act(world.admin_a), award, offer_data(world, "", host_agency_id=world.agency_a.id)
        ),
    )
    consent.set_public(act(world.admin_a), other, "host", True)
    consent.set_public(act(world.innovator), other, "team", True)
    db.session.commit()
    with count_queries() as more:
        page = text(client.get(challenge_url))
    assert f"/pilots/{first.id}/public" in page and f"/pilots/{other.id}/public" in page
    assert world.agency_a.name in page and award.entry.team.name in page
    assert more.count == few.count, more.statements
    # Only the names the list shows: not the pilots' plans, budgets nor the tracks' rules.
    pilots_query = next(s for s in more.statements if "FROM pilot" in s)
    assert "pilot.budget" not in pilots_query and "track" not in pilots_query
