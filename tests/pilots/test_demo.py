"""The demo seed: the Resilient Cities Challenge shows one winner piloting in two cities."""

from __future__ import annotations

from sqlalchemy import select


def test_the_demo_has_one_winner_piloting_in_berlin_and_paris(app, db, client):
    from competitions.challenges.models import Challenge
    from competitions.pilots import queries

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    first = db.session.scalar(select(Challenge).where(Challenge.slug == "resilient-cities-2025"))
    current = db.session.scalar(select(Challenge).where(Challenge.slug == "resilient-cities"))
    assert current.previous_edition_id == first.id and current.edition == 2
    [award] = queries.awards_of_challenge(first.id)
    pilots = queries.pilots_of_award(award)
    assert [p.host.slug for p in pilots] == ["berlin", "paris"]
    assert all(p.status == "active" and p.is_public for p in pilots)
    assert all(any(m.is_signed_off for m in p.milestones) for p in pilots)
    # Anyone compares them: the shared KPIs side by side, Paris's in French.
    page = client.get(f"/awards/{award.id}/pilots/compare").get_data(as_text=True)
    assert "<code>warning-lead-time</code>" in page and "<code>households-warned</code>" in page
    assert "Délai d&#39;alerte avant la crue" in page and "Vorwarnzeit vor dem Hochwasser" in page
    assert '<td lang="fr">' in page and '<td lang="de">' in page and "<svg" in page
    challenge_page = client.get("/challenges/resilient-cities-2025").get_data(as_text=True)
    assert all(f"/pilots/{p.id}/public" in challenge_page for p in pilots)
    feed = client.get("/challenges/resilient-cities-2025/pilots.atom").get_data(as_text=True)
    assert feed.count("<entry>") == 3
